// Reduction: sum and mean of all elements to a scalar.

extension Tape {
    /// Differentiable Σ x.   (any shape) -> ()
    public func sum(_ x: Variable) -> Variable { reduce(x, scale: 1, op: "sum") }

    /// Differentiable mean of x.   (any shape) -> ()
    public func mean(_ x: Variable) -> Variable { reduce(x, scale: 1 / Float(max(x.value.count, 1)), op: "mean") }

    /// out = scale · Σ x; dx += scale · dout.
    private func reduce(_ x: Variable, scale: Float, op: String) -> Variable {
        var total: Double = 0  // accumulate in double: sums over whole tensors lose bits in float
        for i in 0..<x.value.count { total += Double(x.value.data[i]) }
        let out = output(Tensor(scalar: Float(total) * scale), from: [x])
        record(op, output: out) { dOut in
            let (dx, g) = (x.gradBuffer, dOut.data[0] * scale)
            for i in 0..<dx.count { dx.data[i] += g }
        }
        return out
    }
}
