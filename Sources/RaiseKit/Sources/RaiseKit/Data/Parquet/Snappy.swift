// Snappy: decompression of Snappy's raw block format (github.com/google/snappy, format_description.txt),
// the default codec of Parquet files written by pyarrow, pandas and Hugging Face datasets. A block is its
// length as a varint, then literals and back-references (copies) into what was already written.

/// Snappy block decompression.
enum Snappy {
    /// The decompressed bytes of one block.
    ///
    /// - Throws: `ParquetError` when the block is damaged: a length or copy that runs outside the data.
    static func decompress(_ input: ArraySlice<UInt8>) throws -> [UInt8] {
        var cursor = ParquetCursor(input)
        let stated = try cursor.varint()
        guard stated <= 1 << 32 else { throw ParquetError("a Snappy block says it holds \(stated) bytes") }
        let length = Int(stated)
        var output = [UInt8]()
        output.reserveCapacity(length)
        while cursor.remaining > 0 {
            let tag = Int(try cursor.byte())
            if tag & 3 == 0 {  // a literal: its length - 1 in the tag, or in the 1-4 bytes after it
                let small = tag >> 2
                let count = (small < 60 ? small : Int(try cursor.littleEndian(small - 59))) + 1
                guard count <= length - output.count else { throw ParquetError("a Snappy literal runs past the block") }
                output.append(contentsOf: try cursor.take(count))
                continue
            }
            // A copy of earlier output, which may overlap what it writes.
            let (count, offset): (Int, Int)
            switch tag & 3 {
            case 1: (count, offset) = (4 + (tag >> 2) & 7, (tag >> 5) << 8 | Int(try cursor.byte()))
            case 2: (count, offset) = (1 + tag >> 2, Int(try cursor.littleEndian(2)))
            default: (count, offset) = (1 + tag >> 2, Int(try cursor.littleEndian(4)))
            }
            try ParquetCompression.copyBack(&output, offset: offset, count: count, size: length, codec: "Snappy")
        }
        guard output.count == length else { throw ParquetError("a Snappy block gives \(output.count) bytes where it says \(length)") }
        return output
    }
}
