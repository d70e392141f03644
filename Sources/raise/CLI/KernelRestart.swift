// KernelRestart: runs the host again, once and before any work, when OpenBLAS has picked kernels weaker
// than the CPU runs (BLASCoreChoice). OpenBLAS reads OPENBLAS_CORETYPE when the library loads, before main,
// so the host sets the variable and executes itself anew: same arguments, same process (an mpirun rank
// stays the rank it was). Only a DYNAMIC_ARCH build (Debian's) can change kernels; a build for one target
// is left alone. A user who sets OPENBLAS_CORETYPE, to any value, keeps it: nothing restarts.
import Foundation
import RaiseKit

/// The host's one restart onto the kernels the CPU runs best.
enum KernelRestart {
    /// Executes this program again with OPENBLAS_CORETYPE set when OpenBLAS's own choice is weaker than the
    /// CPU's flags allow; returns (doing nothing) otherwise, or when the restart itself fails.
    static func ontoStrongerKernelsIfWeak() {
        // /proc/cpuinfo is read only when OpenBLAS's choice could be raised: on a large machine it is long.
        guard !ProcessEnvironment.isSet("OPENBLAS_CORETYPE"), BLAS.configuration.contains("DYNAMIC_ARCH"),
              let core = BLASCoreChoice.better(than: BLAS.coreName, cpuFlags: BLASCoreChoice.cpuFlags(
                  cpuinfo: (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "")) else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        unsetenv("OPENBLAS_CORETYPE")  // execv returned: it failed, and this process keeps the kernels it has
    }
}
