// CompressedInput: gzip and Zstandard files decompressed as they are read, so that `pool.jsonl.gz` or
// `shard.jsonl.zst` reads like the file it holds: ByteReader takes its chunks from here when a file starts
// with either format's magic number. Concatenated gzip members and Zstandard frames are read one after
// another (Decompressor); a file that ends inside one, or damaged data, is an error naming the file.

/// A compressed file's decompressed bytes, a chunk at a time.
final class CompressedInput {
    private let file: InputFile
    private let decompressor: Decompressor
    private var path: String { file.path }
    private var format: String { decompressor.format.rawValue }
    /// Compressed bytes read from the file and not yet decompressed: `input[inputStart..<inputEnd]`.
    private var input = [UInt8](repeating: 0, count: 1 << 16)
    private var inputStart = 0, inputEnd = 0
    private var fileEnded = false

    /// Decompresses `format` data read from `file` (from its current position).
    ///
    /// - Throws: `RaiseError.file` naming the file when zlib or libzstd cannot start.
    init(_ format: Decompressor.Format, file: InputFile) throws {
        self.file = file
        do {
            decompressor = try Decompressor(format)
        } catch {
            throw RaiseError.file(path: file.path, detail: "\(error)")
        }
    }

    /// Fills the start of `output` with the next decompressed bytes; their count, 0 at the end of the data.
    ///
    /// - Throws: `RaiseError.file` naming the file for damaged data, a file that ends inside a member or
    ///   frame, or a failed read.
    func read(into output: inout [UInt8]) throws -> Int {
        while true {
            if inputStart == inputEnd, !fileEnded {
                (inputStart, inputEnd) = (0, try file.read(into: &input))
                fileEnded = inputEnd == 0
            }
            if inputStart == inputEnd, fileEnded {
                guard decompressor.complete else { throw RaiseError.file(path: path, detail: "ends inside its \(format) data: the file is cut short") }
                return 0
            }
            let step: (consumed: Int, produced: Int)
            do {
                step = try input.withUnsafeBytes { source in
                    try output.withUnsafeMutableBytes { target in
                        try decompressor.decompress(UnsafeRawBufferPointer(rebasing: source[inputStart..<inputEnd]), into: target)
                    }
                }
            } catch {
                throw RaiseError.file(path: path, detail: "its \(format) data is damaged (\(error))")
            }
            inputStart += step.consumed
            if step.produced > 0 { return step.produced }
            guard step.consumed > 0 else { throw RaiseError.file(path: path, detail: "its \(format) data is damaged: decompression stalls") }
        }
    }
}
