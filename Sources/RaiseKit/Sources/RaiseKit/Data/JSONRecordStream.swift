// JSONRecordStream: the JSON objects of a JSON array file or a JSONL file, one at a time, each with
// the line and column where it starts. Memory is bounded by one record, not the file: the array is
// split at its top-level commas by a scanner that tracks strings and nesting, then each element is
// parsed on its own, so one malformed record does not hide the others.

/// One record's JSON text and where it starts.
struct JSONElement {
    let bytes: [UInt8]
    let line: Int
    let column: Int
    let path: String

    /// The parsed value; errors carry positions in the file.
    func parse() throws -> JSONValue {
        do {
            return try JSONValue.parse(bytes)
        } catch {
            throw RaiseError.content(path: path, line: line + error.line - 1,
                                     column: error.line == 1 ? column + error.column - 1 : error.column, detail: error.message)
        }
    }
}

/// Streams the top-level objects of a JSON array or JSONL file.
struct JSONRecordStream {
    let path: String
    let container: DataContainer
    /// The longest record (a line of JSON lines, an object of an array), in bytes.
    let maxRecordBytes: Int

    /// Calls `body` with each element until it returns false or the file ends.
    ///
    /// - Throws: `RaiseError.content` for a broken array structure (which ends the stream: the rest of the
    ///   file cannot be split into records), and whatever `body` throws.
    func forEach(_ body: (JSONElement) throws -> Bool) throws {
        let reader = try ByteReader(path: path, maxLineBytes: maxRecordBytes)
        if container == .jsonLines {
            while true {
                let line = reader.line
                guard var bytes = try reader.nextLine() else { return }
                if line == 1 && bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }  // a UTF-8 byte-order mark
                if bytes.allSatisfy({ [0x20, 0x09, 0x0D].contains($0) }) { continue }
                if try !body(JSONElement(bytes: bytes, line: line, column: 1, path: path)) { return }
            }
        }
        func fail(_ detail: String) -> RaiseError { .content(path: path, line: reader.line, column: reader.column, detail: detail) }
        func skipWhitespace() throws {
            while let b = try reader.peek(), [0x20, 0x0A, 0x0D, 0x09].contains(b) { _ = try reader.next() }
        }
        try skipWhitespace()
        if try reader.peek() == 0xEF { for _ in 0..<3 { _ = try reader.next() } }  // UTF-8 byte-order mark
        guard try reader.next() == UInt8(ascii: "[") else { throw fail("expected '[' to open the JSON array of records") }
        try skipWhitespace()
        if try reader.peek() == UInt8(ascii: "]") { return }
        while true {
            try skipWhitespace()
            let (line, column) = (reader.line, reader.column)
            guard try reader.peek() == UInt8(ascii: "{") else { throw fail("expected a JSON object (a record)") }
            let bytes = try scanObject(reader, start: (line, column))
            if try !body(JSONElement(bytes: bytes, line: line, column: column, path: path)) { return }
            try skipWhitespace()
            switch try reader.next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "]"):
                try skipWhitespace()
                if try reader.peek() != nil { throw fail("unexpected content after the closing ']'") }
                return
            case nil: throw fail("unexpected end of file: the JSON array is not closed with ']'")
            default: throw RaiseError.content(path: path, line: reader.line, column: reader.column - 1,
                                              detail: "expected ',' or ']' after a record")
            }
        }
    }

    /// The bytes of one object, from its '{' to the matching '}', skipping braces inside strings.
    private func scanObject(_ reader: ByteReader, start: (Int, Int)) throws -> [UInt8] {
        var bytes = [UInt8]()
        var depth = 0, inString = false, escaped = false
        while let b = try reader.next() {
            bytes.append(b)
            if bytes.count > maxRecordBytes { throw reader.tooLong(line: start.0) }
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch b {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { return bytes }
            default: break
            }
        }
        throw RaiseError.content(path: path, line: start.0, column: start.1,
                                 detail: "unexpected end of file inside the record that starts here")
    }
}
