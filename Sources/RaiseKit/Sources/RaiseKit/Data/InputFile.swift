// InputFile: a file raise reads, opened with the checks every input gets and read with the loop every
// reader needs. A folder, pipe, FIFO, socket or device is refused (a pipe before it is opened: opening
// one would wait for a writer, and raise reads its input more than once — to detect the format, to count
// it — which a pipe cannot give). Reads retry when a signal interrupts them, and a failed read is an
// error naming the file, never a silent end. ByteReader, CompressedInput and ParquetFile read through it.
import Foundation

/// An open input file (a regular file: anything else is refused).
final class InputFile {
    let path: String
    /// The file's size in bytes when it was opened.
    let size: Int
    private let descriptor: Int32

    /// Opens `path` for reading.
    ///
    /// - Throws: `RaiseError.file` when it cannot be opened, is a folder, a pipe, a FIFO, a socket or a device.
    init(path: String) throws {
        self.path = path
        var kind = stat()
        if stat(path, &kind) == 0, ![S_IFREG, S_IFDIR].contains(kind.st_mode & S_IFMT) {
            let what = kind.st_mode & S_IFMT == S_IFIFO ? "a pipe or FIFO" : kind.st_mode & S_IFMT == S_IFSOCK ? "a socket" : "a device"
            throw RaiseError.file(path: path, detail: "is \(what), not a file: raise reads its input more than once (to detect the format, "
                                  + "to count it); save it to a file first, e.g. `cat … > pool.jsonl`")
        }
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw RaiseError.file(path: path, detail: "cannot open: \(String(cString: strerror(errno)))") }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw RaiseError.file(path: path, detail: "cannot open: \(reason)")
        }
        guard status.st_mode & S_IFMT != S_IFDIR else {
            close(descriptor)
            throw RaiseError.file(path: path, detail: "cannot open: it is a folder")
        }
        size = Int(status.st_size)
    }

    deinit { close(descriptor) }

    /// Reads the file's next bytes into the start of `buffer`: their count, 0 at the end of the file.
    ///
    /// - Throws: `RaiseError.file` naming the file when the read fails.
    func read(into buffer: inout [UInt8]) throws -> Int {
        try retrying { buffer.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) } }
    }

    /// Up to `count` bytes from `offset`, fewer only where the file ends; the file's position is unchanged.
    ///
    /// - Throws: `RaiseError.file` naming the file when a read fails.
    func read(at offset: Int, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = try retrying { bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, count - done, off_t(offset + done)) } }
            if got == 0 { break }
            done += got
        }
        return Array(bytes[..<done])
    }

    /// The result of the system call `call`, made again while a signal interrupts it.
    private func retrying(_ call: () -> Int) throws -> Int {
        var count: Int
        repeat { count = call() } while count < 0 && errno == EINTR
        guard count >= 0 else { throw RaiseError.file(path: path, detail: "read failed: \(String(cString: strerror(errno)))") }
        return count
    }
}
