// ExitCode: the one place where errors become exit codes and messages on stderr (through Console).
import Foundation
import RaiseKit

/// The exit codes of `raise`.
enum ExitCode {
    static let success: Int32 = 0
    /// Bad input, a failed file operation or a failed run.
    static let failure: Int32 = 1
    /// A mistake in the command line itself.
    static let usage: Int32 = 2

    /// Prints `error` on stderr and returns its exit code.
    static func report(_ error: Error) -> Int32 {
        switch error {
        case let usageError as UsageError:
            Console.line("raise: error: \(usageError.message)\n\n\(usageError.usage)")
            return usage
        case let raiseError as RaiseError:
            Console.line("raise: error: \(raiseError)")
            return failure
        case let pluginError as PluginError:
            Console.line("raise: error: \(pluginError)")
            return failure
        default:
            Console.line("raise: error: \(error)")
            return failure
        }
    }

}
