// ByteReader: reads a file in chunks of 1 MiB (or the whole file when it is smaller) and hands out bytes
// or whole lines, keeping the 1-based line and column of the next byte. A gzip or Zstandard file is read
// decompressed (CompressedInput), its lines and columns those of the text it holds. Memory stays bounded
// by one chunk plus the longest line, which may not exceed a stated limit; a read error is an error naming
// the file, never a silent end. Only files are read: InputFile opens the file, and refuses a folder, a
// pipe, a FIFO or a device.

/// A buffered, position-tracking reader of one file.
final class ByteReader {
    let path: String
    private let file: InputFile
    /// The buffer: 1 MiB, or the size of a smaller regular file (plus one byte to see its end).
    private var chunk: [UInt8]
    /// How many bytes of `chunk` hold data.
    private var filled = 0
    /// The decompressor of a gzip or Zstandard file; nil for any other file.
    private var compressed: CompressedInput?
    private var index = 0
    private var atEnd = false
    /// The line of the next byte.
    private(set) var line = 1
    /// The column (in bytes) of the next byte.
    private(set) var column = 1
    /// The longest line `nextLine` returns, in bytes.
    let maxLineBytes: Int

    /// Opens `path`.
    ///
    /// - Throws: `RaiseError.file` when it cannot be opened, is a folder, a pipe, a FIFO or a device.
    init(path: String, maxLineBytes: Int = ReadOptions.defaultMaxRecordBytes) throws {
        self.path = path
        self.maxLineBytes = maxLineBytes
        file = try InputFile(path: path)
        if let format = Decompressor.Format(head: try file.read(at: 0, count: 4)) {
            compressed = try CompressedInput(format, file: file)
        }
        chunk = [UInt8](repeating: 0, count: compressed == nil ? min(1 << 20, file.size + 1) : 1 << 20)
    }

    /// Reads the next chunk; false at the end of the file.
    ///
    /// - Throws: `RaiseError.file` naming the file when the read fails (a disk error): never a silent end.
    private func refill() throws -> Bool {
        guard !atEnd else { return false }
        let count = try compressed?.read(into: &chunk) ?? file.read(into: &chunk)
        guard count > 0 else {
            atEnd = true
            return false
        }
        filled = count
        index = 0
        return true
    }

    /// The next byte without consuming it, or nil at the end.
    func peek() throws -> UInt8? {
        if index >= filled, try !refill() { return nil }
        return chunk[index]
    }

    /// Every byte left (a small file: a config, a vocabulary). Read through `read`, never mapped: Foundation
    /// leaks a page when it reads an empty file.
    func readToEnd() throws -> [UInt8] {
        var bytes = [UInt8]()
        repeat {
            bytes.append(contentsOf: chunk[index..<filled])
            index = filled
        } while try refill()
        return bytes
    }

    /// Up to `count` bytes from the start (consumed): what format detection looks at.
    func prefix(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8]()
        while bytes.count < count, let byte = try next() { bytes.append(byte) }
        return bytes
    }

    /// Consumes and returns the next byte, or nil at the end.
    func next() throws -> UInt8? {
        guard let byte = try peek() else { return nil }
        index += 1
        if byte == 0x0A { line += 1; column = 1 } else { column += 1 }
        return byte
    }

    /// The next line without its "\n" (and its "\r", unless `keepingCarriageReturn`: a CSV reader keeps it
    /// until it knows whether the line break fell inside a quoted field), or nil at the end of the file.
    ///
    /// - Throws: `RaiseError.content` naming the line when it is longer than `maxLineBytes`.
    func nextLine(keepingCarriageReturn: Bool = false) throws -> [UInt8]? {
        guard try peek() != nil else { return nil }
        let start = line
        var result = [UInt8]()
        while true {
            if index >= filled, try !refill() { break }
            if let newline = chunk[index..<filled].firstIndex(of: 0x0A) {
                result.append(contentsOf: chunk[index..<newline])
                index = newline + 1
                line += 1
                column = 1
                break
            }
            result.append(contentsOf: chunk[index..<filled])
            index = filled
            if result.count > maxLineBytes { throw tooLong(line: start) }
        }
        if result.count > maxLineBytes { throw tooLong(line: start) }
        if result.last == 0x0D, !keepingCarriageReturn { result.removeLast() }
        return result
    }

    /// The error for a line, record or document longer than `maxLineBytes`, starting at `line`.
    func tooLong(line: Int) -> RaiseError { ByteReader.tooLong(path: path, line: line, limit: maxLineBytes) }

    /// The error for a line, record or document of `path` longer than `limit` bytes, starting at `line`.
    static func tooLong(path: String, line: Int, limit: Int) -> RaiseError {
        RaiseError.content(path: path, line: line, column: nil,
                           detail: "longer than \(limit) bytes (--max-record-bytes): not an instruction file, or a record too large to read")
    }
}
