// InstructionReader: streams the records of one instruction file in any supported format, checking
// each one. By default the first invalid record stops the read with `file:line[:column]: message` (a
// Parquet file's row number stands for the line); with `skipInvalid` invalid records are counted and
// listed instead, and the read goes on.

/// Reads the records of one file.
public final class InstructionReader {
    /// The file.
    public let path: String
    /// Its format, given or detected.
    public let format: DataFormat
    /// Invalid records skipped so far (with `skipInvalid`).
    public private(set) var skipped: [SkippedRecord] = []
    /// Records left out by the `--where` filters so far.
    public private(set) var filteredOut = 0
    private let options: ReadOptions
    private let decoder: RecordDecoder

    /// A reader for `path`; detects the format unless `options.format` names one.
    ///
    /// - Throws: `RaiseError` for a missing file or an unknown format name.
    public init(path: String, options: ReadOptions = ReadOptions()) throws {
        self.path = path
        self.options = options
        format = try DataFormat.resolve(path: path, name: options.format, fields: options.fields, maxRecordBytes: options.maxRecordBytes)
        decoder = RecordDecoder(path: path, options: options)
        if let columns = format.columns { try decoder.checkHeader(columns) }
    }

    /// Reads a whole file into memory.
    public static func readAll(path: String, options: ReadOptions = ReadOptions()) throws -> (records: [InstructionRecord], reader: InstructionReader) {
        let reader = try InstructionReader(path: path, options: options)
        var records = [InstructionRecord]()
        try reader.forEach { records.append($0) }
        return (records, reader)
    }

    /// Calls `body` with each valid record in file order.
    ///
    /// - Throws: `RaiseError.content` for the first invalid record (unless skipping), or a broken file
    ///   structure; whatever `body` throws.
    public func forEach(_ body: (InstructionRecord) throws -> Void) throws {
        switch format.container {
        case .jsonArray, .jsonLines:
            try JSONRecordStream(path: path, container: format.container, maxRecordBytes: options.maxRecordBytes).forEach { element in
                try checked(line: element.line) { try decodeKept(element.parse(), line: element.line, body) }
                return true
            }
        case .csv:
            try readLines(joinUntilComplete: true) { text, line in
                guard let fields = CSVRow.fields(text) else { return false }
                if let columns = format.columns {  // rows under the header, a blank line skipped
                    guard line > 1, !text.trimmingWhitespace.isEmpty else { return true }
                    try checked(line: line) { try decodeKept(.object(decoder.csvObject(fields, columns: columns, line: line)), line: line, body) }
                } else {
                    try checked(line: line) { try body(decoder.decodeMMLU(fields, rawLine: text, line: line)) }
                }
                return true
            }
        case .text:
            var document = [String](), start = 1, size = 0
            try readLines(joinUntilComplete: false) { text, line in
                if text.trimmingWhitespace.isEmpty {
                    if !document.isEmpty { try body(decoder.decodeText(document.joined(separator: "\n"), line: start)) }
                    (document, size) = ([], 0)
                } else {
                    if document.isEmpty { start = line }
                    document.append(text)
                    size += text.utf8.count + 1
                    if size > options.maxRecordBytes { throw tooLong(line: start) }
                }
                return true
            }
            if !document.isEmpty { try body(decoder.decodeText(document.joined(separator: "\n"), line: start)) }
        case .parquet:  // a row's number stands for its line
            try ParquetFile(path: path).forEachRow { row, number in
                try checked(line: number) { try decodeKept(.object(row), line: number, body) }
            }
        }
    }

    /// Passes the records of a JSON record (or a CSV row's columns) to `body`, unless a `--where` filter
    /// leaves it out.
    private func decodeKept(_ value: JSONValue, line: Int, _ body: (InstructionRecord) throws -> Void) throws {
        if let object = value.objectValue, !decoder.passesFilters(object) {
            filteredOut += 1
            return
        }
        for record in try decoder.decode(value, line: line) { try body(record) }
    }

    /// The error for a record or document longer than `options.maxRecordBytes`, starting at `line`.
    private func tooLong(line: Int) -> RaiseError { ByteReader.tooLong(path: path, line: line, limit: options.maxRecordBytes) }

    /// Runs `decode`; a content error becomes a skipped record when skipping, else it is thrown.
    private func checked(line: Int, _ decode: () throws -> Void) throws {
        do {
            try decode()
        } catch let error as RaiseError {
            guard options.skipInvalid, case .content = error else { throw error }
            skipped.append(SkippedRecord(path: path, line: line, message: error.description))
        }
    }

    /// Feeds UTF-8 lines to `handle(text, firstLine)`. With `joinUntilComplete`, a line for which the
    /// handler returns false is joined with the next (a CSV row open inside quotes), with the "\r" of a
    /// "\r\n" between them kept: it was inside the quotes.
    private func readLines(joinUntilComplete: Bool, _ handle: (String, Int) throws -> Bool) throws {
        let reader = try ByteReader(path: path, maxLineBytes: options.maxRecordBytes)
        var pending: String?
        var pendingLine = 1
        while true {
            let line = reader.line
            guard let bytes = try reader.nextLine(keepingCarriageReturn: joinUntilComplete) else { break }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                try checked(line: line) { throw RaiseError.content(path: path, line: line, column: nil, detail: "invalid UTF-8") }
                continue
            }
            let row = pending.map { $0 + "\n" + text } ?? (line == 1 ? String(text.drop { $0 == "\u{FEFF}" }) : text)
            if pending == nil { pendingLine = line }
            if row.utf8.count > options.maxRecordBytes { throw tooLong(line: pendingLine) }
            let complete = joinUntilComplete ? CSVRow.withoutLineBreak(row) : row
            if try handle(complete, pendingLine) || !joinUntilComplete { pending = nil } else { pending = row }
        }
        if pending != nil {
            try checked(line: pendingLine) {
                throw RaiseError.content(path: path, line: pendingLine, column: nil, detail: "unterminated quoted field")
            }
        }
    }
}
