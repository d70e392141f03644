// GGMLQuantization: the ggml tensor types raise reads from GGUF files, and their dequantization to
// Float32, block by block as ggml defines them (ggml-common.h's block structs, ggml-quants.c's
// dequantize_row_*). The 32-element blocks are here; the 256-element K-quant super-blocks are in
// GGMLKQuants.swift, the non-linear IQ4_NL and IQ4_XS in GGMLNonLinearQuants.swift. Not an encoder: raise
// never writes quantized data.

/// A ggml tensor element type.
public enum GGMLType: UInt32, Sendable {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8
    case q2_k = 10, q3_k = 11, q4_k = 12, q5_k = 13, q6_k = 14, iq4_nl = 20, iq4_xs = 23, bf16 = 30

    /// Elements per block.
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: return 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .iq4_nl: return 32
        case .q2_k, .q3_k, .q4_k, .q5_k, .q6_k, .iq4_xs: return 256
        }
    }

    /// Bytes per block.
    public var blockBytes: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .q4_0: return 18  // f16 scale, 16 bytes of 4-bit values
        case .q4_1: return 20  // f16 scale, f16 minimum, 16 bytes of 4-bit values
        case .q5_0: return 22  // f16 scale, 4 bytes of fifth bits, 16 bytes of 4-bit values
        case .q5_1: return 24  // f16 scale, f16 minimum, 4 bytes of fifth bits, 16 bytes of 4-bit values
        case .q8_0: return 34  // f16 scale, 32 signed bytes
        case .q2_k: return 84  // 16 bytes of 4-bit scales and minimums, 64 bytes of 2-bit values, f16 scale, f16 minimum
        case .q3_k: return 110 // 32 bytes of third bits, 64 bytes of 2-bit values, 12 bytes of 6-bit scales, f16 scale
        case .q4_k: return 144 // f16 scale, f16 minimum, 12 bytes of 6-bit scales and minimums, 128 bytes of 4-bit values
        case .q5_k: return 176 // as Q4_K, with 32 bytes of fifth bits before the 4-bit values
        case .q6_k: return 210 // 128 bytes of low 4 bits, 64 bytes of high 2 bits, 16 signed 8-bit scales, f16 scale
        case .iq4_nl: return 18 // f16 scale, 16 bytes of 4-bit level indices
        case .iq4_xs: return 136 // f16 scale, 2 + 4 bytes of 6-bit sub-block scales, 128 bytes of 4-bit level indices
        }
    }

    /// The names of the ggml types raise does not read, for error messages.
    static func name(of raw: UInt32) -> String {
        let names: [UInt32: String] = [9: "Q8_1", 15: "Q8_K", 16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S",
                                       21: "IQ3_S", 22: "IQ2_S", 24: "I8", 25: "I16", 26: "I32",
                                       27: "I64", 28: "F64", 29: "IQ1_M"]
        return names[raw] ?? "type \(raw)"
    }

    /// The types raise reads, by their ggml names, for error messages.
    static let supportedNames = "F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS"

    /// Dequantizes `count` elements (a multiple of the block size) from `bytes` into `out`.
    func dequantize(_ bytes: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>, count: Int) {
        let blocks = count / blockSize
        switch self {
        case .f32:
            for i in 0..<count { out[i] = Float(bitPattern: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian) }
        case .f16:
            for i in 0..<count { out[i] = bytes.half(at: 2 * i) }
        case .bf16:
            for i in 0..<count { out[i] = Float(bitPattern: UInt32(bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian) << 16) }
        case .q8_0:  // x = q · d
            for block in 0..<blocks {
                let base = block * 34
                let d = bytes.half(at: base)
                for j in 0..<32 { out[block * 32 + j] = Float(bytes.load(fromByteOffset: base + 2 + j, as: Int8.self)) * d }
            }
        case .q4_0, .q4_1, .q5_0, .q5_1:
            // Byte j of the values holds element j (low nibble) and j + 16 (high). Q5 adds a fifth bit: bit j of
            // the 32-bit word before the values for element j, bit j + 16 for element j + 16.
            // x = (q − 8) · d or (q − 16) · d without a minimum; q · d + m with one.
            let hasMinimum = self == .q4_1 || self == .q5_1, hasFifthBit = self == .q5_0 || self == .q5_1
            let valuesAt = (hasMinimum ? 4 : 2) + (hasFifthBit ? 4 : 0)
            let shift: Float = hasMinimum ? 0 : (hasFifthBit ? 16 : 8)
            for block in 0..<blocks {
                let base = block * blockBytes, y = out + block * 32
                let d = bytes.half(at: base), m: Float = hasMinimum ? bytes.half(at: base + 2) : 0
                let fifthBits = hasFifthBit ? bytes.loadUnaligned(fromByteOffset: base + valuesAt - 4, as: UInt32.self).littleEndian : 0
                for j in 0..<16 {
                    let q = bytes.load(fromByteOffset: base + valuesAt + j, as: UInt8.self)
                    let low = UInt32(q & 0x0F) | (fifthBits >> j & 1) << 4, high = UInt32(q >> 4) | (fifthBits >> (j + 16) & 1) << 4
                    y[j] = (Float(low) - shift) * d + m
                    y[j + 16] = (Float(high) - shift) * d + m
                }
            }
        case .q2_k, .q3_k, .q4_k, .q5_k, .q6_k:
            for block in 0..<blocks { dequantizeSuperBlock(bytes + block * blockBytes, into: out + block * 256) }
        case .iq4_nl, .iq4_xs:
            for block in 0..<blocks { dequantizeNonLinearBlock(bytes + block * blockBytes, into: out + block * blockSize) }
        }
    }
}

extension UnsafeRawPointer {
    /// The little-endian Float16 at `offset`, widened.
    func half(at offset: Int) -> Float {
        Float(Float16(bitPattern: loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian))
    }
}
