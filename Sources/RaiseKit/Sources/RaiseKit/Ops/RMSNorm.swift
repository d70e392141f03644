// RMSNorm over the last axis with a learned scale, as in LLaMA: no mean subtraction, no shift.

/// The RMS-normalisation kernels.   x (N, C), weight (C) -> out (N, C); rstd (N)
enum RMSNorm {
    /// out = x · rstd · weight, with rstd = 1 / √(mean(x²) + eps). Rows in parallel.
    static func forward(_ out: UnsafeMutablePointer<Float>, _ rstd: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                        _ weight: UnsafePointer<Float>, rows: Int, columns: Int, eps: Float) {
        Parallel.ranges(rows, minimumPerPart: 64) { part in
            for r in part {
                let (xi, o) = (x + r * columns, out + r * columns)
                var sumSquares: Float = 0
                for c in 0..<columns { sumSquares += xi[c] * xi[c] }
                let s = 1 / (sumSquares / Float(columns) + eps).squareRoot()
                for c in 0..<columns { o[c] = xi[c] * s * weight[c] }
                rstd[r] = s
            }
        }
    }

    /// dx += rstd · (dnorm − x̂ · mean(dnorm ⊙ x̂)), dnorm = dout ⊙ weight, x̂ = x · rstd;
    /// dweight += Σ dout ⊙ x̂. Rows in parallel for dx; columns in parallel for dweight, each column
    /// summed in row order as on one thread.
    static func backward(_ dx: UnsafeMutablePointer<Float>?, _ dWeight: UnsafeMutablePointer<Float>?,
                         _ dOut: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                         _ rstd: UnsafePointer<Float>, rows: Int, columns: Int) {
        if let dx {
            Parallel.ranges(rows, minimumPerPart: 64) { part in
                for r in part {
                    let (g, xi, s, d) = (dOut + r * columns, x + r * columns, rstd[r], dx + r * columns)
                    var dnormDotNorm: Float = 0
                    for c in 0..<columns { dnormDotNorm += g[c] * weight[c] * xi[c] * s }
                    dnormDotNorm /= Float(columns)
                    for c in 0..<columns { d[c] += s * (g[c] * weight[c] - xi[c] * s * dnormDotNorm) }
                }
            }
        }
        guard let dWeight else { return }
        Parallel.ranges(columns, minimumPerPart: 32) { part in
            for r in 0..<rows {
                let (g, xi, s) = (dOut + r * columns, x + r * columns, rstd[r])
                for c in part { dWeight[c] += g[c] * (xi[c] * s) }
            }
        }
    }
}

extension Tape {
    /// Differentiable RMSNorm over the last axis.   x (..., C), weight (C) -> (..., C)
    public func rmsNorm(_ x: Variable, weight: Variable, eps: Float = 1e-5) -> Variable {
        let (rows, columns) = (x.value.rowCount, x.value.lastDimension)
        precondition(weight.shape == [columns], "rmsNorm: weight \(weight.shape) for input \(x.shape)")
        let out = output(Tensor(uninitialized: x.shape), from: [x, weight])
        let rstd = Tensor(uninitialized: [rows])
        RMSNorm.forward(out.value.data, rstd.data, x.value.data, weight.value.data, rows: rows, columns: columns, eps: eps)
        record("rmsNorm", output: out) { dOut in
            RMSNorm.backward(x.requiresGrad ? x.gradBuffer.data : nil, weight.requiresGrad ? weight.gradBuffer.data : nil,
                             dOut.data, x.value.data, weight.value.data, rstd.data, rows: rows, columns: columns)
        }
        return out
    }
}
