// Global-norm gradient clipping over a parameter store's flat gradient.

extension ParameterStore {
    /// Scales all gradients so that their joint L2 norm is at most `maxNorm`; returns the norm before.
    @discardableResult
    public func clipGradients(maxNorm: Float) -> Float {
        var sumSquares: Double = 0
        for i in 0..<count { sumSquares += Double(grads.data[i]) * Double(grads.data[i]) }
        let norm = Float(sumSquares.squareRoot())
        if norm > maxNorm && norm.isFinite {
            let factor = maxNorm / norm
            for i in 0..<count { grads.data[i] *= factor }
        }
        return norm
    }
}
