// ParquetMetadata: the parts of a Parquet file's Thrift metadata that reading rows needs — the footer's
// flattened schema and row groups, and each page's header — read by the field ids of parquet.thrift
// (github.com/apache/parquet-format). Fields raise does not use are skipped.

/// A physical type of Parquet column values.
enum ParquetPhysicalType: Int64 {
    case boolean = 0, int32, int64, int96, float, double, byteArray, fixedLenByteArray
}

/// How often a schema node occurs in its parent.
enum ParquetRepetition: Int64 {
    case required = 0, optional, repeated
}

/// One node of the flattened schema (parquet.thrift `SchemaElement`): a group when it has children.
struct ParquetSchemaElement {
    var name: String
    /// The physical type; nil for a group.
    var type: ParquetPhysicalType?
    var repetition: ParquetRepetition
    var childCount: Int
    /// The byte length of a FIXED_LEN_BYTE_ARRAY value.
    var typeLength: Int
    /// The legacy converted type (0 UTF8, 1 MAP, 2 MAP_KEY_VALUE, 3 LIST, 4 ENUM, 19 JSON …).
    var convertedType: Int64?
    /// The id of the logical type's union member (1 STRING, 2 MAP, 3 LIST, 4 ENUM, 12 JSON …).
    var logicalType: Int16?

    /// Whether byte arrays of this column are text (STRING, ENUM, JSON); other byte arrays are written as hex.
    var isText: Bool { [0, 4, 19].contains(convertedType) || [1, 4, 12].contains(logicalType) }
    /// Whether this group is annotated as a list.
    var isList: Bool { convertedType == 3 || logicalType == 3 }
    /// Whether this group is annotated as a map.
    var isMap: Bool { convertedType == 1 || convertedType == 2 || logicalType == 2 }
}

/// A column chunk of one row group: where its pages are and how they are compressed.
struct ParquetColumnChunk {
    /// The dotted path of the leaf column (e.g. `messages.list.element.content`).
    var path: [String]
    var codec: Int64
    var valueCount: Int
    /// The file offset of its first page (the dictionary page when there is one).
    var start: Int
    var compressedSize: Int
}

/// A row group: its row count and column chunks, in the schema's leaf order.
struct ParquetRowGroup {
    var rowCount: Int
    var columns: [ParquetColumnChunk]
}

/// The footer of a Parquet file.
struct ParquetFileMetadata {
    var schema: [ParquetSchemaElement]
    var rowGroups: [ParquetRowGroup]

    /// Decodes the footer (parquet.thrift `FileMetaData`).
    init(_ thrift: ThriftStruct) throws {
        guard let elements = thrift[2]?.list, !elements.isEmpty else { throw ThriftError(description: "the footer has no schema") }
        schema = try elements.map { value in
            guard let element = value.structure, let name = element[4]?.string else { throw ThriftError(description: "a schema element has no name") }
            let type = try element[1]?.int.map { raw in
                guard let type = ParquetPhysicalType(rawValue: raw) else { throw ThriftError(description: "column '\(name)' has unknown type \(raw)") }
                return type
            }
            let repetition = ParquetRepetition(rawValue: element[3]?.int ?? 0) ?? .required
            let logical = element[10]?.structure?.fields.keys.first
            guard let childCount = Int(exactly: element[5]?.int ?? 0), childCount >= 0 else {
                throw ThriftError(description: "schema element '\(name)' has \(element[5]!.int!) children")
            }
            return ParquetSchemaElement(name: name, type: type, repetition: repetition, childCount: childCount,
                                        typeLength: Int(clamping: element[2]?.int ?? 0), convertedType: element[6]?.int, logicalType: logical)
        }
        rowGroups = try (thrift[4]?.list ?? []).map { value in
            guard let group = value.structure else { throw ThriftError(description: "a row group is not a struct") }
            let columns = try (group[1]?.list ?? []).map { column -> ParquetColumnChunk in
                guard let meta = column.structure?[3]?.structure else {
                    throw ThriftError(description: "a column chunk has no metadata (columns in other files are not read)")
                }
                let path = (meta[3]?.list ?? []).compactMap(\.string)
                guard let dataOffset = meta[9]?.int, let size = meta[7]?.int, dataOffset >= 0, size >= 0 else {
                    throw ThriftError(description: "column '\(path.joined(separator: "."))' has no page offset or size")
                }
                let dictionaryOffset = meta[11]?.int.flatMap { $0 > 0 && $0 < dataOffset ? $0 : nil }
                return ParquetColumnChunk(path: path, codec: meta[4]?.int ?? 0, valueCount: Int(clamping: meta[5]?.int ?? 0),
                                          start: Int(clamping: dictionaryOffset ?? dataOffset), compressedSize: Int(clamping: size))
            }
            guard let rowCount = Int(exactly: group[3]?.int ?? -1), rowCount >= 0 else { throw ThriftError(description: "a row group has no row count") }
            return ParquetRowGroup(rowCount: rowCount, columns: columns)
        }
    }
}

/// The kinds of page in a column chunk.
enum ParquetPageKind: Int64 {
    case data = 0, index, dictionary, dataV2
}

/// A page's header (parquet.thrift `PageHeader` with its data, dictionary or v2 data header).
struct ParquetPageHeader {
    var kind: ParquetPageKind?
    var uncompressedSize: Int
    var compressedSize: Int
    /// Levels and values in the page, nulls included (v1 and v2 data pages; a dictionary's entries).
    var valueCount: Int
    /// The values' encoding (0 PLAIN, 2 PLAIN_DICTIONARY, 3 RLE, 5 DELTA_BINARY_PACKED, …).
    var encoding: Int64
    /// A v1 data page's encoding of its definition and repetition levels (3 RLE, 4 BIT_PACKED).
    var levelEncodings: (definition: Int64, repetition: Int64)
    /// A v2 data page's level byte lengths (uncompressed, before its values) and whether its values are compressed.
    var v2Levels: (definition: Int, repetition: Int, valuesCompressed: Bool)?

    /// Decodes a page header.
    init(_ thrift: ThriftStruct) throws {
        kind = thrift[1]?.int.flatMap(ParquetPageKind.init(rawValue:))
        guard let uncompressed = thrift[2]?.int, let compressed = thrift[3]?.int, uncompressed >= 0, compressed >= 0 else {
            throw ThriftError(description: "a page header has no sizes")
        }
        uncompressedSize = Int(clamping: uncompressed)
        compressedSize = Int(clamping: compressed)
        let body = thrift[5]?.structure ?? thrift[7]?.structure ?? thrift[8]?.structure
        valueCount = Int(clamping: max(0, body?[1]?.int ?? 0))
        encoding = (kind == .dataV2 ? body?[4] : body?[2])?.int ?? 0
        levelEncodings = (thrift[5]?.structure?[3]?.int ?? 3, thrift[5]?.structure?[4]?.int ?? 3)
        if kind == .dataV2 {
            guard let v2 = body else { throw ThriftError(description: "a v2 data page has no v2 header") }
            let definition = v2[5]?.int ?? 0, repetition = v2[6]?.int ?? 0
            guard definition >= 0, repetition >= 0, definition <= min(compressed, uncompressed) - repetition else {
                throw ThriftError(description: "a v2 page's levels of \(definition) and \(repetition) bytes do not fit in the page")
            }
            v2Levels = (Int(definition), Int(repetition), v2[7]?.bool ?? true)
        }
    }
}
