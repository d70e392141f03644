// RoPE: rotary position embedding, in the half-split layout of HF LLaMA (dimension i pairs with
// i + D/2). Checkpoints stored for llama.cpp's adjacent-pair layout are permuted at load time.
import Foundation

/// The rotary-embedding kernels.   x (B, T, H·D) -> out (B, T, H·D)
enum RoPE {
    /// cos and sin of position · base^(−2i/D) for each position and pair index i < D/2.
    static func table(length: Int, offset: Int, headDim: Int, base: Float) -> (cos: [Float], sin: [Float]) {
        let half = headDim / 2
        var cosines = [Float](repeating: 0, count: length * half), sines = cosines
        for t in 0..<length {
            for i in 0..<half {
                let angle = Double(t + offset) * pow(Double(base), -2 * Double(i) / Double(headDim))
                cosines[t * half + i] = Float(cos(angle))
                sines[t * half + i] = Float(sin(angle))
            }
        }
        return (cosines, sines)
    }

    /// Rotates each pair (x[i], x[i + D/2]) by its angle; `direction` −1 rotates back (the backward pass,
    /// whose rule is the transpose of the rotation: dx = Rᵀ dy).
    static func rotate(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, cos: [Float], sin: [Float],
                       batch: Int, length: Int, heads: Int, headDim: Int, direction: Float, accumulate: Bool) {
        let half = headDim / 2
        for b in 0..<batch {
            for t in 0..<length {
                for h in 0..<heads {
                    let base = ((b * length + t) * heads + h) * headDim
                    for i in 0..<half {
                        let (c, s) = (cos[t * half + i], direction * sin[t * half + i])
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
}

extension Tape {
    /// Differentiable rotary embedding.   x (B, T, H·D) -> (B, T, H·D)
    ///
    /// - Parameters:
    ///   - heads: H; the head size D = last axis / H must be even.
    ///   - positionOffset: the position of the first of the T tokens (non-zero when decoding with a KV cache).
    ///   - base: the frequency base (10 000 in LLaMA 2, 100 000 in SmolLM2).
    public func rope(_ x: Variable, heads: Int, positionOffset: Int = 0, base: Float = 10_000) -> Variable {
        precondition(x.value.rank == 3 && x.shape[2] % heads == 0 && (x.shape[2] / heads) % 2 == 0,
                     "rope: input \(x.shape) does not split into \(heads) heads of even size")
        let (batch, length, headDim) = (x.shape[0], x.shape[1], x.shape[2] / heads)
        let (cosines, sines) = RoPE.table(length: length, offset: positionOffset, headDim: headDim, base: base)
        let out = output(Tensor(uninitialized: x.shape), from: [x])
        RoPE.rotate(out.value.data, x.value.data, cos: cosines, sin: sines, batch: batch, length: length,
                    heads: heads, headDim: headDim, direction: 1, accumulate: false)
        record("rope", output: out) { dOut in
            RoPE.rotate(x.gradBuffer.data, dOut.data, cos: cosines, sin: sines, batch: batch, length: length,
                        heads: heads, headDim: headDim, direction: -1, accumulate: true)
        }
        return out
    }
}
