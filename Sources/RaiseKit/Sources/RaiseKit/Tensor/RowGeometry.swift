// RowGeometry: the plain row arithmetic of embedding-like tables — column means, rows centred on them,
// columns scaled, rows scaled to unit length — which PCA and the target-aware features share. Not autograd ops: no
// gradient flows through them.

extension Tensor {
    /// The mean of each column, summed in row order.   (N, C) -> (C)
    public func columnMeans() -> [Float] {
        let (n, c) = (shape[0], shape[1])
        var mean = [Float](repeating: 0, count: c)
        for i in 0..<n { for j in 0..<c { mean[j] += data[i * c + j] / Float(n) } }
        return mean
    }

    /// A copy with `mean` subtracted from every row.   (N, C) -> (N, C)
    public func centred(on mean: [Float]) -> Tensor {
        let (n, c) = (shape[0], shape[1])
        let out = copy()
        for i in 0..<n { for j in 0..<c { out.data[i * c + j] -= mean[j] } }
        return out
    }

    /// A copy with column j multiplied by `scales[j]`.   (N, C) -> (N, C)
    public func scalingColumns(by scales: [Float]) -> Tensor {
        let (n, c) = (shape[0], shape[1])
        let out = copy()
        for i in 0..<n { for j in 0..<c { out.data[i * c + j] *= scales[j] } }
        return out
    }

    /// A copy with every row scaled to unit length (a zero row stays zero).   (N, C) -> (N, C)
    public func unitRows() -> Tensor {
        let (n, c) = (shape[0], shape[1])
        let out = copy()
        for i in 0..<n {
            var norm: Float = 0
            for j in 0..<c { norm += out.data[i * c + j] * out.data[i * c + j] }
            let scale = norm > 0 ? 1 / norm.squareRoot() : 0
            for j in 0..<c { out.data[i * c + j] *= scale }
        }
        return out
    }
}
