// ParquetColumn: one leaf column of one row group decoded from its pages — the repetition and
// definition level of each entry and the values of the entries that are defined — and the conversion
// of Parquet values to JSON (strings, numbers, booleans; binary data as hexadecimal text).

/// A value as stored, before it is converted to JSON.
enum ParquetValue {
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case bytes(ArraySlice<UInt8>)

    /// A fixed-width value of `type` from its little-endian bytes.
    init(fixed bytes: ArraySlice<UInt8>, type: ParquetPhysicalType) throws {
        let raw = bytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        switch type {
        case .int32: self = .int(Int64(Int32(truncatingIfNeeded: raw)))
        case .int64: self = .int(Int64(bitPattern: raw))
        case .float: self = .double(Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw))))
        case .double: self = .double(Double(bitPattern: raw))
        default: self = .bytes(bytes)
        }
    }
}

/// The entries of one leaf column in one row group.
struct ParquetColumn {
    /// Each entry's repetition level (0 starts a row) and definition level (the leaf's maximum: a value).
    var repetition: [UInt8] = []
    var definition: [UInt8] = []
    /// The values of the defined entries, in order.
    var values: [JSONValue] = []
    /// The most values a page may hold; more is taken for a damaged header.
    static let maxPageValues = 1 << 24

    /// Decodes the pages of `chunk` (its bytes in `bytes`) for the leaf `leaf`.
    ///
    /// - Throws: `ParquetError` for a damaged page or an encoding or codec raise does not read.
    init(chunk: ParquetColumnChunk, bytes: [UInt8], leaf: ParquetNode) throws {
        var position = 0
        var dictionary: [JSONValue]?
        let maxRepetition = leaf.repetitionLevel, maxDefinition = leaf.definitionLevel
        while position < bytes.count, definition.count < chunk.valueCount {
            var thrift = ThriftCompactReader(bytes, range: position..<bytes.count)
            let header: ParquetPageHeader
            do {
                header = try ParquetPageHeader(thrift.readStruct())
            } catch let error as ThriftError {
                throw ParquetError("a page header at byte \(chunk.start + position) is damaged: \(error)")
            }
            position = thrift.position
            guard header.compressedSize <= bytes.count - position else { throw ParquetError("a page of \(header.compressedSize) bytes runs past its column chunk") }
            guard header.valueCount <= Self.maxPageValues, header.uncompressedSize <= 1 << 30 else {
                throw ParquetError("a page of \(header.valueCount) values and \(header.uncompressedSize) bytes (more than raise reads in one page)")
            }
            let body = bytes[position..<position + header.compressedSize]
            position += header.compressedSize
            switch header.kind {
            case .dictionary?:
                var cursor = ParquetCursor(try ParquetCompression.decompress(body, codec: chunk.codec, size: header.uncompressedSize)[...])
                dictionary = try ParquetEncodings.plain(&cursor, count: header.valueCount, type: leaf.type, typeLength: leaf.typeLength).map(leaf.json)
            case .data?:
                var cursor = ParquetCursor(try ParquetCompression.decompress(body, codec: chunk.codec, size: header.uncompressedSize)[...])
                let count = header.valueCount
                let repetitions = try Self.levels(&cursor, count: count, max: maxRepetition, encoding: header.levelEncodings.repetition, prefixed: true)
                let definitions = try Self.levels(&cursor, count: count, max: maxDefinition, encoding: header.levelEncodings.definition, prefixed: true)
                try append(repetitions, definitions, &cursor, encoding: header.encoding, dictionary: dictionary, leaf: leaf)
            case .dataV2?:
                let v2 = header.v2Levels!  // a v2 page's header has them, checked to fit in the page
                var levelCursor = ParquetCursor(body)
                let count = header.valueCount
                let repetitions = try Self.levels(&levelCursor, count: count, max: maxRepetition, encoding: 3, prefixed: false, length: v2.repetition)
                let definitions = try Self.levels(&levelCursor, count: count, max: maxDefinition, encoding: 3, prefixed: false, length: v2.definition)
                let stored = body.dropFirst(v2.repetition + v2.definition)
                let valueSize = header.uncompressedSize - v2.repetition - v2.definition
                var cursor = ParquetCursor(v2.valuesCompressed ? try ParquetCompression.decompress(stored, codec: chunk.codec, size: valueSize)[...] : stored)
                try append(repetitions, definitions, &cursor, encoding: header.encoding, dictionary: dictionary, leaf: leaf)
            default:
                continue  // an index page, or a kind added after this reader: skipped as the format allows
            }
        }
        guard definition.count == chunk.valueCount else {
            throw ParquetError("its pages hold \(definition.count) entries where the column chunk says \(chunk.valueCount)")
        }
    }

