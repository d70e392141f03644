// DataFormat: the file formats raise reads — a record schema inside a container — and their
// detection from a file's first bytes.
import Foundation

/// How records are laid out in a file.
public enum DataContainer: String, Sendable {
    /// One JSON array of objects (Alpaca, GPTeacher).
    case jsonArray
    /// One JSON object per line (JSONL).
    case jsonLines
    /// CSV rows: MMLU's without a header, or rows under a header row naming the columns.
    case csv
    /// Plain text; documents separated by blank lines.
    case text
    /// A Parquet file (Hugging Face datasets, pandas, Spark): each row an object of its columns, read as a
    /// JSON record. Read only: a subset of its rows is written as JSON lines.
    case parquet
}

/// What a record's fields mean.
public enum RecordSchema: String, Sendable {
    /// instruction / input / output (or `response`), with an optional field mapping: JSON objects, or the
    /// columns of a CSV file's header.
    case instruction
    /// `conversations`: [{from, value}] (ShareGPT).
    case sharegpt
    /// `messages`: [{role, content}] (OpenAI style).
    case messages
    /// A Self-Instruct task: an instruction and its `instances`: [{input, output}], a record each.
    case selfInstruct
    /// question,A,B,C,D,answer.
    case mmlu
    /// A pretraining document: all of it is trained on.
    case text
}

/// A file format: schema and container, and the header's columns of a CSV file that has one.
public struct DataFormat: Equatable, Sendable, CustomStringConvertible {
    public var schema: RecordSchema
    public var container: DataContainer
    /// The column names of a CSV file's header row, in order; nil for every other format.
    public var columns: [String]?

    /// The format of `schema` records in a `container` file, under a header of `columns` (CSV only).
    public init(_ schema: RecordSchema, _ container: DataContainer, columns: [String]? = nil) {
        self.schema = schema
        self.container = container
        self.columns = columns
    }

    /// The names accepted by `--format`.
    public static let names = ["alpaca", "jsonl", "sharegpt", "messages", "csv", "mmlu", "text", "parquet"]

    /// Whether records read in `other` can be written back, each as it was, into a file of this format: any
    /// JSON objects into a JSON container (each record's keys say its schema), else only the same format.
    /// Parquet rows are written as JSON lines (`written`).
    public func holds(_ other: DataFormat) -> Bool {
        container == .jsonArray || container == .jsonLines ? [.jsonArray, .jsonLines].contains(other.written.container) : self == other
    }

    /// The format records read in this one are written in: JSON lines for Parquet (raise does not write
    /// Parquet), else this format.
    public var written: DataFormat { container == .parquet ? DataFormat(schema, .jsonLines) : self }

    public var description: String {
        switch (schema, container) {
        case (_, .parquet): return "parquet"
        case (.instruction, .jsonArray): return "alpaca"
        case (.instruction, .csv): return "csv"
        case (.instruction, _): return "jsonl"
        case (.sharegpt, .jsonArray): return "sharegpt (JSON array)"
        case (.sharegpt, _): return "sharegpt (JSONL)"
        case (.messages, .jsonArray): return "messages (JSON array)"
        case (.messages, _): return "messages (JSONL)"
        case (.selfInstruct, .jsonArray): return "self-instruct (JSON array)"
        case (.selfInstruct, _): return "self-instruct (JSONL)"
        case (.mmlu, _): return "mmlu"
        case (.text, _): return "text"
        }
    }

