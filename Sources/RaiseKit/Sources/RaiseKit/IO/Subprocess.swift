// Subprocess: runs a program and collects what it prints — the Python peers of the benchmarks, a child
// `raise`, and the test suite's command runs. Its two pipes are read at the same time (standard error
// on a thread of its own), so a child that fills one pipe while raise waits on the other cannot deadlock.
import Foundation

/// Running a program to its end.
public enum Subprocess {
    /// What becomes of the child's standard error.
    public enum ErrorStream: Sendable {
        /// Collected apart from standard output.
        case captured
        /// Written where raise's own goes (progress lines stay visible).
        case inherited
        /// Collected with standard output, in the order written.
        case mergedIntoOutput
        /// Given line by line to a closure as the child writes it (on a thread of its own), not collected:
        /// a parent that shows a child's progress in its own words.
        case lines(@Sendable (String) -> Void)
    }

    /// A finished child: its exit status and what it printed.
    public struct Result: Sendable {
        public let status: Int32
        /// Standard output (with standard error when merged).
        public let output: String
        /// Standard error, when captured apart.
        public let errorOutput: String
    }

    /// Runs `executable` with `arguments`, `environment` over raise's own, and waits for it.
    ///
    /// - Throws: Foundation's error when the program cannot be started.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                           errorStream: ErrorStream = .captured) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        var errors: Pipe?
        switch errorStream {
        case .captured, .lines: errors = Pipe()
        case .inherited: break
        case .mergedIntoOutput: process.standardError = output
        }
        if let errors { process.standardError = errors }
        try process.run()
        let collected = ErrorCollector()
        let finished = DispatchSemaphore(value: 0)
        if let errors {
            Thread.detachNewThread {
                if case .lines(let receive) = errorStream {
                    relayLines(of: errors.fileHandleForReading, to: receive)
                } else {
                    collected.data = errors.fileHandleForReading.readDataToEndOfFile()
                }
                finished.signal()
            }
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        if errors != nil { finished.wait() }
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self),
                      errorOutput: String(decoding: collected.data, as: UTF8.self))
    }

    /// Reads `handle` to its end, giving each complete line (without its newline) to `receive` as it arrives, and
    /// the last one even without a newline.
    private static func relayLines(of handle: FileHandle, to receive: (String) -> Void) {
        var pending = Data()
        while case let chunk = handle.availableData, !chunk.isEmpty {
            pending += chunk
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                receive(String(decoding: pending[..<newline], as: UTF8.self))
                pending = Data(pending[pending.index(after: newline)...])
            }
        }
        if !pending.isEmpty { receive(String(decoding: pending, as: UTF8.self)) }
    }

    /// Standard error as the reading thread leaves it; read only after that thread signalled.
    private final class ErrorCollector: @unchecked Sendable {
        var data = Data()
    }
}
