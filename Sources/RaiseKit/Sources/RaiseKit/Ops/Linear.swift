// Linear: the dense layer y = x · Wᵀ + b (GPT-2, BERT, the policy's MLP), forward and backward side by
// side. The bias is copied into the output first and the product accumulated onto it (one gemm with
// beta = 1), so the layer passes over its output once, and its backward pass needs no gradient buffer
// between the bias and the product.

/// The dense-layer kernels.   x (N, In), weight (Out, In), bias (Out) -> out (N, Out)
enum Linear {
    /// out = x · Wᵀ + b.
    static func forward(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                        _ bias: UnsafePointer<Float>, rows: Int, inputs: Int, outputs: Int) {
        Parallel.ranges(rows, minimumPerPart: max(1, Parallel.elementsPerPart / max(outputs, 1))) { part in
            for r in part { (out + r * outputs).update(from: bias, count: outputs) }
        }
        BLAS.gemm(out, x, weight, m: rows, n: outputs, k: inputs, transposeB: true, beta: 1)
    }

    /// dx += dout · W; dW += doutᵀ · x; db += Σ dout over rows (the columns split over threads, each
    /// summed in row order as on one thread).
    static func backward(_ dx: UnsafeMutablePointer<Float>?, _ dWeight: UnsafeMutablePointer<Float>?, _ dBias: UnsafeMutablePointer<Float>?,
                         _ dOut: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                         rows: Int, inputs: Int, outputs: Int) {
        if let dx { BLAS.gemm(dx, dOut, weight, m: rows, n: inputs, k: outputs, beta: 1) }
        if let dWeight { BLAS.gemm(dWeight, dOut, x, m: outputs, n: inputs, k: rows, transposeA: true, beta: 1) }
        if let dBias {
            Parallel.ranges(outputs, minimumPerPart: 64) { columns in
                for r in 0..<rows {
                    let g = dOut + r * outputs
                    for c in columns { dBias[c] += g[c] }
                }
            }
        }
    }
}

extension Tape {
    /// Differentiable dense layer x · Wᵀ + b.   x (..., In), weight (Out, In), bias (Out) -> (..., Out)
    public func linear(_ x: Variable, weight: Variable, bias: Variable) -> Variable {
        let (rows, inputs, outputs) = (x.value.rowCount, x.value.lastDimension, weight.shape.first ?? 0)
        precondition(weight.shape == [outputs, inputs] && bias.shape == [outputs],
                     "linear: weight \(weight.shape) and bias \(bias.shape) for input \(x.shape)")
        let out = output(Tensor(uninitialized: x.shape.dropLast() + [outputs]), from: [x, weight, bias])
        Linear.forward(out.value.data, x.value.data, weight.value.data, bias.value.data, rows: rows, inputs: inputs, outputs: outputs)
        record("linear", output: out) { dOut in
            Linear.backward(x.requiresGrad ? x.gradBuffer.data : nil, weight.requiresGrad ? weight.gradBuffer.data : nil,
                            bias.requiresGrad ? bias.gradBuffer.data : nil, dOut.data, x.value.data, weight.value.data,
                            rows: rows, inputs: inputs, outputs: outputs)
        }
        return out
    }
}
