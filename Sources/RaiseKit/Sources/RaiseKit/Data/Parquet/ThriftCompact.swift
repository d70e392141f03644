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

/// Decodes compact-protocol structs from a byte buffer, advancing `position`.
struct ThriftCompactReader {
    private let bytes: [UInt8]
    /// The offset of the next byte to read.
    private(set) var position: Int
    private let end: Int
    /// Deeper nesting than this is refused (Parquet's metadata nests five levels at most).
    private static let maxDepth = 32

    /// A reader of `bytes[range]`.
    init(_ bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        position = range.lowerBound
        end = range.upperBound
    }

    /// Reads one struct (up to and including its stop field).
    mutating func readStruct() throws -> ThriftStruct { try readStruct(depth: 0) }

    private mutating func readStruct(depth: Int) throws -> ThriftStruct {
        guard depth < Self.maxDepth else { throw ThriftError(description: "structs nested deeper than \(Self.maxDepth)") }
        var result = ThriftStruct()
        var lastID: Int16 = 0
        while true {
            let header = try readByte()
            let type = header & 0x0F
            if type == 0 { return result }  // stop
            let delta = Int16(header >> 4)
            let id: Int16 = delta == 0 ? try Int16(truncatingIfNeeded: readZigZag()) : lastID &+ delta
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
        case 1, 2: return .bool(try readByte() == 1)  // a boolean inside a list or map is a byte of its own
        case 3: return .int(Int64(Int8(bitPattern: try readByte())))
        case 4, 5, 6: return .int(try readZigZag())
        case 7:
            let raw = try take(8)
            return .double(Double(bitPattern: raw.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }))
        case 8: return .binary(try take(try readLength()))
        case 9, 10:
            let header = try readByte()
            let count = header >> 4 == 15 ? try readLength() : Int(header >> 4)
            return .list(try (0..<count).map { _ in try readValue(type: header & 0x0F, depth: depth + 1) })
        case 11:
            let count = try readLength()
            guard count > 0 else { return .map([]) }
            let types = try readByte()
            return .map(try (0..<count).map { _ in
                (try readValue(type: types >> 4, depth: depth + 1), try readValue(type: types & 0x0F, depth: depth + 1))
            })
        case 12: return .structure(try readStruct(depth: depth + 1))
        default: throw ThriftError(description: "unknown field type \(type) at byte \(position)")
        }
    }

    private mutating func readByte() throws -> UInt8 {
        guard position < end else { throw ThriftError(description: "ends inside a struct") }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count <= end - position else { throw ThriftError(description: "a value of \(count) bytes runs past the end") }
        defer { position += count }
        return bytes[position..<position + count]
    }

    /// An unsigned LEB128 varint of at most 64 bits.
    private mutating func readVarint() throws -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 7) {
            let byte = try readByte()
            value |= UInt64(byte & 0x7F) << UInt64(shift)
            if byte & 0x80 == 0 { return value }
        }
        throw ThriftError(description: "a varint longer than 10 bytes")
    }

    /// A signed integer: a varint of its zigzag coding (0, -1, 1, -2 … as 0, 1, 2, 3 …).
    private mutating func readZigZag() throws -> Int64 {
        let raw = try readVarint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    /// A size or count: no more than the bytes left (each element takes at least one byte).
    private mutating func readLength() throws -> Int {
        let raw = try readVarint()
        guard raw <= UInt64(end - position) else { throw ThriftError(description: "a length of \(raw) runs past the end") }
        return Int(raw)
    }
}
