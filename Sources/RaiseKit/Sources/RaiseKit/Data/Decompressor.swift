// Decompressor: gzip (or zlib) data inflated by zlib and Zstandard data decompressed by libzstd, a buffer
// at a time; concatenated gzip members and Zstandard frames are decompressed one after another.
// CompressedInput streams a file through one, and a Parquet GZIP or ZSTD page goes through one whole.
@_implementationOnly import CZlib
@_implementationOnly import CZstd

/// Why compressed data could not be decompressed; the caller names the file or page.
struct DecompressionError: Error, CustomStringConvertible {
    let description: String
}

/// The state of one gzip or Zstandard decompression.
final class Decompressor {
    /// The compressed formats.
    enum Format: String {
        case gzip, zstd

        /// The format whose magic number `head` starts with, if any.
        init?(head: [UInt8]) {
            if head.starts(with: [0x1F, 0x8B]) { self = .gzip } else if head.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) { self = .zstd } else { return nil }
        }
    }

    let format: Format
    /// Whether the data so far ends where a gzip member or Zstandard frame ends (nothing read is still open).
    private(set) var complete = true
    private var gzip: UnsafeMutablePointer<z_stream>?
    private var zstd: OpaquePointer?

    /// A decompressor of `format` data.
    ///
    /// - Throws: `DecompressionError` when zlib or libzstd cannot start.
    init(_ format: Format) throws {
        self.format = format
        switch format {
        case .gzip:
            // zlib keeps a pointer to its stream: the stream must not move, so it lives on the heap.
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            // 15 + 32: a window of 2^15 bytes, and a gzip or zlib header detected.
            guard inflateInit2_(stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                stream.deallocate()
                throw DecompressionError(description: "zlib could not start")
            }
            gzip = stream
        case .zstd:
            guard let stream = ZSTD_createDStream() else { throw DecompressionError(description: "libzstd could not start") }
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

    /// Decompresses what it can of `input` into `output`: the bytes of `input` consumed and of `output`
    /// written (both 0 when it needs more input, or more room to write).
    ///
    /// - Throws: `DecompressionError` for damaged data.
    func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> (consumed: Int, produced: Int) {
        switch format {
        case .gzip:
            let stream = gzip!
            if complete { inflateReset(stream) }  // a new member starts (the first, or one after another)
            stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = UInt32(input.count)
            stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = UInt32(output.count)
            let status = inflate(stream, Z_NO_FLUSH)
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                throw DecompressionError(description: "zlib: \(stream.pointee.msg.map { String(cString: $0) } ?? "status \(status)")")
            }
            complete = status == Z_STREAM_END
            return (input.count - Int(stream.pointee.avail_in), output.count - Int(stream.pointee.avail_out))
        case .zstd:
            var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
            var outBuffer = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
            let hint = ZSTD_decompressStream(zstd, &outBuffer, &inBuffer)
            guard ZSTD_isError(hint) == 0 else { throw DecompressionError(description: "libzstd: \(String(cString: ZSTD_getErrorName(hint)))") }
            complete = hint == 0
            return (inBuffer.pos, outBuffer.pos)
        }
    }

    /// `input` decompressed whole, when it holds at most `limit` bytes (a Parquet page, whose size is known).
    ///
    /// - Throws: `DecompressionError` for damaged data, data cut inside a member or frame, or more than `limit` bytes.
    func decompressWhole(_ input: ArraySlice<UInt8>, limit: Int) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: limit)
        var consumed = 0, produced = 0
        try input.withUnsafeBytes { source in
            try output.withUnsafeMutableBytes { target in
                while consumed < source.count {
                    let step = try decompress(UnsafeRawBufferPointer(rebasing: source[consumed...]),
                                              into: UnsafeMutableRawBufferPointer(rebasing: target[produced...]))
                    guard step.consumed + step.produced > 0 else {
                        throw DecompressionError(description: produced == limit ? "decompresses to more than \(limit) bytes" : "decompression stalls")
                    }
                    consumed += step.consumed
                    produced += step.produced
                }
            }
        }
        guard complete else { throw DecompressionError(description: "ends inside its \(format.rawValue) data") }
        return Array(output[..<produced])
    }
}
