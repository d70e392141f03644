// GGUF: reads the GGUF container of llama.cpp (version 2 and 3): metadata keys and values of every
// type, tensor descriptions, alignment, and tensor data dequantized to Float32. Validation is as strict
// as for safetensors: counts and string lengths bounded by the file, offsets inside it, and every
// violation a clear error naming the file and the key or tensor.
import Foundation

/// A GGUF metadata value.
public indirect enum GGUFValue: Equatable, Sendable {
    case unsigned(UInt64)
    case signed(Int64)
    case float(Double)
    case bool(Bool)
    case string(String)
    case array([GGUFValue])

    /// The value as an integer, if it is an integer that fits.
    public var intValue: Int? {
        switch self {
        case .unsigned(let v): return v <= UInt64(Int.max) ? Int(v) : nil
        case .signed(let v): return Int(v)
        default: return nil
        }
    }
    /// The value as a real number.
    public var doubleValue: Double? {
        switch self {
        case .float(let v): return v
        case .unsigned(let v): return Double(v)
        case .signed(let v): return Double(v)
        default: return nil
        }
    }
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var arrayValue: [GGUFValue]? { if case .array(let a) = self { return a } else { return nil } }
}

/// One tensor's description in a GGUF file.
public struct GGUFTensorInfo: Sendable {
    public let name: String
    /// Outermost axis first (PyTorch order; GGUF stores the reverse).
    public let shape: [Int]
    public let type: GGMLType
    /// Byte offset of the data from the start of the file.
    public let offset: Int
    public let byteCount: Int
}

/// A parsed GGUF file; tensor data is read on demand from the memory-mapped file.
public final class GGUFFile {
    public let path: String
    public let version: UInt32
    /// Metadata keys in file order.
    public let keys: [String]
    public let metadata: [String: GGUFValue]
    /// Tensors in file order.
    public let tensors: [GGUFTensorInfo]
    private let data: Data

    /// Parses the header of the file at `path`.
    ///
    /// - Throws: `RaiseError.file`, or `RaiseError.tensor` naming the tensor, for anything malformed.
    public init(path: String) throws {
        self.path = path
        data = try MappedFile.contents(of: path)
        var cursor = GGUFCursor(data: data, path: path)
        guard try cursor.bytes(4, what: "magic") == Array("GGUF".utf8) else {
            throw RaiseError.file(path: path, detail: "not a GGUF file (bad magic)")
        }
        version = try cursor.read(UInt32.self, what: "version")
        guard version == 2 || version == 3 else {
            throw RaiseError.file(path: path, detail: "GGUF version \(version) is not supported (2 or 3)")
        }
        let tensorCount = try cursor.count(minimumBytesEach: 24, what: "tensor count")
        let keyCount = try cursor.count(minimumBytesEach: 12, what: "metadata count")
        var keys = [String](), metadata = [String: GGUFValue]()
        for _ in 0..<keyCount {
            let key = try cursor.string(what: "metadata key")
            let type = try cursor.read(UInt32.self, what: "type of '\(key)'")
            guard metadata[key] == nil else { throw RaiseError.file(path: path, detail: "metadata key '\(key)' appears twice") }
            metadata[key] = try cursor.value(type: type, key: key, depth: 0)
            keys.append(key)
        }
        self.keys = keys
        self.metadata = metadata
        var infos = [(name: String, shape: [Int], type: GGMLType, relative: Int, bytes: Int)]()
        for _ in 0..<tensorCount {
            let name = try cursor.string(what: "tensor name")
            func fail(_ detail: String) -> RaiseError { .tensor(path: path, tensor: name, detail: detail) }
            let dimensions = Int(try cursor.read(UInt32.self, what: "dimension count of '\(name)'"))
            guard (1...4).contains(dimensions) else { throw fail("\(dimensions) dimensions (1 to 4 allowed)") }
            var shape = [Int](), elements = 1
            for _ in 0..<dimensions {
                let size = try cursor.read(UInt64.self, what: "shape of '\(name)'")
                guard size <= UInt64(Int32.max) else { throw fail("dimension \(size) is too large") }
                let (product, overflow) = elements.multipliedReportingOverflow(by: Int(size))
                guard !overflow, product <= data.count * 2 else { throw fail("shape too large for the file") }
                shape.insert(Int(size), at: 0)
                elements = product
            }
            let rawType = try cursor.read(UInt32.self, what: "type of '\(name)'")
            guard let type = GGMLType(rawValue: rawType) else {
                throw fail("ggml \(GGMLType.name(of: rawType)) is not supported (raise reads \(GGMLType.supportedNames))")
            }
            guard shape.last! % type.blockSize == 0 else {  // ggml quantizes each row on its own
                throw fail("rows of \(shape.last!) elements do not fill blocks of \(type.blockSize)")
            }
            let relative = try cursor.read(UInt64.self, what: "offset of '\(name)'")
            guard relative <= UInt64(data.count) else { throw fail("offset \(relative) lies outside the file") }
            infos.append((name, shape, type, Int(relative), elements / type.blockSize * type.blockBytes))
        }
        let alignment = metadata["general.alignment"]?.intValue ?? 32
        guard alignment > 0, alignment.nonzeroBitCount == 1 else {
            throw RaiseError.file(path: path, detail: "general.alignment \(alignment) is not a power of two")
        }
        let dataStart = (cursor.offset + alignment - 1) / alignment * alignment
        var seen = Set<String>()
        let fileSize = data.count
        tensors = try infos.map { info in
            guard seen.insert(info.name).inserted else { throw RaiseError.tensor(path: path, tensor: info.name, detail: "appears twice") }
            guard info.relative % alignment == 0 else {
                throw RaiseError.tensor(path: path, tensor: info.name, detail: "offset \(info.relative) is not aligned to \(alignment)")
            }
            let start = dataStart + info.relative
            guard start + info.bytes <= fileSize else {
                throw RaiseError.tensor(path: path, tensor: info.name,
                                        detail: "data \(start)..<\(start + info.bytes) runs past the end of the \(fileSize)-byte file")
            }
            return GGUFTensorInfo(name: info.name, shape: info.shape, type: info.type, offset: start, byteCount: info.bytes)
        }
    }

