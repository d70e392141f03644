// The `raise` executable: moves onto the strongest BLAS kernels the CPU runs, then hands the command line
// to the dispatcher and exits with its code.
import Foundation

KernelRestart.ontoStrongerKernelsIfWeak()
exit(Host.run(Array(CommandLine.arguments.dropFirst())))
