// Bias: adds a vector to every row. The fast path of broadcasting for linear layers.

/// The bias kernels.   x (N, C), bias (C) -> out (N, C)
enum Bias {
    static func forward(_ out: Tensor, _ x: Tensor, _ bias: Tensor, rows: Int, columns: Int) {
        for r in 0..<rows {
            let (o, xi) = (out.data + r * columns, x.data + r * columns)
            for c in 0..<columns { o[c] = xi[c] + bias.data[c] }
        }
    }

    /// dx += dout; dbias += the sum of dout over rows.
    static func backward(_ dx: Tensor?, _ dBias: Tensor?, _ dOut: Tensor, rows: Int, columns: Int) {
        for r in 0..<rows {
            let g = dOut.data + r * columns
            if let dx { for c in 0..<columns { dx.data[r * columns + c] += g[c] } }
            if let dBias { for c in 0..<columns { dBias.data[c] += g[c] } }
        }
    }
}

extension Tape {
    /// Differentiable x + bias on every row.   x (..., C), bias (C) -> (..., C)
    public func addBias(_ x: Variable, _ bias: Variable) -> Variable {
        precondition(bias.shape == [x.value.lastDimension], "addBias: bias \(bias.shape) for input \(x.shape)")
        let (rows, columns) = (x.value.rowCount, x.value.lastDimension)
        let out = output(Tensor(uninitialized: x.shape), from: [x, bias])
        Bias.forward(out.value, x.value, bias.value, rows: rows, columns: columns)
        record("addBias", output: out) { dOut in
            Bias.backward(x.requiresGrad ? x.gradBuffer : nil, bias.requiresGrad ? bias.gradBuffer : nil,
                          dOut, rows: rows, columns: columns)
        }
        return out
    }
}
