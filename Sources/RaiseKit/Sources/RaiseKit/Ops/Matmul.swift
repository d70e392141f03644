// Matmul: (batched) matrix products in every transpose combination, forward and backward, each a
// cblas_sgemm call. Not a general einsum: batch axes must match, or B is one matrix shared by all.

/// The sizes of one (batched) product C = op(A) · op(B).
public struct MatmulShape: Equatable {
    /// Independent products (1 when B is shared and A is not transposed: the batch folds into M).
    public let batch: Int
    /// Rows of op(A) and of C.
    public let m: Int
    /// Columns of op(B) and of C.
    public let n: Int
    /// The contracted size.
    public let k: Int
    /// Whether A is stored (K, M) rather than (M, K).
    public let transposeA: Bool
    /// Whether B is stored (N, K) rather than (K, N).
    public let transposeB: Bool
    /// Whether one B serves every batch element.
    public let sharedB: Bool
    /// The shape of C: A's batch axes, then (M, N).
    public let outputShape: [Int]

    /// Checks the operand shapes: A is (..., M, K), B is (..., K, N) with the same batch axes, or (K, N).
    public init(a: [Int], b: [Int], transposeA: Bool, transposeB: Bool) {
        precondition(a.count >= 2 && b.count >= 2, "matmul: operands need two axes, got \(a) and \(b)")
        let batchAxes = Array(a.dropLast(2))
        let sharedB = b.count == 2
        precondition(sharedB || Array(b.dropLast(2)) == batchAxes,
                     "matmul: batch axes differ, \(a) and \(b)")
        let (aRows, aCols) = (a[a.count - 2], a[a.count - 1])
        let (bRows, bCols) = (b[b.count - 2], b[b.count - 1])
        let (m, k) = transposeA ? (aCols, aRows) : (aRows, aCols)
        let (kB, n) = transposeB ? (bCols, bRows) : (bRows, bCols)
        precondition(k == kB, "matmul: inner sizes differ, op(A) is (\(m), \(k)) and op(B) is (\(kB), \(n))")
        let batch = Tensor.elementCount(batchAxes)
        let folds = sharedB && !transposeA
        self.batch = folds ? 1 : batch
        self.m = folds ? batch * m : m
        self.n = n
        self.k = k
        self.transposeA = transposeA
        self.transposeB = transposeB
        self.sharedB = sharedB
        outputShape = batchAxes + [m, n]
    }
}

/// The matrix-product kernels.
public enum Matmul {
    /// C = op(A) · op(B), overwriting `out`.   A (..., M, K), B (..., K, N) or (K, N) -> C (..., M, N)
    public static func forward(out: Tensor, a: Tensor, b: Tensor, shape s: MatmulShape) {
        for i in 0..<s.batch {
            BLAS.gemm(out.data + i * s.m * s.n, a.data + i * s.m * s.k, b.data + (s.sharedB ? 0 : i * s.k * s.n),
                      m: s.m, n: s.n, k: s.k, transposeA: s.transposeA, transposeB: s.transposeB)
        }
    }

    /// Adds the gradients of C = op(A) · op(B) into `dA` and `dB` (either may be nil).
    /// With G = dC: d op(A) = G · op(B)ᵀ and d op(B) = op(A)ᵀ · G, each transposed back to storage order.
    public static func backward(dA: Tensor?, dB: Tensor?, dOut: Tensor, a: Tensor, b: Tensor, shape s: MatmulShape) {
        let (m, n, k) = (s.m, s.n, s.k)
        for i in 0..<s.batch {
            let g = dOut.data + i * m * n
            let ai = a.data + i * m * k
            let bi = b.data + (s.sharedB ? 0 : i * k * n)
            if let dA {
                let dAi = dA.data + i * m * k
                switch (s.transposeA, s.transposeB) {
                case (false, false): BLAS.gemm(dAi, g, bi, m: m, n: k, k: n, transposeB: true, beta: 1)
                case (false, true): BLAS.gemm(dAi, g, bi, m: m, n: k, k: n, beta: 1)
                case (true, false): BLAS.gemm(dAi, bi, g, m: k, n: m, k: n, transposeB: true, beta: 1)
                case (true, true): BLAS.gemm(dAi, bi, g, m: k, n: m, k: n, transposeA: true, transposeB: true, beta: 1)
                }
            }
            if let dB {
                let dBi = dB.data + (s.sharedB ? 0 : i * k * n)
                switch (s.transposeA, s.transposeB) {
                case (false, false): BLAS.gemm(dBi, ai, g, m: k, n: n, k: m, transposeA: true, beta: 1)
                case (true, false): BLAS.gemm(dBi, ai, g, m: k, n: n, k: m, beta: 1)
                case (false, true): BLAS.gemm(dBi, g, ai, m: n, n: k, k: m, transposeA: true, beta: 1)
                case (true, true): BLAS.gemm(dBi, g, ai, m: n, n: k, k: m, transposeA: true, transposeB: true, beta: 1)
                }
            }
        }
    }
}

extension Tensor {
    /// C = op(self) · op(other) as a new tensor.   (..., M, K) · (..., K, N) or (K, N) -> (..., M, N)
    public func matmul(_ other: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        let shape = MatmulShape(a: self.shape, b: other.shape, transposeA: transposeA, transposeB: transposeB)
        let out = Tensor(uninitialized: shape.outputShape)
        Matmul.forward(out: out, a: self, b: other, shape: shape)
        return out
    }

    /// C = op(self) · op(other) written into `out`, which must have the product's shape.
    public func matmul(_ other: Tensor, into out: Tensor, transposeA: Bool = false, transposeB: Bool = false) {
        let shape = MatmulShape(a: self.shape, b: other.shape, transposeA: transposeA, transposeB: transposeB)
        precondition(out.shape == shape.outputShape, "matmul: output \(out.shape), product is \(shape.outputShape)")
        Matmul.forward(out: out, a: self, b: other, shape: shape)
    }
}

extension Tape {
    /// Differentiable C = op(a) · op(b).   (..., M, K) · (..., K, N) or (K, N) -> (..., M, N)
    public func matmul(_ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false) -> Variable {
        let shape = MatmulShape(a: a.shape, b: b.shape, transposeA: transposeA, transposeB: transposeB)
        let out = output(Tensor(uninitialized: shape.outputShape), from: [a, b])
        Matmul.forward(out: out.value, a: a.value, b: b.value, shape: shape)
        record("matmul", output: out) { dOut in
            Matmul.backward(dA: a.requiresGrad ? a.gradBuffer : nil, dB: b.requiresGrad ? b.gradBuffer : nil,
                            dOut: dOut, a: a.value, b: b.value, shape: shape)
        }
        return out
    }
}
