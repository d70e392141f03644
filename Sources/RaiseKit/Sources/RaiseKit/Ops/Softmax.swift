// Softmax and log-softmax over the last axis, forward and backward side by side. Each row is
// shifted by its maximum first, so large logits do not overflow.
import Foundation

/// The softmax kernels.   x (N, C) -> out (N, C), rows independent
enum Softmax {
    /// out = exp(x − max) / Σ exp(x − max), row by row.
    static func forward(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, columns: Int) {
        Parallel.ranges(rows, minimumPerPart: max(1, 8192 / max(columns, 1))) { part in
            for r in part {
                let (xi, o) = (x + r * columns, out + r * columns)
                let maxValue = FastMath.maximum(xi, count: columns)
                let inverse = 1 / FastMath.exp(o, xi, count: columns, shift: maxValue)
                for c in 0..<columns { o[c] *= inverse }
            }
        }
    }

    /// dx += y ⊙ (dy − Σ dy ⊙ y), with y the forward output.
    static func backward(_ dx: UnsafeMutablePointer<Float>, _ dOut: UnsafePointer<Float>, _ out: UnsafePointer<Float>,
                         rows: Int, columns: Int) {
        for r in 0..<rows {
            let (g, y, d) = (dOut + r * columns, out + r * columns, dx + r * columns)
            var dot: Float = 0
            for c in 0..<columns { dot += g[c] * y[c] }
            for c in 0..<columns { d[c] += y[c] * (g[c] - dot) }
        }
    }

    /// out = x − max − log Σ exp(x − max), row by row.
    static func logForward(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, columns: Int) {
        for r in 0..<rows {
            let (xi, o) = (x + r * columns, out + r * columns)
            var maxValue = -Float.infinity
            for c in 0..<columns { maxValue = max(maxValue, xi[c]) }
            var sum: Float = 0
            for c in 0..<columns { sum += exp(xi[c] - maxValue) }
            let logSum = log(sum)  // subtract from the shifted value: x − (max + log Σ) would round at large x
            for c in 0..<columns { o[c] = (xi[c] - maxValue) - logSum }
        }
    }

    /// dx += dy − softmax(x) · Σ dy, with softmax(x) = exp(out).
    static func logBackward(_ dx: UnsafeMutablePointer<Float>, _ dOut: UnsafePointer<Float>, _ out: UnsafePointer<Float>,
                            rows: Int, columns: Int) {
        for r in 0..<rows {
            let (g, y, d) = (dOut + r * columns, out + r * columns, dx + r * columns)
            var sum: Float = 0
            for c in 0..<columns { sum += g[c] }
            for c in 0..<columns { d[c] += g[c] - exp(y[c]) * sum }
        }
    }
}

extension Tape {
    /// Differentiable softmax over the last axis.
    public func softmax(_ x: Variable) -> Variable {
        let (rows, columns) = (x.value.rowCount, x.value.lastDimension)
        let out = output(Tensor(uninitialized: x.shape), from: [x])
        Softmax.forward(out.value.data, x.value.data, rows: rows, columns: columns)
        record("softmax", output: out) { dOut in
            Softmax.backward(x.gradBuffer.data, dOut.data, out.value.data, rows: rows, columns: columns)
        }
        return out
    }

    /// Differentiable log-softmax over the last axis.
    public func logSoftmax(_ x: Variable) -> Variable {
        let (rows, columns) = (x.value.rowCount, x.value.lastDimension)
        let out = output(Tensor(uninitialized: x.shape), from: [x])
        Softmax.logForward(out.value.data, x.value.data, rows: rows, columns: columns)
        record("logSoftmax", output: out) { dOut in
            Softmax.logBackward(x.gradBuffer.data, dOut.data, out.value.data, rows: rows, columns: columns)
        }
        return out
    }
}
