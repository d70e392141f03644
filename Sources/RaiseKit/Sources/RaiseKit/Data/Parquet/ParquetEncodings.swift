// ParquetEncodings: the value and level encodings of Parquet pages (parquet-format, Encodings.md) —
// PLAIN, the RLE / bit-packing hybrid (levels, booleans and dictionary indices), DELTA_BINARY_PACKED,
// DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT — decoded from a ParquetCursor.

/// Decoders of Parquet's encodings.
enum ParquetEncodings {
    /// `count` values of the RLE / bit-packing hybrid of `width` bits (levels, dictionary indices, booleans).
    static func hybrid(_ cursor: inout ParquetCursor, count: Int, width: Int) throws -> [UInt64] {
        guard (0...64).contains(width) else { throw ParquetError("a bit width of \(width)") }
        var values = [UInt64]()
        values.reserveCapacity(count)
        while values.count < count {
            let header = try cursor.varint()
            if header & 1 == 0 {  // a run of one value
                let run = header >> 1
                guard run <= UInt64(count - values.count) else { throw ParquetError("an RLE run of \(run) where \(count - values.count) values are left") }
                let value = try cursor.littleEndian((width + 7) / 8)
                values.append(contentsOf: repeatElement(value, count: Int(run)))
            } else {  // groups of eight bit-packed values; the last group may be padding
                let groups = Int(clamping: header >> 1)
                guard groups <= (count - values.count + 7) / 8 + 1 else { throw ParquetError("a bit-packed run longer than its page") }
                let packed = try cursor.bitPacked(groups * 8, width: width)
                values.append(contentsOf: packed.prefix(count - values.count))
            }
        }
        return values
    }

    /// PLAIN values of `type`: `count` of them (`typeLength` bytes each for fixed-length byte arrays).
    static func plain(_ cursor: inout ParquetCursor, count: Int, type: ParquetPhysicalType, typeLength: Int) throws -> [ParquetValue] {
        switch type {
        case .boolean:
            return try cursor.bitPacked(count, width: 1).map { .bool($0 == 1) }
        case .int32, .int64, .float, .double, .int96, .fixedLenByteArray:
            let size = type.width(typeLength: typeLength)
            guard count <= cursor.remaining / max(size, 1) else { throw ParquetError("\(count) values of \(size) bytes run past their page") }
            return try (0..<count).map { _ in try ParquetValue(fixed: cursor.take(size), type: type) }
        case .byteArray:  // each a 4-byte length, then its bytes
            guard count <= cursor.remaining / 4 else { throw ParquetError("\(count) byte arrays run past their page") }
            return try (0..<count).map { _ in
                let length = Int(try cursor.littleEndian(4))
                return .bytes(try cursor.take(length))
            }
        }
    }

    /// DELTA_BINARY_PACKED integers: `count` of them, the cursor left after the last miniblock holding one.
    static func deltaBinaryPacked(_ cursor: inout ParquetCursor, limit: Int) throws -> [Int64] {
        let blockSize = try cursor.count(atMost: 1 << 20), miniblocks = try cursor.count(atMost: 1 << 10)
        let total = try cursor.count(atMost: limit)
        guard miniblocks > 0, blockSize % miniblocks == 0, (blockSize / miniblocks) % 8 == 0 else {
            throw ParquetError("a delta block of \(blockSize) values in \(miniblocks) miniblocks")
        }
        let perMiniblock = blockSize / miniblocks
        var values = [Int64]()
        values.reserveCapacity(total)
        var last = try cursor.zigZag()
        if total > 0 { values.append(last) }
        while values.count < total {
            let minDelta = try cursor.zigZag()
            let widths = try cursor.take(miniblocks)
            for width in widths where values.count < total {
                for packed in try cursor.bitPacked(perMiniblock, width: Int(width)).prefix(total - values.count) {
                    last = last &+ minDelta &+ Int64(bitPattern: packed)
                    values.append(last)
                }
            }
        }
        return values
    }

    /// DELTA_LENGTH_BYTE_ARRAY: the lengths delta-packed, then the bytes one after another.
    static func deltaLengthByteArray(_ cursor: inout ParquetCursor, limit: Int) throws -> [ArraySlice<UInt8>] {
        try deltaBinaryPacked(&cursor, limit: limit).map { length in
            guard length >= 0, length <= Int64(cursor.remaining) else { throw ParquetError("a byte array of \(length) bytes runs past its page") }
            return try cursor.take(Int(length))
        }
    }

    /// DELTA_BYTE_ARRAY: each value the first bytes of the one before (the prefix lengths) and a suffix.
    static func deltaByteArray(_ cursor: inout ParquetCursor, limit: Int) throws -> [[UInt8]] {
        let prefixes = try deltaBinaryPacked(&cursor, limit: limit)
        let suffixes = try deltaLengthByteArray(&cursor, limit: limit)
        guard prefixes.count == suffixes.count else { throw ParquetError("\(prefixes.count) prefixes for \(suffixes.count) suffixes") }
        var previous = [UInt8]()
        return try zip(prefixes, suffixes).map { prefix, suffix in
            guard prefix >= 0, prefix <= Int64(previous.count) else { throw ParquetError("a prefix of \(prefix) bytes after a value of \(previous.count)") }
            previous = Array(previous[..<Int(prefix)]) + suffix
            return previous
        }
    }

    /// BYTE_STREAM_SPLIT: byte k of value i at k × count + i.
    static func byteStreamSplit(_ cursor: inout ParquetCursor, count: Int, type: ParquetPhysicalType, typeLength: Int) throws -> [ParquetValue] {
        let size = type.width(typeLength: typeLength)
        let streams = try cursor.take(count * size)
        return try (0..<count).map { i in
            let bytes = (0..<size).map { streams[streams.startIndex + $0 * count + i] }
            return try ParquetValue(fixed: bytes[...], type: type)
        }
    }
}

extension ParquetPhysicalType {
    /// The bytes of one value of a fixed-width type.
    func width(typeLength: Int) -> Int {
        switch self {
        case .boolean: return 1
        case .int32, .float: return 4
        case .int64, .double: return 8
        case .int96: return 12
        case .fixedLenByteArray: return typeLength
        case .byteArray: return 0
        }
    }
}
