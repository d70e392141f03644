// CompressedInput: gzip and Zstandard files decompressed as they are read, so that `pool.jsonl.gz` or
// `shard.jsonl.zst` reads like the file it holds: ByteReader takes its chunks from here when a file starts
// with either format's magic number. Concatenated gzip members and Zstandard frames are read one after
// another; a file that ends inside one, or damaged data, is an error naming the file.
@_implementationOnly import CZlib
@_implementationOnly import CZstd
import Foundation

/// A compressed file's decompressed bytes, a chunk at a time.
final class CompressedInput {
    /// The compression formats recognised by their first bytes.
    enum Format: String {
        case gzip, zstd

        /// The format whose magic number `head` starts with, if any.
        init?(head: [UInt8]) {
            if head.starts(with: [0x1F, 0x8B]) { self = .gzip } else if head.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) { self = .zstd } else { return nil }
        }
    }

    let format: Format
    private let path: String
    private let descriptor: Int32
    /// Compressed bytes read from the file and not yet decompressed: `input[inputStart..<inputEnd]`.
    private var input = [UInt8](repeating: 0, count: 1 << 16)
    private var inputStart = 0, inputEnd = 0
    private var fileEnded = false
    /// Whether the last gzip member or Zstandard frame was complete (nothing read is still open).
    private var complete = true
    private var gzip: UnsafeMutablePointer<z_stream>?
    private var zstd: OpaquePointer?

    /// Decompresses `format` data read from `descriptor` (the open file `path`).
    init(_ format: Format, descriptor: Int32, path: String) throws {
        self.format = format
        self.descriptor = descriptor
        self.path = path
        switch format {
        case .gzip:
            // zlib keeps a pointer to its stream: the stream must not move, so it lives on the heap.
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            guard inflateInit2_(stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                stream.deallocate()
                throw RaiseError.file(path: path, detail: "zlib could not start")
            }
            gzip = stream
        case .zstd:
            guard let stream = ZSTD_createDStream() else { throw RaiseError.file(path: path, detail: "libzstd could not start") }
            zstd = stream
        }
    }

    deinit {
        if let gzip {
            inflateEnd(gzip)
            gzip.deallocate()
        }
        if let zstd { ZSTD_freeDStream(zstd) }
    }

    /// Fills the start of `output` with the next decompressed bytes; their count, 0 at the end of the data.
    ///
    /// - Throws: `RaiseError.file` naming the file for damaged data, a file that ends inside a member or
    ///   frame, or a failed read.
    func read(into output: inout [UInt8]) throws -> Int {
        while true {
            if inputStart == inputEnd, !fileEnded { try readInput() }
            if inputStart == inputEnd, fileEnded {
                guard complete else { throw RaiseError.file(path: path, detail: "ends inside its \(format.rawValue) data: the file is cut short") }
                return 0
            }
            let before = inputStart
            let produced = try decompress(into: &output)
            if produced > 0 { return produced }
            guard inputStart > before else { throw RaiseError.file(path: path, detail: "its \(format.rawValue) data is damaged: decompression stalls") }
        }
    }

    /// Reads the next compressed bytes from the file.
    private func readInput() throws {
        var count: Int
        repeat {
            count = input.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) }
        } while count < 0 && errno == EINTR
        guard count >= 0 else { throw RaiseError.file(path: path, detail: "read failed: \(String(cString: strerror(errno)))") }
        (inputStart, inputEnd, fileEnded) = (0, count, count == 0)
    }

    /// Decompresses what it can of the buffered input into `output`; the bytes written (0 when it needs more input).
    private func decompress(into output: inout [UInt8]) throws -> Int {
        let available = inputEnd - inputStart
        var consumed = 0, produced = 0
        try input.withUnsafeMutableBufferPointer { source in
            try output.withUnsafeMutableBufferPointer { target in
                let next = source.baseAddress! + inputStart
                switch format {
                case .gzip:
                    let stream = gzip!
                    if complete { inflateReset(stream) }  // a new member starts (the first, or one after another)
                    stream.pointee.next_in = next
                    stream.pointee.avail_in = UInt32(available)
                    stream.pointee.next_out = target.baseAddress
                    stream.pointee.avail_out = UInt32(target.count)
                    let status = inflate(stream, Z_NO_FLUSH)
                    guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                        throw RaiseError.file(path: path, detail: "its gzip data is damaged (zlib: \(stream.pointee.msg.map { String(cString: $0) } ?? "status \(status)"))")
                    }
                    consumed = available - Int(stream.pointee.avail_in)
                    produced = target.count - Int(stream.pointee.avail_out)
                    complete = status == Z_STREAM_END
                case .zstd:
                    var inBuffer = ZSTD_inBuffer(src: next, size: available, pos: 0)
                    var outBuffer = ZSTD_outBuffer(dst: target.baseAddress, size: target.count, pos: 0)
                    let hint = ZSTD_decompressStream(zstd, &outBuffer, &inBuffer)
                    guard ZSTD_isError(hint) == 0 else {
                        throw RaiseError.file(path: path, detail: "its zstd data is damaged (\(String(cString: ZSTD_getErrorName(hint))))")
                    }
                    consumed = inBuffer.pos
                    produced = outBuffer.pos
                    complete = hint == 0
                }
            }
        }
        inputStart += consumed
        return produced
    }
}
