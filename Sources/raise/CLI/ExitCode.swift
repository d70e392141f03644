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

    /// Prints `error` on stderr, through a console in `mode` (a JSON object under `--json`), and returns its exit code.
    static func report(_ error: Error, mode: OutputMode) -> Int32 {
        let console = Console(mode: mode)
        switch error {
        case let usageError as UsageError:
            console.write(.error, usageError.message, fields: [("usage", usageError.usage)])
            return usage
        default:
            console.write(.error, "\(error)")
            return failure
        }
    }
}
