// The `raise` executable: hands the command line to the dispatcher and exits with its code.
import Foundation

exit(Host.run(Array(CommandLine.arguments.dropFirst())))
