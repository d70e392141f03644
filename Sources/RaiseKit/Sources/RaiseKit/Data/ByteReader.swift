// ByteReader: reads a file in 1 MiB chunks and hands out bytes or whole lines, keeping the 1-based
// line and column of the next byte. Memory stays bounded by one chunk plus the longest line.
import Foundation

/// A buffered, position-tracking reader of one file.
final class ByteReader {
    let path: String
    private let handle: FileHandle
    private var chunk: [UInt8] = []
    private var index = 0
    private var atEnd = false
    /// The line of the next byte.
    private(set) var line = 1
    /// The column (in bytes) of the next byte.
    private(set) var column = 1

    /// Opens `path`.
    ///
    /// - Throws: `RaiseError.file` when it cannot be opened.
    init(path: String) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let handle = FileHandle(forReadingAtPath: path) else {
            throw RaiseError.file(path: path, detail: "cannot open: no such readable file")
        }
        self.handle = handle
    }

    deinit { try? handle.close() }

    private func refill() -> Bool {
        guard !atEnd else { return false }
        let data = (try? handle.read(upToCount: 1 << 20)) ?? nil
        guard let data, !data.isEmpty else {
            atEnd = true
            return false
        }
        chunk = [UInt8](data)
        index = 0
        return true
    }

    /// The next byte without consuming it, or nil at the end.
    func peek() -> UInt8? {
        if index >= chunk.count, !refill() { return nil }
        return chunk[index]
    }

    /// Consumes and returns the next byte, or nil at the end.
    func next() -> UInt8? {
        guard let byte = peek() else { return nil }
        index += 1
        if byte == 0x0A { line += 1; column = 1 } else { column += 1 }
        return byte
    }

    /// The next line without its "\n" (and "\r"), or nil at the end of the file.
    func nextLine() -> [UInt8]? {
        guard peek() != nil else { return nil }
        var result = [UInt8]()
        while true {
            if index >= chunk.count, !refill() { break }
            if let newline = chunk[index...].firstIndex(of: 0x0A) {
                result.append(contentsOf: chunk[index..<newline])
                index = newline + 1
                line += 1
                column = 1
                break
            }
            result.append(contentsOf: chunk[index...])
            index = chunk.count
        }
        if result.last == 0x0D { result.removeLast() }
        return result
    }
}
