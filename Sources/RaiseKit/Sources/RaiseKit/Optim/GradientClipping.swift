// Global-norm gradient clipping over a parameter store's flat gradient. The norm is summed in fixed
// chunks (each in order, in Double) whose sums are added in order, so it is the same number whatever the
// thread count that computes the chunks.

extension ParameterStore {
    /// The L2 norm of `scale` · the gradient, every scalar scaled before it is squared.
    public func gradientNorm(scale: Float = 1) -> Float {
        let chunk = 1 << 16, g = grads.data
        var sums = [Double](repeating: 0, count: (count + chunk - 1) / chunk)
        sums.withUnsafeMutableBufferPointer { sums in
            Parallel.ranges(sums.count, minimumPerPart: 4) { chunks in
                for c in chunks {
                    var sum: Double = 0
                    for i in c * chunk..<min((c + 1) * chunk, count) {
                        let x = Double(g[i] * scale)
                        sum += x * x
                    }
                    sums[c] = sum
                }
            }
        }
        return Float(sums.reduce(0, +).squareRoot())
    }

    /// The factor that brings a gradient of norm `norm` within `maxNorm`: maxNorm / norm above it, else 1.
    public static func clipFactor(norm: Float, maxNorm: Float) -> Float {
        norm > maxNorm && norm.isFinite ? maxNorm / norm : 1
    }

    /// Scales all gradients so that their joint L2 norm is at most `maxNorm`; returns the norm before.
    @discardableResult
    public func clipGradients(maxNorm: Float) -> Float {
        let norm = gradientNorm()
        let factor = ParameterStore.clipFactor(norm: norm, maxNorm: maxNorm)
        if factor != 1 { for i in 0..<count { grads.data[i] *= factor } }
        return norm
    }
}
