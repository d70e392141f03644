// Safetensors: reads and writes the safetensors format (an 8-byte little-endian header length, a
// JSON header mapping tensor names to dtype, shape and byte range, then the raw bytes). Reading is
// strict: every header field is validated and each violation names the file and the tensor.
// Writes F32 only; reads F32, F16 and BF16 into Float32 tensors, and I64 / I32 ones (position ids,
// masks) when every value is an integer Float32 holds exactly (|v| ≤ 2²⁴).
import Foundation

/// A safetensors file's tensors, in header order, and its free-form metadata.
public struct SafetensorsFile {
    /// Tensor names in the order the header lists them.
    public var names: [String]
    /// The tensors by name.
    public var tensors: [String: Tensor]
    /// The `__metadata__` strings.
    public var metadata: [String: String]
}

/// Reading and writing safetensors files.
public enum Safetensors {
    /// The largest header accepted (as the reference implementation: 100 MB).
    public static let maximumHeaderSize = 100_000_000

    /// Element sizes of every dtype the format defines; raise converts the first five.
    static let elementSizes: [String: Int] = [
        "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "F64": 8, "U64": 8, "U32": 4,
        "I16": 2, "U16": 2, "I8": 1, "U8": 1, "BOOL": 1, "F8_E5M2": 1, "F8_E4M3": 1,
    ]

    /// Reads every tensor of the file at `path`.
    ///
    /// - Throws: `RaiseError.file` or `RaiseError.tensor` naming `path` (and the tensor) for a missing
    ///   file, a malformed header, an unsupported dtype, a byte range that does not fit, or an integer
    ///   that Float32 cannot hold exactly.
    public static func read(path: String) throws -> SafetensorsFile {
        try decode(MappedFile.contents(of: path), path: path)
    }

