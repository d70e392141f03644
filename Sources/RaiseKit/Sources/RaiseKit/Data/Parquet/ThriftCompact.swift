// ThriftCompact: a reader of the Thrift compact protocol, the encoding of Parquet's footer and page
// headers. It decodes any struct generically into a tree of `ThriftValue`s (field id → value), which
// ParquetMetadata then reads by field id; every length is checked against the bytes that are left,
// and nesting is bounded, so a damaged file is an error, never a crash.

/// One decoded Thrift value.
enum ThriftValue {
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case binary(ArraySlice<UInt8>)
    case list([ThriftValue])
    case map([(ThriftValue, ThriftValue)])
    case structure(ThriftStruct)

    // The value as each kind, or nil when it is another (so a field of the wrong type reads as missing).
    var int: Int64? { if case .int(let v) = self { return v } else { return nil } }
    var bool: Bool? { if case .bool(let v) = self { return v } else { return nil } }
    var binary: ArraySlice<UInt8>? { if case .binary(let v) = self { return v } else { return nil } }
    var list: [ThriftValue]? { if case .list(let v) = self { return v } else { return nil } }
    var structure: ThriftStruct? { if case .structure(let v) = self { return v } else { return nil } }
    var string: String? { binary.flatMap { String(validating: $0, as: UTF8.self) } }
}

/// A decoded Thrift struct: its fields by id.
struct ThriftStruct {
    var fields: [Int16: ThriftValue] = [:]

    subscript(id: Int16) -> ThriftValue? { fields[id] }
}

/// Why compact-protocol bytes could not be decoded.
struct ThriftError: Error, CustomStringConvertible {
    let description: String
}

/// Decodes compact-protocol structs from a byte buffer, advancing `position`: the protocol's field headers,
/// lists, maps and nesting bound over a `ParquetCursor`, whose reads check every length.
struct ThriftCompactReader {
    private var cursor: ParquetCursor
    /// The offset of the next byte to read.
    var position: Int { cursor.position }
    /// Deeper nesting than this is refused (Parquet's metadata nests five levels at most).
    private static let maxDepth = 32

    /// A reader of `bytes[range]`.
    init(_ bytes: [UInt8], range: Range<Int>) {
        cursor = ParquetCursor(bytes[...], from: range.lowerBound, to: range.upperBound)
    }

    /// Reads one struct (up to and including its stop field).
    ///
    /// - Throws: `ThriftError` for bytes that end early or do not decode.
    mutating func readStruct() throws -> ThriftStruct {
        do {
            return try readStruct(depth: 0)
        } catch let error as ParquetError {
            throw ThriftError(description: error.description)
        }
    }

    private mutating func readStruct(depth: Int) throws -> ThriftStruct {
        guard depth < Self.maxDepth else { throw ThriftError(description: "structs nested deeper than \(Self.maxDepth)") }
        var result = ThriftStruct()
        var lastID: Int16 = 0
        while true {
            let header = try cursor.byte()
            let type = header & 0x0F
            if type == 0 { return result }  // stop
            let delta = Int16(header >> 4)
            let id: Int16 = delta == 0 ? try Int16(truncatingIfNeeded: cursor.zigZag()) : lastID &+ delta
            lastID = id
            switch type {
            case 1: result.fields[id] = .bool(true)
            case 2: result.fields[id] = .bool(false)
            default: result.fields[id] = try readValue(type: type, depth: depth)
            }
        }
    }

    /// A value of the compact protocol's `type` (a field's, or a list's or map's elements').
    private mutating func readValue(type: UInt8, depth: Int) throws -> ThriftValue {
        switch type {
        case 1, 2: return .bool(try cursor.byte() == 1)  // a boolean inside a list or map is a byte of its own
        case 3: return .int(Int64(Int8(bitPattern: try cursor.byte())))
        case 4, 5, 6: return .int(try cursor.zigZag())
        case 7: return .double(Double(bitPattern: try cursor.littleEndian(8)))
        case 8: return .binary(try cursor.take(try readLength()))
        case 9, 10:
            let header = try cursor.byte()
            let count = header >> 4 == 15 ? try readLength() : Int(header >> 4)
            return .list(try (0..<count).map { _ in try readValue(type: header & 0x0F, depth: depth + 1) })
        case 11:
            let count = try readLength()
            guard count > 0 else { return .map([]) }
            let types = try cursor.byte()
            return .map(try (0..<count).map { _ in
                (try readValue(type: types >> 4, depth: depth + 1), try readValue(type: types & 0x0F, depth: depth + 1))
            })
        case 12: return .structure(try readStruct(depth: depth + 1))
        default: throw ThriftError(description: "unknown field type \(type) at byte \(position)")
        }
    }

    /// A size or count: no more than the bytes left (each element takes at least one byte).
    private mutating func readLength() throws -> Int { try cursor.count(atMost: cursor.remaining) }
}
