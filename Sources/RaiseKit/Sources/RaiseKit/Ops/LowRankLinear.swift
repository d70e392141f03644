// LowRankLinear: a dense layer with a LoRA adapter in one op, y = x · Wᵀ (+ b) + s · (x · Aᵀ) · Bᵀ,
// forward and backward side by side. Fused, the layer keeps only u = x · Aᵀ (N, r) for its backward pass
// and accumulates the low-rank product onto the output (gemm with beta = 1): no (N, Out) tensor beyond the
// output itself, where a matmul, a matmul and an add would keep two more per adapted layer.

/// The adapted dense-layer kernels.   x (N, In), weight (Out, In), bias (Out), A (R, In), B (Out, R) -> out (N, Out)
enum LowRankLinear {
    /// u = x · Aᵀ; out = x · Wᵀ (+ b) + s · u · Bᵀ.
    static func forward(_ out: UnsafeMutablePointer<Float>, _ u: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                        _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                        scale: Float, rows: Int, inputs: Int, outputs: Int, rank: Int) {
        if let bias {
            Linear.forward(out, x, weight, bias, rows: rows, inputs: inputs, outputs: outputs)
        } else {
            BLAS.gemm(out, x, weight, m: rows, n: outputs, k: inputs, transposeB: true)
        }
        BLAS.gemm(u, x, a, m: rows, n: rank, k: inputs, transposeB: true)
        BLAS.gemm(out, u, b, m: rows, n: outputs, k: rank, transposeB: true, alpha: scale, beta: 1)
    }

    /// With G = dout and dU = s · G · B:   dx += G · W + dU · A;  dW += Gᵀ · x;  db += Σ G;
    /// dA += dUᵀ · x;  dB += s · Gᵀ · u.
    static func backward(dx: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?,
                         dA: UnsafeMutablePointer<Float>?, dB: UnsafeMutablePointer<Float>?, dOut: UnsafePointer<Float>,
                         x: UnsafePointer<Float>, u: UnsafePointer<Float>, weight: UnsafePointer<Float>, a: UnsafePointer<Float>,
                         b: UnsafePointer<Float>, scale: Float, rows: Int, inputs: Int, outputs: Int, rank: Int) {
        Linear.backward(dx, dWeight, dBias, dOut, x, weight, rows: rows, inputs: inputs, outputs: outputs)
        let dU = Tensor(uninitialized: [rows, rank])
        BLAS.gemm(dU.data, dOut, b, m: rows, n: rank, k: outputs, alpha: scale)
        if let dx { BLAS.gemm(dx, dU.data, a, m: rows, n: inputs, k: rank, beta: 1) }
        if let dA { BLAS.gemm(dA, dU.data, x, m: rank, n: inputs, k: rows, transposeA: true, beta: 1) }
        if let dB { BLAS.gemm(dB, dOut, u, m: outputs, n: rank, k: rows, transposeA: true, alpha: scale, beta: 1) }
    }
}

extension Tape {
    /// Differentiable x · Wᵀ (+ b) + s · (x · Aᵀ) · Bᵀ.   x (..., In), weight (Out, In), bias (Out) or nil,
    /// A (R, In), B (Out, R) -> (..., Out)
    public func lowRankLinear(_ x: Variable, weight: Variable, bias: Variable?, a: Variable, b: Variable, scale: Float) -> Variable {
        let (rows, inputs, outputs, rank) = (x.value.rowCount, x.value.lastDimension, weight.shape.first ?? 0, a.shape.first ?? 0)
        precondition(weight.shape == [outputs, inputs] && (bias == nil || bias!.shape == [outputs])
                     && a.shape == [rank, inputs] && b.shape == [outputs, rank],
                     "lowRankLinear: weight \(weight.shape), bias \(bias?.shape ?? []), A \(a.shape), B \(b.shape) for input \(x.shape)")
        let out = output(Tensor(uninitialized: x.shape.dropLast() + [outputs]), from: [x, weight, a, b] + (bias.map { [$0] } ?? []))
        let u = Tensor(uninitialized: [rows, rank])
        LowRankLinear.forward(out.value.data, u.data, x.value.data, weight.value.data, bias.map { UnsafePointer($0.value.data) }, a.value.data,
                              b.value.data, scale: scale, rows: rows, inputs: inputs, outputs: outputs, rank: rank)
        record("lowRankLinear", output: out) { dOut in
            func gradient(_ v: Variable?) -> UnsafeMutablePointer<Float>? { v?.requiresGrad == true ? v!.gradBuffer.data : nil }
            LowRankLinear.backward(dx: gradient(x), dWeight: gradient(weight), dBias: gradient(bias), dA: gradient(a), dB: gradient(b),
                                   dOut: dOut.data, x: x.value.data, u: u.data, weight: weight.value.data, a: a.value.data,
                                   b: b.value.data, scale: scale, rows: rows, inputs: inputs, outputs: outputs, rank: rank)
        }
        return out
    }
}