    /// The format of `path`: the `--format` name when given (JSON containers of sharegpt and messages
    /// still detected), else detected from the content: '[' starts a JSON array and '{' JSON lines, and
    /// the first record's keys name the format (each record is read by its own keys); a `.json` or `.jsonl`
    /// file is JSON whatever it starts with (so a stray first line is an error, not a text document); a .csv
    /// file is CSV (MMLU rows, or rows under a header: `csvFormat`); a file that starts with "PAR1" or is
    /// named `.parquet` is Parquet; anything else is text. A UTF-8 byte-order mark is skipped. A gzip or
    /// Zstandard file is judged by what it holds, and by its name without `.gz` or `.zst`.
    ///
    /// - Throws: `RaiseError.invalidArgument` for an unknown `--format` name; `RaiseError.file` when the
    ///   file cannot be read, is UTF-16 or UTF-32, or holds a NUL byte where text is expected.
    public static func resolve(path: String, name: String?, fields: [String: String] = [:],
                               maxRecordBytes: Int = ReadOptions.defaultMaxRecordBytes) throws -> DataFormat {
        if let name, !names.contains(name) {
            throw RaiseError.invalidArgument(name: "--format", detail: "'\(name)': expected one of \(names.joined(separator: ", "))")
        }
        switch name {
        case "mmlu": return DataFormat(.mmlu, .csv)
        case "text": return DataFormat(.text, .text)
        case "alpaca": return DataFormat(.instruction, .jsonArray)
        case "jsonl": return DataFormat(.instruction, .jsonLines)
        case "parquet": return DataFormat(.instruction, .parquet)
        default: break
        }
        let head = try ByteReader(path: path).prefix(4096)
        let fileName = uncompressedName(path)
        if name == nil, head.starts(with: ParquetFile.magic) || fileName.hasSuffix(".parquet") { return DataFormat(.instruction, .parquet) }
        try checkEncoding(head, path: path)
        if name == "csv" || (name == nil && fileName.hasSuffix(".csv")) {
            try checkNoNUL(head, path: path)
            return try csvFormat(path: path, detected: name == nil, fields: fields, maxRecordBytes: maxRecordBytes)
        }
        let first = head.dropFirst(head.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0).first { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }
        let isJSONFile = [".json", ".jsonl"].contains { fileName.hasSuffix($0) }
        let container: DataContainer
        switch first {
        case UInt8(ascii: "["): container = .jsonArray
        case UInt8(ascii: "{"): container = .jsonLines
        case _ where isJSONFile: return DataFormat(.instruction, .jsonLines)  // read as JSON: its first line is reported
        default:
            if let name { throw RaiseError.file(path: path, detail: "--format \(name) needs JSON content, found no '[' or '{' at the start") }
            try checkNoNUL(head, path: path)
            return DataFormat(.text, .text)
        }
        switch name {
        case "sharegpt": return DataFormat(.sharegpt, container)
        case "messages": return DataFormat(.messages, container)
        default: return DataFormat(try detectSchema(path: path, container: container, fields: fields, maxRecordBytes: maxRecordBytes), container)
        }
    }

    /// The format of a CSV file: when `detected`, MMLU if it has no row or its first row has MMLU's six fields
    /// and names none of the instruction schema's fields (their usual names, or those `fields` maps them
    /// to); else rows under the header its first row is.
    private static func csvFormat(path: String, detected: Bool, fields: [String: String], maxRecordBytes: Int) throws -> DataFormat {
        let row = try CSVRow.first(path: path, maxRecordBytes: maxRecordBytes)?.map { String($0.trimmingWhitespace) }
        let fieldNames = Set(ReadOptions.usualNames.values.joined()).union(fields.values)
        if detected, row == nil || (row!.count == 6 && !row!.contains(where: fieldNames.contains)) {
            return DataFormat(.mmlu, .csv)
        }
        return DataFormat(.instruction, .csv, columns: row ?? [])
    }

    /// `path` in lower case without a compression suffix (`.gz`, `.zst`, `.zstd`): what its extension says of
    /// the text it holds (a gzip or Zstandard file is read decompressed).
    private static func uncompressedName(_ path: String) -> String {
        let lower = path.lowercased()
        guard let suffix = [".gz", ".zst", ".zstd"].first(where: lower.hasSuffix) else { return lower }
        return String(lower.dropLast(suffix.count))
    }

    /// Refuses binary data: a NUL byte in the first bytes of a file read as text.
    private static func checkNoNUL(_ head: [UInt8], path: String) throws {
        if let zero = head.firstIndex(of: 0) {
            throw RaiseError.file(path: path, detail: "holds a NUL byte (at byte \(zero + 1)): binary data, not an instruction or text file")
        }
    }

    /// Refuses text in UTF-16 or UTF-32 (a byte-order mark, or the NUL bytes of ASCII in those encodings),
    /// naming the encoding: raise reads UTF-8.
    private static func checkEncoding(_ head: [UInt8], path: String) throws {
        let encoding: String?
        if head.starts(with: [0x00, 0x00, 0xFE, 0xFF]) || head.starts(with: [0xFF, 0xFE, 0x00, 0x00]) {
            encoding = "UTF-32"
        } else if head.starts(with: [0xFE, 0xFF]) || head.starts(with: [0xFF, 0xFE]) {
            encoding = "UTF-16"
        } else if head.count >= 4, (head[0] == 0) != (head[1] == 0), (head[2] == 0) != (head[3] == 0) {
            encoding = "UTF-16 (no byte-order mark)"
        } else {
            encoding = nil
        }
        if let encoding {
            throw RaiseError.file(path: path, detail: "is \(encoding) text; raise reads UTF-8: convert it first, e.g. `iconv -f UTF-16 -t UTF-8`")
        }
    }

    /// The schema the first record's keys name (`RecordDecoder.schema(of:)`); the instruction schema for a
    /// first record that does not parse.
    private static func detectSchema(path: String, container: DataContainer, fields: [String: String], maxRecordBytes: Int) throws -> RecordSchema {
        var first: JSONObject?
        try JSONRecordStream(path: path, container: container, maxRecordBytes: maxRecordBytes).forEach { element in
            first = (try? element.parse())?.objectValue
            return false
        }
        return first.map(RecordDecoder(path: path, options: ReadOptions(fields: fields)).schema(of:)) ?? .instruction
    }
}
