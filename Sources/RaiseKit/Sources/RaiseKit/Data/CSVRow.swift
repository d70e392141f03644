// CSVRow: splits RFC 4180 CSV text into fields — commas separate, double quotes enclose fields that
// hold commas, quotes ("") or newlines. A row may span lines inside quotes. And the reverse: a row
// written from fields, quoted where a field needs it.

/// CSV field splitting and joining.
enum CSVRow {
    /// The fields of `row`, or nil when a quoted field is still open at its end (more lines needed).
    static func fields(_ row: String) -> [String]? {
        var fields = [String]()
        var field = ""
        var inQuotes = false
        var characters = row[...]
        while let c = characters.popFirst() {
            if inQuotes {
                if c == "\"" {
                    if characters.first == "\"" {
                        field.append("\"")
                        characters = characters.dropFirst()
                    } else {
                        inQuotes = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == "," {
                fields.append(field)
                field = ""
            } else if c == "\"" && field.isEmpty {
                inQuotes = true
            } else {
                field.append(c)
            }
        }
        if inQuotes { return nil }
        fields.append(field)
        return fields
    }

    /// The fields of the first row of the file at `path` (a leading byte-order mark skipped), or nil when
    /// it has none that can be read (empty, not UTF-8, or a quote never closed: the reader reports those).
    ///
    /// - Throws: `RaiseError` when the file cannot be opened, or its first row is longer than `maxRecordBytes`.
    static func first(path: String, maxRecordBytes: Int) throws -> [String]? {
        let reader = try ByteReader(path: path, maxLineBytes: maxRecordBytes)
        var row: String?
        while let bytes = try reader.nextLine(keepingCarriageReturn: true) {
            guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
            let joined = row.map { $0 + "\n" + text } ?? String(text.drop { $0 == "\u{FEFF}" })
            if let fields = fields(withoutLineBreak(joined)) { return fields }
            if joined.utf8.count > maxRecordBytes { throw reader.tooLong(line: 1) }
            row = joined
        }
        return nil
    }

    /// `row` without the "\r" of a "\r\n" line break at its end: a line read with its carriage return kept,
    /// which is the line break's when the row ends there.
    static func withoutLineBreak(_ row: String) -> String {
        row.utf8.last == 0x0D ? String(row.dropLast()) : row
    }

    /// One CSV row of `fields`, without its newline: a field holding a comma, quote or line break is
    /// quoted, its quotes doubled.
    static func line(_ fields: [String]) -> String {
        fields.map { field in
            field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
                ? "\"" + field.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\"" : field
        }.joined(separator: ",")
    }
}
