// ParquetCursor: a bounds-checked reader of bytes — Parquet pages, Snappy and LZ4 blocks, and the Thrift
// metadata of footers and page headers all read through it: bytes, little-endian integers, varints,
// zigzag integers, bounded counts and bit-packed runs, each read checked against the end, so damaged
// data is an error, never a crash.

/// A cursor over bytes (a page's, a compressed block's, or Thrift metadata's); every read is checked against its end.
struct ParquetCursor {
    let bytes: ArraySlice<UInt8>
    var position: Int
    let end: Int

    /// A cursor over `bytes[start..<end]` (by default all of `bytes`; positions are the slice's indices).
    init(_ bytes: ArraySlice<UInt8>, from start: Int? = nil, to end: Int? = nil) {
        self.bytes = bytes
        position = start ?? bytes.startIndex
        self.end = end ?? bytes.endIndex
    }

    /// The bytes left to read.
    var remaining: Int { end - position }

    /// The next byte.
    mutating func byte() throws -> UInt8 {
        guard position < end else { throw ParquetError("the data ends early") }
        defer { position += 1 }
        return bytes[position]
    }

    /// The next `count` bytes.
    mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else { throw ParquetError("a value of \(count) bytes runs past the end of its data") }
        defer { position += count }
        return bytes[position..<position + count]
    }

    /// `count` bytes as a little-endian unsigned integer (at most 8).
    mutating func littleEndian(_ count: Int) throws -> UInt64 {
        try take(count).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// An unsigned LEB128 varint.
    mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 7) {
            let b = try byte()
            value |= UInt64(b & 0x7F) << UInt64(shift)
            if b & 0x80 == 0 { return value }
        }
        throw ParquetError("a varint longer than 10 bytes")
    }

    /// A zigzag-coded signed varint.
    mutating func zigZag() throws -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    /// A count that cannot exceed `limit` (so a damaged count cannot ask for unbounded memory).
    mutating func count(atMost limit: Int) throws -> Int {
        let raw = try varint()
        guard raw <= UInt64(limit) else { throw ParquetError("a count of \(raw) where at most \(limit) fit") }
        return Int(raw)
    }

    /// `count` values of `width` bits packed least significant bit first (the hybrid's and the deltas' packing).
    mutating func bitPacked(_ count: Int, width: Int) throws -> [UInt64] {
        guard width <= 64 else { throw ParquetError("values packed in \(width) bits") }
        let packed = try take((count * width + 7) / 8)
        var values = [UInt64](repeating: 0, count: count)
        guard width > 0 else { return values }
        var bit = 0
        for i in 0..<count {
            var value: UInt64 = 0
            for k in 0..<width {
                let at = bit + k
                value |= UInt64(packed[packed.startIndex + at >> 3] >> UInt8(at & 7) & 1) << UInt64(k)
            }
            values[i] = value
            bit += width
        }
        return values
    }
}
