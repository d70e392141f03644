// GGMLQuantization: the ggml tensor types raise reads from GGUF files, and their dequantization to
// Float32, block by block as ggml defines them. Not an encoder: raise never writes quantized data.

/// A ggml tensor element type.
public enum GGMLType: UInt32, Sendable {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q8_0 = 8, bf16 = 30

    /// Elements per block.
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: return 1
        case .q4_0, .q4_1, .q8_0: return 32
        }
    }

    /// Bytes per block.
    public var blockBytes: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .q4_0: return 18  // f16 scale, 16 bytes of 4-bit values
        case .q4_1: return 20  // f16 scale, f16 minimum, 16 bytes of 4-bit values
        case .q8_0: return 34  // f16 scale, 32 signed bytes
        }
    }

    /// The names of the ggml types raise does not read, for error messages.
    static func name(of raw: UInt32) -> String {
        let names: [UInt32: String] = [6: "Q5_0", 7: "Q5_1", 9: "Q8_1", 10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K",
                                       14: "Q6_K", 15: "Q8_K", 16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S",
                                       20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S", 23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32",
                                       27: "I64", 28: "F64", 29: "IQ1_M"]
        return names[raw] ?? "type \(raw)"
    }

    /// Dequantizes `count` elements (a multiple of the block size) from `bytes` into `out`.
    func dequantize(_ bytes: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>, count: Int) {
        func half(_ offset: Int) -> Float { Float(Float16(bitPattern: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian)) }
        switch self {
        case .f32:
            for i in 0..<count { out[i] = Float(bitPattern: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian) }
        case .f16:
            for i in 0..<count { out[i] = half(2 * i) }
        case .bf16:
            for i in 0..<count { out[i] = Float(bitPattern: UInt32(bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian) << 16) }
        case .q8_0:  // x = q · d
            for block in 0..<count / 32 {
                let base = block * 34
                let d = half(base)
                for j in 0..<32 { out[block * 32 + j] = Float(bytes.load(fromByteOffset: base + 2 + j, as: Int8.self)) * d }
            }
        case .q4_0, .q4_1:  // byte j holds element j (low nibble) and j + 16 (high); x = (q − 8) · d, or q · d + m
            let headerBytes = self == .q4_0 ? 2 : 4
            for block in 0..<count / 32 {
                let base = block * blockBytes
                let d = half(base)
                let (m, shift): (Float, Float) = self == .q4_0 ? (0, 8) : (half(base + 2), 0)
                for j in 0..<16 {
                    let q = bytes.load(fromByteOffset: base + headerBytes + j, as: UInt8.self)
                    out[block * 32 + j] = (Float(q & 0x0F) - shift) * d + m
                    out[block * 32 + j + 16] = (Float(q >> 4) - shift) * d + m
                }
            }
        }
    }
}
