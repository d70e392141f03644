// PCA: projects rows onto their top-k principal directions, found by orthogonal (subspace) iteration on
// the covariance matrix with a seeded start, so the same data and seed give the same projection. Each
// direction's sign is fixed (its largest entry positive), so a converged fit does not depend on the seed.
// Not a general eigensolver: it finds the leading k directions, which is all the features need.

/// A fitted principal-component projection.
public struct PCA: Sendable {
    /// The column means subtracted before projecting.   (C)
    public let mean: [Float]
    /// The principal directions, one per row, strongest first.   (K, C)
    public let components: Tensor
    /// The variance along each direction.   (K)
    public let variances: [Float]

    /// Fits `k` components to the rows of `data`.   data (N, C)
    ///
    /// - Throws: `RaiseError.invalidArgument` when k is not in 1...C or there are fewer than 2 rows.
    public init(fitting data: Tensor, components k: Int, seed: UInt64, iterations: Int = 200) throws {
        precondition(data.rank == 2, "PCA: data must be (N, C), got \(data.shape)")
        let (n, c) = (data.shape[0], data.shape[1])
        guard k >= 1, k <= c, n >= 2 else {
            throw RaiseError.invalidArgument(name: "PCA", detail: "cannot fit \(k) components to \(n) rows of \(c) columns")
        }
        let mean = data.columnMeans()
        let centred = data.centred(on: mean)
        let covariance = centred.matmul(centred, transposeA: true)                // (C, C)
        for i in 0..<covariance.count { covariance.data[i] /= Float(n - 1) }

        var rng = RandomGenerator(seed: seed)
        var basis = Tensor(randomNormal: [c, k], rng: &rng)                        // (C, K), columns are directions
        PCA.orthonormalizeColumns(basis)
        for _ in 0..<iterations {
            basis = covariance.matmul(basis)
            PCA.orthonormalizeColumns(basis)
        }
        // Order by the variance each direction explains: vᵀ Σ v.
        let projected = covariance.matmul(basis)                                  // (C, K)
        var variances = (0..<k).map { col in (0..<c).reduce(Float(0)) { $0 + basis[$1, col] * projected[$1, col] } }
        let order = (0..<k).sorted { variances[$0] > variances[$1] }
        let components = Tensor(zeros: [k, c])
        for (row, col) in order.enumerated() {
            let largest = (0..<c).max { abs(basis[$0, col]) < abs(basis[$1, col]) } ?? 0
            let sign: Float = basis[largest, col] < 0 ? -1 : 1
            for j in 0..<c { components[row, j] = sign * basis[j, col] }
        }
        variances = order.map { variances[$0] }
        self.mean = mean
        self.components = components
        self.variances = variances
    }

    /// The coordinates of each row along the components.   data (N, C) -> (N, K)
    public func transform(_ data: Tensor) -> Tensor {
        data.centred(on: mean).matmul(components, transposeB: true)
    }

    /// Gram–Schmidt on the columns, twice for stability.   (C, K) in place
    private static func orthonormalizeColumns(_ m: Tensor) {
        let (rows, columns) = (m.shape[0], m.shape[1])
        for _ in 0..<2 {
            for j in 0..<columns {
                for previous in 0..<j {
                    var dot: Float = 0
                    for i in 0..<rows { dot += m[i, j] * m[i, previous] }
                    for i in 0..<rows { m[i, j] -= dot * m[i, previous] }
                }
                var norm: Float = 0
                for i in 0..<rows { norm += m[i, j] * m[i, j] }
                let scale = 1 / max(norm.squareRoot(), 1e-12)
                for i in 0..<rows { m[i, j] *= scale }
            }
        }
    }
}
