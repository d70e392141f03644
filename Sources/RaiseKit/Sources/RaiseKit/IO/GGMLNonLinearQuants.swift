// GGMLNonLinearQuants: ggml's 4-bit non-linear types, IQ4_NL (blocks of 32 under one Float16 scale) and IQ4_XS
// (super-blocks of 256: eight sub-blocks of 32, each with a 6-bit scale). A 4-bit value is not a level itself
// but an index into a fixed table of 16 levels, denser near zero. llama.cpp's IQ4_XS files use both (IQ4_NL for
// rows that do not fill 256). Written from ggml-quants.c's dequantize_row_iq4_nl and dequantize_row_iq4_xs.
// The other i-quants (IQ1–IQ3: lattice codebooks) are not read.

/// The 16 levels a 4-bit IQ4 index selects (ggml's kvalues_iq4nl).
private let iq4Levels: [Float] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]

extension GGMLType {
    /// Dequantizes one block of IQ4_NL (32 elements) or IQ4_XS (256) from `block` into `y`.
    func dequantizeNonLinearBlock(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        func byte(_ offset: Int) -> UInt8 { block.load(fromByteOffset: offset, as: UInt8.self) }
        /// 32 elements from 16 bytes at `offset`: byte j holds element j (low nibble) and j + 16 (high).
        func levels(at offset: Int, scale: Float, into out: UnsafeMutablePointer<Float>) {
            for j in 0..<16 {
                let q = byte(offset + j)
                out[j] = scale * iq4Levels[Int(q & 0x0F)]
                out[j + 16] = scale * iq4Levels[Int(q >> 4)]
            }
        }
        switch self {
        case .iq4_nl:  // d, qs[16]; x = d · level[q]
            levels(at: 2, scale: block.half(at: 0), into: y)
        case .iq4_xs:  // d, scales_h (2 top bits of each sub-block's scale), scales_l[4] (4 low bits), qs[128]
            let d = block.half(at: 0)
            let highBits = UInt16(byte(2)) | UInt16(byte(3)) << 8
            for subBlock in 0..<8 {
                let low = byte(4 + subBlock / 2) >> (4 * (subBlock % 2)) & 0x0F
                let scale = Int(low) | Int(highBits >> (2 * subBlock) & 3) << 4
                levels(at: 8 + 16 * subBlock, scale: d * Float(scale - 32), into: y + 32 * subBlock)
            }
        default:
            preconditionFailure("\(self) is not IQ4_NL or IQ4_XS")
        }
    }
}
