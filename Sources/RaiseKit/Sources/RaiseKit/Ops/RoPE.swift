// RoPE: rotary position embedding, in the half-split layout of HF LLaMA (dimension i pairs with
// i + D/2). Checkpoints stored for llama.cpp's adjacent-pair layout are permuted at load time. Pair i
// turns by p · ω_i at position p; plain RoPE's ω_i is base^(−2i/D), which a scaling (Llama 3's) divides.
import Foundation

/// The rotary-embedding kernels.   x (B, T, H·D) -> out (B, T, H·D)
public enum RoPE {
    /// Plain RoPE's frequencies: base^(−2i/D) for each pair index i < D/2.
    public static func frequencies(headDim: Int, base: Double) -> [Double] {
        (0..<headDim / 2).map { i in pow(base, -2 * Double(i) / Double(headDim)) }
    }

    /// cos and sin of p · ω_i for each position p < `positions` and pair index i < D/2.
    static func table(positions: Int, frequencies: [Double]) -> (cos: [Float], sin: [Float]) {
        let half = frequencies.count
        var cosines = [Float](repeating: 0, count: positions * half), sines = cosines
        for p in 0..<positions {
            for (i, frequency) in frequencies.enumerated() {
                let angle = Double(p) * frequency
                cosines[p * half + i] = Float(cos(angle))
                sines[p * half + i] = Float(sin(angle))
            }
        }
        return (cosines, sines)
    }

    /// Rotates each pair (x[i], x[i + D/2]) of token n by the angles of `positions[n]`; `direction` −1 rotates
    /// back (the backward pass, whose rule is the transpose of the rotation: dx = Rᵀ dy).
    static func rotate(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, cos: [Float], sin: [Float],
                       positions: [Int32], heads: Int, headDim: Int, direction: Float, accumulate: Bool) {
        let half = headDim / 2
        for (token, position) in positions.enumerated() {
            let angles = Int(position) * half
            for h in 0..<heads {
                let base = (token * heads + h) * headDim
                for i in 0..<half {
                    let (c, s) = (cos[angles + i], direction * sin[angles + i])
                    let (x1, x2) = (x[base + i], x[base + i + half])
                    let (y1, y2) = (x1 * c - x2 * s, x1 * s + x2 * c)
                    if accumulate {
                        out[base + i] += y1
                        out[base + i + half] += y2
                    } else {
                        out[base + i] = y1
                        out[base + i + half] = y2
                    }
                }
            }
        }
    }
}

extension Tape {
    /// Differentiable rotary embedding.   x (B, T, H·D) -> (B, T, H·D)
    ///
    /// - Parameters:
    ///   - heads: H; the head size D = last axis / H must be even.
    ///   - positions: each of the B·T tokens' position (`KeyValueCache.positions`: 0… in each row, later when
    ///     decoding with a cache, counted from a padded row's first real token).
    ///   - frequencies: each pair's angle per position, D/2 of them: `RoPE.frequencies(headDim:base:)` (base
    ///     10 000 in LLaMA 2, 100 000 in SmolLM2), or those scaled as in Llama 3 (`Llama3RoPEScaling`).
    public func rope(_ x: Variable, heads: Int, positions: [Int32], frequencies: [Double]) -> Variable {
        precondition(x.value.rank == 3 && x.shape[2] % heads == 0 && (x.shape[2] / heads) % 2 == 0,
                     "rope: input \(x.shape) does not split into \(heads) heads of even size")
        precondition(positions.count == x.shape[0] * x.shape[1] && positions.allSatisfy { $0 >= 0 },
                     "rope: \(positions.count) positions for input \(x.shape)")
        let headDim = x.shape[2] / heads
        precondition(frequencies.count == headDim / 2, "rope: \(frequencies.count) frequencies for heads of size \(headDim)")
        let (cosines, sines) = RoPE.table(positions: Int(positions.max() ?? 0) + 1, frequencies: frequencies)
        let out = output(Tensor(uninitialized: x.shape), from: [x])
        RoPE.rotate(out.value.data, x.value.data, cos: cosines, sin: sines, positions: positions,
                    heads: heads, headDim: headDim, direction: 1, accumulate: false)
        record("rope", output: out) { dOut in
            RoPE.rotate(x.gradBuffer.data, dOut.data, cos: cosines, sin: sines, positions: positions,
                        heads: heads, headDim: headDim, direction: -1, accumulate: true)
        }
        return out
    }
}
