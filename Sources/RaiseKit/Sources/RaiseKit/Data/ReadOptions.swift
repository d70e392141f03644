// ReadOptions: how to read an instruction file — the format (or detection), a field mapping for JSON
// records whose fields have other names, record filters, and whether to skip invalid records.

/// Options for `InstructionReader`.
public struct ReadOptions: Sendable {
    /// A `--format` name (see `DataFormat.names`), or nil to detect it from the content.
    public var format: String?
    /// Canonical field → the field holding it in the file: ["instruction": "question", "output": "answer"]. A
    /// record without the mapped field is read by the canonical name, so one mapping reads both kinds of file.
    public var fields: [String: String]
    /// Keep only records whose field has this string value (e.g. status = ok for alpaca-libre).
    public var filters: [(field: String, value: String)]
    /// Skip invalid records (counting them) instead of failing on the first.
    public var skipInvalid: Bool
    /// The longest line, record or document read, in bytes: a longer one is an error naming the file and
    /// line, so that a file of no newlines (or `/dev/zero`) cannot exhaust memory.
    public var maxRecordBytes: Int

    /// The default `maxRecordBytes`: 64 MiB.
    public static let defaultMaxRecordBytes = 64 << 20

    /// The canonical fields a mapping may rename.
    public static let canonicalFields = ["id", "instruction", "input", "output", "task"]

    /// The names each canonical field is read under without a mapping, in order: the first a record has is
    /// read (Alpaca's, GPTeacher's `response`, Dolly's `context`, the prompt / completion pairs of OpenAI's
    /// fine-tuning files).
    public static let usualNames = ["id": ["id"], "instruction": ["instruction", "prompt"], "input": ["input", "context"],
                                    "output": ["output", "response", "completion"], "task": ["task", "category"]]

    /// Options with the readers' defaults: the format detected, no mapping or filter, invalid records an error.
    public init(format: String? = nil, fields: [String: String] = [:], filters: [(field: String, value: String)] = [],
                skipInvalid: Bool = false, maxRecordBytes: Int = ReadOptions.defaultMaxRecordBytes) {
        self.format = format
        self.fields = fields
        self.filters = filters
        self.skipInvalid = skipInvalid
        self.maxRecordBytes = maxRecordBytes
    }

    /// Parses `--fields instruction=question,output=answer`.
    ///
    /// - Throws: `RaiseError.invalidArgument` naming `--fields` for a malformed pair or an unknown field.
    public static func parseFields(_ text: String) throws -> [String: String] {
        var fields = [String: String]()
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[1].isEmpty else {
                throw RaiseError.invalidArgument(name: "--fields", detail: "'\(pair)': expected FIELD=SOURCE_FIELD")
            }
            guard canonicalFields.contains(parts[0]) else {
                throw RaiseError.invalidArgument(name: "--fields", detail: "unknown field '\(parts[0])'; fields: \(canonicalFields.joined(separator: ", "))")
            }
            fields[parts[0]] = parts[1]
        }
        return fields
    }

    /// Parses `--where FIELD=VALUE`.
    public static func parseFilter(_ text: String) throws -> (field: String, value: String) {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty else {
            throw RaiseError.invalidArgument(name: "--where", detail: "'\(text)': expected FIELD=VALUE")
        }
        return (parts[0], parts[1])
    }
}

/// An invalid record that was skipped: where it is and what was wrong.
public struct SkippedRecord: Equatable, Sendable, CustomStringConvertible {
    /// The file.
    public let path: String
    /// Its first line.
    public let line: Int
    /// The full error message (`file:line:column: message`).
    public let message: String

    public var description: String { message }
}