    /// Decodes safetensors bytes; `path` only labels errors.
    public static func decode(_ data: Data, path: String) throws -> SafetensorsFile {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> SafetensorsFile in
            guard raw.count >= 8 else {
                throw RaiseError.file(path: path, detail: "file of \(raw.count) bytes is too short for a safetensors header")
            }
            let declared = raw.loadUnaligned(as: UInt64.self).littleEndian
            guard declared <= UInt64(maximumHeaderSize) else {
                throw RaiseError.file(path: path, detail: "header length \(declared) exceeds the limit of \(maximumHeaderSize) bytes")
            }
            let headerSize = Int(declared)
            guard 8 + headerSize <= raw.count else {
                throw RaiseError.file(path: path, detail: "header length \(headerSize) runs past the end of the \(raw.count)-byte file")
            }
            let header: JSONValue
            do {
                header = try JSONValue.parse(Array(raw[8..<8 + headerSize]))
            } catch {
                throw RaiseError.file(path: path, detail: "header is not valid JSON: \(error)")
            }
            guard let entries = header.objectValue else {
                throw RaiseError.file(path: path, detail: "header is not a JSON object")
            }
            let body = UnsafeRawBufferPointer(rebasing: raw[(8 + headerSize)...])
            var file = SafetensorsFile(names: [], tensors: [:], metadata: [:])
            var ranges = [(name: String, range: Range<Int>)]()
            for name in entries.keys {
                let entry = entries[name]!
                if name == "__metadata__" {
                    file.metadata = try metadata(entry, path: path)
                    continue
                }
                let (dtype, shape, range) = try tensorInfo(entry, name: name, path: path, bodySize: body.count)
                ranges.append((name, range))
                file.names.append(name)
                file.tensors[name] = try convert(UnsafeRawBufferPointer(rebasing: body[range]), dtype: dtype, shape: shape, name: name, path: path)
            }
            ranges.sort { $0.range.lowerBound < $1.range.lowerBound }
            for (previous, next) in zip(ranges, ranges.dropFirst()) where next.range.lowerBound < previous.range.upperBound {
                throw RaiseError.tensor(path: path, tensor: next.name,
                                        detail: "bytes \(next.range) overlap those of tensor '\(previous.name)' \(previous.range)")
            }
            return file
        }
    }

    private static func metadata(_ entry: JSONValue, path: String) throws -> [String: String] {
        guard let object = entry.objectValue else {
            throw RaiseError.file(path: path, detail: "__metadata__ is not an object")
        }
        var result = [String: String]()
        for key in object.keys {
            guard let value = object[key]!.stringValue else {
                throw RaiseError.file(path: path, detail: "__metadata__ value '\(key)' is not a string")
            }
            result[key] = value
        }
        return result
    }

    /// Validates one header entry: dtype known and convertible, shape of non-negative integers, and a
    /// byte range inside the data section whose length is exactly shape × dtype size.
    private static func tensorInfo(_ entry: JSONValue, name: String, path: String, bodySize: Int) throws
        -> (dtype: String, shape: [Int], range: Range<Int>)
    {
        func fail(_ detail: String) -> RaiseError { .tensor(path: path, tensor: name, detail: detail) }
        guard let info = entry.objectValue else { throw fail("header entry is not an object") }
        guard let dtype = info["dtype"]?.stringValue else { throw fail("'dtype' missing or not a string") }
        guard let size = elementSizes[dtype] else { throw fail("unknown dtype '\(dtype)'") }
        guard ["F32", "F16", "BF16", "I64", "I32"].contains(dtype) else {
            throw fail("dtype \(dtype) is not supported (raise reads F32, F16, BF16, I64 and I32)")
        }
        guard let dims = info["shape"]?.arrayValue else { throw fail("'shape' missing or not an array") }
        var shape = [Int]()
        var elements = 1
        for dim in dims {
            guard let d = dim.intValue, d >= 0 else { throw fail("shape \(JSONValue.array(dims).serialized) has an entry that is not a non-negative integer") }
            let (product, overflow) = elements.multipliedReportingOverflow(by: d)
            guard !overflow else { throw fail("shape \(JSONValue.array(dims).serialized) is too large") }
            shape.append(d)
            elements = product
        }
        guard let offsets = info["data_offsets"]?.arrayValue, offsets.count == 2,
              let begin = offsets[0].intValue, let end = offsets[1].intValue, begin >= 0, begin <= end
        else { throw fail("'data_offsets' must be two non-negative integers [begin, end] with begin ≤ end") }
        guard end <= bodySize else { throw fail("bytes \(begin)..<\(end) run past the data section of \(bodySize) bytes") }
        let (bytes, overflow) = elements.multipliedReportingOverflow(by: size)
        guard !overflow, bytes == end - begin else {
            throw fail("shape \(shape) of \(dtype) needs \(overflow ? "more than Int.max" : String(bytes)) bytes, data_offsets give \(end - begin)")
        }
        return (dtype, shape, begin..<end)
    }

    /// Little-endian F32, F16, BF16, I64 or I32 bytes to a Float32 tensor; an integer beyond ±2²⁴ (which
    /// Float32 would round) is an error naming the tensor.
    private static func convert(_ bytes: UnsafeRawBufferPointer, dtype: String, shape: [Int], name: String, path: String) throws -> Tensor {
        let tensor = Tensor(zeros: shape)
        let out = tensor.data
        func exact(_ value: Int64, at i: Int) throws -> Float {
            guard (-(1 << 24)...(1 << 24)).contains(value) else {  // not abs(): Int64.min has none
                throw RaiseError.tensor(path: path, tensor: name, detail: "\(dtype) value \(value) at element \(i) is not exact as Float32")
            }
            return Float(value)
        }
        switch dtype {
        case "F32":
            for i in 0..<tensor.count { out[i] = Float(bitPattern: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian) }
        case "F16":
            for i in 0..<tensor.count { out[i] = Float(Float16(bitPattern: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian)) }
        case "BF16":  // the top 16 bits of a Float32
            for i in 0..<tensor.count { out[i] = Float(bitPattern: UInt32(bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian) << 16) }
        case "I64":
            for i in 0..<tensor.count { out[i] = try exact(bytes.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self).littleEndian, at: i) }
        default:  // I32
            for i in 0..<tensor.count { out[i] = try exact(Int64(bytes.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self).littleEndian), at: i) }
        }
        return tensor
    }

    /// Encodes tensors as F32 safetensors bytes, in the order given. The header is padded with spaces to
    /// a multiple of 8 bytes so that the data section is aligned.
    public static func encode(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]) -> Data {
        var header = JSONObject()
        if !metadata.isEmpty {
            header["__metadata__"] = .object(JSONObject(metadata.keys.sorted().map { ($0, .string(metadata[$0]!)) }))
        }
        var offset = 0
        for (name, tensor) in tensors {
            precondition(name != "__metadata__" && header[name] == nil, "Safetensors.encode: bad or duplicate name '\(name)'")
            header[name] = .object(JSONObject([
                ("dtype", .string("F32")),
                ("shape", .array(tensor.shape.map { .number(Double($0)) })),
                ("data_offsets", .array([.number(Double(offset)), .number(Double(offset + 4 * tensor.count))])),
            ]))
            offset += 4 * tensor.count
        }
        var headerBytes = Array(JSONValue.object(header).serialized.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var data = Data(capacity: 8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: headerBytes)
        for (_, tensor) in tensors {
            var littleEndian = tensor.scalars.map { $0.bitPattern.littleEndian }
            littleEndian.withUnsafeMutableBytes { data.append(contentsOf: $0) }
        }
        return data
    }

    /// Writes tensors as an F32 safetensors file, atomically.
    public static func write(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:], to path: String) throws {
        try AtomicFile.write(encode(tensors, metadata: metadata), to: path)
    }
}
