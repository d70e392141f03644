// GGMLKQuants: ggml's K-quants, the types of llama.cpp's Q2_K … Q6_K files (Q4_K_M mixes Q4_K and Q6_K, for
// instance). A super-block holds 256 elements in 16 sub-blocks of 16 (Q2_K, Q3_K, Q6_K) or 8 of 32 (Q4_K,
// Q5_K); each sub-block has its own scale (and minimum), itself quantized against the super-block's Float16
// scale. Written from ggml-quants.c's dequantize_row_q*_K, element for element in the same order.

extension GGMLType {
    /// Dequantizes one 256-element super-block of a K-quant type from `block` into `y`.
    func dequantizeSuperBlock(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        func byte(_ offset: Int) -> UInt8 { block.load(fromByteOffset: offset, as: UInt8.self) }
        switch self {
        case .q2_k:  // scales[16] (low 4 bits scale, high 4 minimum), qs[64], d, dmin; x = d·s·q − dmin·m
            let d = block.half(at: 80), dMin = block.half(at: 82)
            var element = 0, subBlock = 0
            for half in 0..<2 {
                let qs = 16 + 32 * half
                for shift in stride(from: 0, to: 8, by: 2) {
                    for part in 0..<2 {
                        let scale = byte(subBlock)
                        subBlock += 1
                        let dl = d * Float(scale & 0x0F), ml = dMin * Float(scale >> 4)
                        for l in 0..<16 {
                            y[element] = dl * Float(byte(qs + 16 * part + l) >> shift & 3) - ml
                            element += 1
                        }
                    }
                }
            }
        case .q3_k:  // hmask[32], qs[64], scales[12] (16 of 6 bits, offset 32), d; x = d·(s − 32)·(q − 4 if its hmask bit is clear)
            let d = block.half(at: 108)
            let scales = sixBitScales(block + 96)
            var element = 0, subBlock = 0, maskBit: UInt8 = 1
            for half in 0..<2 {
                let qs = 32 + 32 * half
                for shift in stride(from: 0, to: 8, by: 2) {
                    for part in 0..<2 {
                        let dl = d * Float(Int(scales[subBlock]) - 32)
                        subBlock += 1
                        for l in 0..<16 {
                            let low = Int(byte(qs + 16 * part + l) >> shift & 3)
                            let high = byte(16 * part + l) & maskBit != 0 ? 0 : 4
                            y[element] = dl * Float(low - high)
                            element += 1
                        }
                    }
                    maskBit <<= 1
                }
            }
        case .q4_k, .q5_k:  // d, dmin, scales[12] (8 scales and 8 minimums of 6 bits), [qh[32]], qs[128]; x = d·s·q − dmin·m
            let d = block.half(at: 0), dMin = block.half(at: 2)
            let hasFifthBit = self == .q5_k, qs = hasFifthBit ? 48 : 16
            for pair in 0..<4 {  // 64 elements: the low nibbles of 32 bytes, then their high nibbles
                for nibble in 0..<2 {
                    let (scale, minimum) = scaleAndMinimum(block + 4, subBlock: 2 * pair + nibble)
                    let dl = d * Float(scale), ml = dMin * Float(minimum)
                    let fifthBit = UInt8(1) << (2 * pair + nibble)
                    for l in 0..<32 {
                        let q = byte(qs + 32 * pair + l) >> (4 * nibble) & 0x0F
                        let high: UInt8 = hasFifthBit && byte(16 + l) & fifthBit != 0 ? 16 : 0
                        y[64 * pair + 32 * nibble + l] = dl * Float(q + high) - ml
                    }
                }
            }
        case .q6_k:  // ql[128], qh[64], scales[16] (signed), d; x = d·s·(q − 32), q of 6 bits
            let d = block.half(at: 208)
            func scale(_ i: Int) -> Float { Float(block.load(fromByteOffset: 192 + i, as: Int8.self)) }
            for half in 0..<2 {
                let ql = 64 * half, qh = 128 + 32 * half, sc = 8 * half, out = 128 * half
                for l in 0..<32 {
                    let high = byte(qh + l), subBlock = sc + l / 16
                    let q1 = Int((byte(ql + l) & 0x0F) | (high & 3) << 4) - 32
                    let q2 = Int((byte(ql + l + 32) & 0x0F) | (high >> 2 & 3) << 4) - 32
                    let q3 = Int(byte(ql + l) >> 4 | (high >> 4 & 3) << 4) - 32
                    let q4 = Int(byte(ql + l + 32) >> 4 | (high >> 6 & 3) << 4) - 32
                    y[out + l] = d * scale(subBlock) * Float(q1)
                    y[out + l + 32] = d * scale(subBlock + 2) * Float(q2)
                    y[out + l + 64] = d * scale(subBlock + 4) * Float(q3)
                    y[out + l + 96] = d * scale(subBlock + 6) * Float(q4)
                }
            }
        default:
            preconditionFailure("\(self) is not a K-quant")
        }
    }
}

/// Q3_K's 16 scales of 6 bits packed in 12 bytes: the low 4 bits of scales 0–7 in bytes 0–7's low nibbles,
/// of 8–15 in their high nibbles; the top 2 bits of all 16 in bytes 8–11, two bits each (ggml's kmask shuffle).
private func sixBitScales(_ packed: UnsafeRawPointer) -> [UInt8] {
    let p = (0..<12).map { packed.load(fromByteOffset: $0, as: UInt8.self) }
    return (0..<16).map { i in
        let low = i < 8 ? p[i] & 0x0F : p[i - 8] >> 4
        let high = p[8 + i % 4] >> (2 * (i / 4)) & 3
        return low | high << 4
    }
}

/// Q4_K's and Q5_K's scale and minimum of sub-block `subBlock` (0–7), 6 bits each, packed in 12 bytes
/// (ggml's get_scale_min_k4): sub-blocks 0–3 in the low 6 bits of bytes 0–3 and 4–7; 4–7 in the nibbles
/// of bytes 8–11, with their top 2 bits in the top bits of bytes 0–7.
private func scaleAndMinimum(_ packed: UnsafeRawPointer, subBlock j: Int) -> (UInt8, UInt8) {
    func q(_ i: Int) -> UInt8 { packed.load(fromByteOffset: i, as: UInt8.self) }
    if j < 4 { return (q(j) & 63, q(j + 4) & 63) }
    return ((q(j + 4) & 0x0F) | (q(j - 4) >> 6) << 4, (q(j + 4) >> 4) | (q(j) >> 6) << 4)
}
