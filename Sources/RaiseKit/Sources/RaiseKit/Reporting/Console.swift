// Console: the lines raise writes on stderr besides its progress lines — information, warnings and
// errors — by level, in one place, so that the host and the core speak alike and the output modes mean
// the same everywhere: information in human mode only; warnings and errors always, and under `--json`
// as JSON objects like the progress events, so that every line of a machine-readable run's stderr parses.
import Foundation
import Synchronization

/// Messages on stderr, by level.
public struct Console: Sendable {
    /// How much a message matters (its raw value the name messages and JSON events show).
    public enum Level: String, Sendable {
        /// What happens (a cache hit, a resumed run): shown in human mode only.
        case info
        /// Something the user should know (skipped records, a damaged cache entry): always shown.
        case warning
        /// Why a command failed: always shown.
        case error
    }

    /// The output mode of the command (`--quiet`, `--json` or human).
    public let mode: OutputMode

    /// A console for a command in `mode`.
    public init(mode: OutputMode) { self.mode = mode }

    /// Writes `text` at `level`: information as written, warnings and errors behind `raise: warning:` or
    /// `raise: error:` — or, under `--json`, as `{"event": "warning" or "error", "message": text}` with
    /// `fields` added (an error's usage text). In human mode the fields follow the message, a blank line apart.
    public func write(_ level: Level, _ text: String, fields: [(String, String)] = []) {
        switch (level, mode) {
        case (.info, .human): Console.line(text)
        case (.info, _): return
        case (_, .json):
            var object = JSONObject([("event", .string(level.rawValue)), ("message", .string(text))])
            for (name, value) in fields { object[name] = .string(value) }
            Console.line(JSONValue.object(object).serialized)
        case (_, _): Console.line((["raise: \(level.rawValue): " + text] + fields.map(\.1)).joined(separator: "\n\n"))
        }
    }

    /// Information (human mode only).
    public func info(_ text: String) { write(.info, text) }
    /// A warning (always).
    public func warning(_ text: String) { write(.warning, text) }

    /// The warnings this process has given through `warningOnce`.
    private static let given = Mutex<Set<String>>([])

    /// A warning, unless this process gave the same one already (a benchmark reads its pool again for every run).
    public func warningOnce(_ text: String) {
        if Console.given.withLock({ $0.insert(text).inserted }) { warning(text) }
    }

    /// Writes one line to stderr as it is (a newline added when missing).
    public static func line(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }
}
