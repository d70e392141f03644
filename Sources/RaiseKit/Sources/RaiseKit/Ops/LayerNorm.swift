// LayerNorm over the last axis with a learned scale and shift, as in GPT-2. The forward pass keeps
// each row's mean and reciprocal standard deviation for the backward pass (llm.c's layernorm).

/// The layer-normalisation kernels.   x (N, C), weight (C), bias (C) -> out (N, C); mean, rstd (N)
enum LayerNorm {
    /// out = (x − mean) · rstd · weight + bias, with rstd = 1 / √(var + eps). Rows in parallel.
    static func forward(_ out: UnsafeMutablePointer<Float>, _ mean: UnsafeMutablePointer<Float>,
                        _ rstd: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                        _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>, rows: Int, columns: Int, eps: Float) {
        Parallel.ranges(rows, minimumPerPart: 64) { part in
            for r in part {
                let (xi, o) = (x + r * columns, out + r * columns)
                let m = FastMath.sum(xi, count: columns) / Float(columns)
                for c in 0..<columns { o[c] = xi[c] - m }
                let s = 1 / (FastMath.dot(o, o, count: columns) / Float(columns) + eps).squareRoot()
                for c in 0..<columns { o[c] = o[c] * s * weight[c] + bias[c] }
                mean[r] = m
                rstd[r] = s
            }
        }
    }

    /// dx += rstd · (dnorm − mean(dnorm) − x̂ · mean(dnorm ⊙ x̂)), dnorm = dout ⊙ weight;
    /// dweight += Σ dout ⊙ x̂; dbias += Σ dout. Rows in parallel for dx; columns in parallel for the
    /// sums over rows, each column summed in row order as on one thread.
    static func backward(_ dx: UnsafeMutablePointer<Float>?, _ dWeight: UnsafeMutablePointer<Float>?,
                         _ dBias: UnsafeMutablePointer<Float>?, _ dOut: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                         _ weight: UnsafePointer<Float>, _ mean: UnsafePointer<Float>, _ rstd: UnsafePointer<Float>,
                         rows: Int, columns: Int) {
        if let dx {
            Parallel.ranges(rows, minimumPerPart: 64) { part in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * columns)
                defer { scratch.deallocate() }
                let (norm, dnorm) = (scratch, scratch + columns)
                for r in part {
                    let (g, xi, d) = (dOut + r * columns, x + r * columns, dx + r * columns)
                    let (m, s) = (mean[r], rstd[r])
                    for c in 0..<columns {
                        norm[c] = (xi[c] - m) * s
                        dnorm[c] = g[c] * weight[c]
                    }
                    let dnormMean = FastMath.sum(dnorm, count: columns) / Float(columns)
                    let dnormDotNorm = FastMath.dot(dnorm, norm, count: columns) / Float(columns)
                    for c in 0..<columns { d[c] += s * (dnorm[c] - dnormMean - norm[c] * dnormDotNorm) }
                }
            }
        }
        guard dWeight != nil || dBias != nil else { return }
        Parallel.ranges(columns, minimumPerPart: 32) { part in
            for r in 0..<rows {
                let (g, xi) = (dOut + r * columns, x + r * columns)
                let (m, s) = (mean[r], rstd[r])
                for c in part {
                    dBias?[c] += g[c]
                    dWeight?[c] += g[c] * (xi[c] - m) * s
                }
            }
        }
    }
}

extension Tape {
    /// Differentiable LayerNorm over the last axis.   x (..., C), weight (C), bias (C) -> (..., C)
    public func layerNorm(_ x: Variable, weight: Variable, bias: Variable, eps: Float = 1e-5) -> Variable {
        let (rows, columns) = (x.value.rowCount, x.value.lastDimension)
        precondition(weight.shape == [columns] && bias.shape == [columns],
                     "layerNorm: weight \(weight.shape) and bias \(bias.shape) for input \(x.shape)")
        let out = output(Tensor(uninitialized: x.shape), from: [x, weight, bias])
        let mean = Tensor(uninitialized: [rows]), rstd = Tensor(uninitialized: [rows])
        LayerNorm.forward(out.value.data, mean.data, rstd.data, x.value.data, weight.value.data, bias.value.data,
                          rows: rows, columns: columns, eps: eps)
        record("layerNorm", output: out) { dOut in
            LayerNorm.backward(x.requiresGrad ? x.gradBuffer.data : nil,
                               weight.requiresGrad ? weight.gradBuffer.data : nil,
                               bias.requiresGrad ? bias.gradBuffer.data : nil,
                               dOut.data, x.value.data, weight.value.data, mean.data, rstd.data,
                               rows: rows, columns: columns)
        }
        return out
    }
}
