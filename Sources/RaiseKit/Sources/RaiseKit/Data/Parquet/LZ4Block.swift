// LZ4Block: decompression of LZ4's block format (github.com/lz4/lz4, lz4_Block_format.md), Parquet's
// LZ4_RAW codec. A block is a run of sequences: a token, literals, then a match copied from earlier output.

/// LZ4 block decompression.
enum LZ4Block {
    /// The decompressed bytes of one block, which must come to `size` bytes.
    ///
    /// - Throws: `ParquetError` when the block is damaged.
    static func decompress(_ input: ArraySlice<UInt8>, size: Int) throws -> [UInt8] {
        var cursor = ParquetCursor(input)
        /// A length of 15 in the token goes on in bytes of 255 until a smaller one.
        func extended(_ base: Int) throws -> Int {
            guard base == 15 else { return base }
            var total = base
            while true {
                let b = Int(try cursor.byte())
                total += b
                guard total <= size else { throw ParquetError("an LZ4 length runs past the page") }
                if b != 255 { return total }
            }
        }
        var output = [UInt8]()
        output.reserveCapacity(size)
        while cursor.remaining > 0 {
            let token = Int(try cursor.byte())
            let literals = try extended(token >> 4)
            guard literals <= size - output.count else { throw ParquetError("an LZ4 literal runs past the page") }
            output.append(contentsOf: try cursor.take(literals))
            if cursor.remaining == 0 { break }  // the last sequence has no match
            let offset = Int(try cursor.littleEndian(2))
            let count = try extended(token & 15) + 4
            try ParquetCompression.copyBack(&output, offset: offset, count: count, size: size, codec: "LZ4")
        }
        guard output.count == size else { throw ParquetError("an LZ4 block gives \(output.count) bytes where the page says \(size)") }
        return output
    }
}