    /// The description of tensor `name`.
    public func info(_ name: String) throws -> GGUFTensorInfo {
        guard let info = tensors.first(where: { $0.name == name }) else {
            throw RaiseError.tensor(path: path, tensor: name, detail: "not in the file")
        }
        return info
    }

    /// Tensor `name`, dequantized to Float32, in PyTorch axis order.
    public func tensor(_ name: String) throws -> Tensor {
        let info = try info(name)
        let tensor = Tensor(zeros: info.shape)
        data.withUnsafeBytes { raw in info.type.dequantize(raw.baseAddress! + info.offset, into: tensor.data, count: tensor.count) }
        return tensor
    }

    /// A required metadata value.
    public func value(_ key: String) throws -> GGUFValue {
        guard let value = metadata[key] else { throw RaiseError.file(path: path, detail: "metadata key '\(key)' missing") }
        return value
    }
}

/// Reads little-endian values from GGUF bytes, checking every length against what is left.
private struct GGUFCursor {
    let data: Data
    let path: String
    var offset = 0
    static let maximumDepth = 4

    init(data: Data, path: String) {
        self.data = data
        self.path = path
    }

    private func truncated(_ what: String) -> RaiseError { .file(path: path, detail: "file ends inside \(what) (offset \(offset))") }

    mutating func bytes(_ count: Int, what: String) throws -> [UInt8] {
        guard count >= 0, count <= data.count - offset else { throw truncated(what) }
        defer { offset += count }
        return [UInt8](data[data.startIndex + offset..<data.startIndex + offset + count])
    }

    mutating func read<T: FixedWidthInteger>(_ type: T.Type, what: String) throws -> T {
        let size = MemoryLayout<T>.size
        guard size <= data.count - offset else { throw truncated(what) }
        defer { offset += size }
        return data.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }

    /// A count that the rest of the file could hold at `minimumBytesEach` per item.
    mutating func count(minimumBytesEach: Int, what: String) throws -> Int {
        let value = try read(UInt64.self, what: what)
        guard value <= UInt64((data.count - offset) / minimumBytesEach) else {
            throw RaiseError.file(path: path, detail: "\(what) \(value) is more than the file can hold")
        }
        return Int(value)
    }

    mutating func string(what: String) throws -> String {
        let length = try read(UInt64.self, what: "length of \(what)")
        guard length <= UInt64(data.count - offset) else { throw truncated(what) }
        let raw = try bytes(Int(length), what: what)
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw RaiseError.file(path: path, detail: "\(what) at offset \(offset - raw.count) is not valid UTF-8")
        }
        return text
    }

    mutating func value(type: UInt32, key: String, depth: Int) throws -> GGUFValue {
        let what = "value of '\(key)'"
        switch type {
        case 0: return .unsigned(UInt64(try read(UInt8.self, what: what)))
        case 1: return .signed(Int64(try read(Int8.self, what: what)))
        case 2: return .unsigned(UInt64(try read(UInt16.self, what: what)))
        case 3: return .signed(Int64(try read(Int16.self, what: what)))
        case 4: return .unsigned(UInt64(try read(UInt32.self, what: what)))
        case 5: return .signed(Int64(try read(Int32.self, what: what)))
        case 6: return .float(Double(Float(bitPattern: try read(UInt32.self, what: what))))
        case 7:
            let byte = try read(UInt8.self, what: what)
            guard byte <= 1 else { throw RaiseError.file(path: path, detail: "'\(key)': boolean byte \(byte)") }
            return .bool(byte == 1)
        case 8: return .string(try string(what: what))
        case 9:
            guard depth < GGUFCursor.maximumDepth else { throw RaiseError.file(path: path, detail: "'\(key)': arrays nested too deep") }
            let elementType = try read(UInt32.self, what: "array type of '\(key)'")
            let count = try self.count(minimumBytesEach: 1, what: "array length of '\(key)'")
            var elements = [GGUFValue]()
            elements.reserveCapacity(count)
            for _ in 0..<count { elements.append(try value(type: elementType, key: key, depth: depth + 1)) }
            return .array(elements)
        case 10: return .unsigned(try read(UInt64.self, what: what))
        case 11: return .signed(try read(Int64.self, what: what))
        case 12: return .float(Double(bitPattern: try read(UInt64.self, what: what)))
        default: throw RaiseError.file(path: path, detail: "'\(key)': unknown value type \(type)")
        }
    }
}