    /// Appends one data page's levels and values; its value count is that of the entries at the maximum definition level.
    private mutating func append(_ repetitions: [UInt8], _ definitions: [UInt8], _ cursor: inout ParquetCursor, encoding: Int64,
                                 dictionary: [JSONValue]?, leaf: ParquetNode) throws {
        let maxDefinition = UInt8(leaf.definitionLevel)
        let count = definitions.reduce(0) { $0 + ($1 == maxDefinition ? 1 : 0) }
        let type = leaf.type
        switch encoding {
        case 0:
            values += try ParquetEncodings.plain(&cursor, count: count, type: type, typeLength: leaf.typeLength).map(leaf.json)
        case 2, 8:  // PLAIN_DICTIONARY, RLE_DICTIONARY: a bit width, then the indices
            guard let dictionary else { throw ParquetError("a dictionary-encoded page comes before any dictionary page") }
            let width = count == 0 ? 0 : Int(try cursor.byte())
            for index in try ParquetEncodings.hybrid(&cursor, count: count, width: width) {
                guard index < UInt64(dictionary.count) else { throw ParquetError("dictionary index \(index) of a dictionary of \(dictionary.count)") }
                values.append(dictionary[Int(index)])
            }
        case 3 where type == .boolean:  // RLE booleans: a 4-byte length, then the hybrid of width 1
            _ = try cursor.littleEndian(4)
            values += try ParquetEncodings.hybrid(&cursor, count: count, width: 1).map { .bool($0 == 1) }
        case 5 where type == .int32 || type == .int64:
            let integers = try ParquetEncodings.deltaBinaryPacked(&cursor, limit: Self.maxPageValues)
            guard integers.count == count else { throw ParquetError("a page of \(count) values holds \(integers.count)") }
            values += try integers.map { try leaf.json(.int(type == .int32 ? Int64(Int32(truncatingIfNeeded: $0)) : $0)) }
        case 6 where type == .byteArray:
            let arrays = try ParquetEncodings.deltaLengthByteArray(&cursor, limit: Self.maxPageValues)
            guard arrays.count == count else { throw ParquetError("a page of \(count) values holds \(arrays.count)") }
            values += try arrays.map { try leaf.json(.bytes($0)) }
        case 7 where type == .byteArray || type == .fixedLenByteArray:
            let arrays = try ParquetEncodings.deltaByteArray(&cursor, limit: Self.maxPageValues)
            guard arrays.count == count else { throw ParquetError("a page of \(count) values holds \(arrays.count)") }
            values += try arrays.map { try leaf.json(.bytes($0[...])) }
        case 9 where ![.boolean, .byteArray, .int96].contains(type):
            values += try ParquetEncodings.byteStreamSplit(&cursor, count: count, type: type, typeLength: leaf.typeLength).map(leaf.json)
        default:
            let names = [0: "PLAIN", 2: "PLAIN_DICTIONARY", 3: "RLE", 4: "BIT_PACKED", 5: "DELTA_BINARY_PACKED", 6: "DELTA_LENGTH_BYTE_ARRAY",
                         7: "DELTA_BYTE_ARRAY", 8: "RLE_DICTIONARY", 9: "BYTE_STREAM_SPLIT"]
            throw ParquetError("values encoded as \(names[Int(encoding)] ?? "encoding \(encoding)") for type \(type) are not read")
        }
        repetition += repetitions
        definition += definitions
    }

    /// A page's levels of at most `max`: none stored when `max` is 0 (all 0); else RLE hybrid, after a 4-byte
    /// length in a v1 page (`prefixed`) or in `length` bytes given by a v2 page's header.
    private static func levels(_ cursor: inout ParquetCursor, count: Int, max: Int, encoding: Int64, prefixed: Bool,
                               length: Int? = nil) throws -> [UInt8] {
        guard max > 0 else {
            if let length { _ = try cursor.take(length) }
            return [UInt8](repeating: 0, count: count)
        }
        guard encoding == 3 else { throw ParquetError("levels encoded as BIT_PACKED (deprecated) are not read") }
        let size = prefixed ? Int(try cursor.littleEndian(4)) : length!
        let start = cursor.position
        guard size <= cursor.remaining else { throw ParquetError("levels of \(size) bytes run past their page") }
        var levelCursor = ParquetCursor(cursor.bytes, from: start, to: start + size)
        let width = UInt64(max).bitWidth - UInt64(max).leadingZeroBitCount
        let levels = try ParquetEncodings.hybrid(&levelCursor, count: count, width: width)
        cursor.position = start + size
        guard levels.allSatisfy({ $0 <= UInt64(max) }) else { throw ParquetError("a level above the column's maximum \(max)") }
        return levels.map { UInt8($0) }
    }
}
