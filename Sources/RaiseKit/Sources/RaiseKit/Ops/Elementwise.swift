// Elementwise: add and multiply with broadcasting, and multiply by a constant. Backward sums the
// output gradient over the axes an operand was stretched along (the index maps make that a loop).

/// The elementwise kernels over broadcast index maps.
enum Elementwise {
    /// out[i] = a[ia[i]] + b[ib[i]]
    static func addForward(_ out: Tensor, _ a: Tensor, _ b: Tensor, _ map: Broadcast) {
        for i in 0..<out.count { out.data[i] = a.data[map.leftIndex[i]] + b.data[map.rightIndex[i]] }
    }

    /// d[i] += g[i] for equal shapes (a gradient flowing through unchanged), in parallel parts.
    static func accumulate(_ d: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, count: Int) {
        Parallel.ranges(count, minimumPerPart: Parallel.elementsPerPart) { part in for i in part { d[i] += g[i] } }
    }

    /// da[ia[i]] += dout[i]; db[ib[i]] += dout[i]
    static func addBackward(_ da: Tensor?, _ db: Tensor?, _ dOut: Tensor, _ map: Broadcast) {
        for i in 0..<dOut.count {
            da?.data[map.leftIndex[i]] += dOut.data[i]
            db?.data[map.rightIndex[i]] += dOut.data[i]
        }
    }

    /// out[i] = a[ia[i]] · b[ib[i]]
    static func mulForward(_ out: Tensor, _ a: Tensor, _ b: Tensor, _ map: Broadcast) {
        for i in 0..<out.count { out.data[i] = a.data[map.leftIndex[i]] * b.data[map.rightIndex[i]] }
    }

    /// da[ia[i]] += dout[i] · b[ib[i]]; db[ib[i]] += dout[i] · a[ia[i]]
    static func mulBackward(_ da: Tensor?, _ db: Tensor?, _ dOut: Tensor, _ a: Tensor, _ b: Tensor, _ map: Broadcast) {
        for i in 0..<dOut.count {
            let (ia, ib) = (map.leftIndex[i], map.rightIndex[i])
            da?.data[ia] += dOut.data[i] * b.data[ib]
            db?.data[ib] += dOut.data[i] * a.data[ia]
        }
    }
}

extension Tape {
    /// Differentiable a + b with broadcasting.
    public func add(_ a: Variable, _ b: Variable) -> Variable {
        if a.shape == b.shape { return addSameShape(a, b) }
        let map = Broadcast(a.shape, b.shape, op: "add")
        let out = output(Tensor(uninitialized: map.shape), from: [a, b])
        Elementwise.addForward(out.value, a.value, b.value, map)
        record("add", output: out) { dOut in
            Elementwise.addBackward(a.requiresGrad ? a.gradBuffer : nil, b.requiresGrad ? b.gradBuffer : nil, dOut, map)
        }
        return out
    }

    /// Differentiable a · b (elementwise) with broadcasting.
    public func mul(_ a: Variable, _ b: Variable) -> Variable {
        if a.shape == b.shape { return mulSameShape(a, b) }
        let map = Broadcast(a.shape, b.shape, op: "mul")
        let out = output(Tensor(uninitialized: map.shape), from: [a, b])
        Elementwise.mulForward(out.value, a.value, b.value, map)
        record("mul", output: out) { dOut in
            Elementwise.mulBackward(a.requiresGrad ? a.gradBuffer : nil, b.requiresGrad ? b.gradBuffer : nil,
                                    dOut, a.value, b.value, map)
        }
        return out
    }

    /// a + b for equal shapes (residual connections): plain loops, no index maps.
    private func addSameShape(_ a: Variable, _ b: Variable) -> Variable {
        let out = output(Tensor(uninitialized: a.shape), from: [a, b])
        let (o, x, y, n) = (out.value.data, a.value.data, b.value.data, a.value.count)
        Parallel.ranges(n, minimumPerPart: Parallel.elementsPerPart) { part in for i in part { o[i] = x[i] + y[i] } }
        record("add", output: out) { dOut in
            for input in [a, b] where input.requiresGrad { Elementwise.accumulate(input.gradBuffer.data, dOut.data, count: n) }
        }
        return out
    }

    /// a · b for equal shapes (gated MLPs): plain loops, no index maps.
    private func mulSameShape(_ a: Variable, _ b: Variable) -> Variable {
        let out = output(Tensor(uninitialized: a.shape), from: [a, b])
        let (o, x, y, n) = (out.value.data, a.value.data, b.value.data, a.value.count)
        Parallel.ranges(n, minimumPerPart: Parallel.elementsPerPart) { part in for i in part { o[i] = x[i] * y[i] } }
        record("mul", output: out) { dOut in
            let g = dOut.data
            for (input, other) in [(a, y), (b, x)] where input.requiresGrad {
                let d = input.gradBuffer.data
                Parallel.ranges(n, minimumPerPart: Parallel.elementsPerPart) { part in for i in part { d[i] += g[i] * other[i] } }
            }
        }
        return out
    }

    /// Differentiable x · c for a constant c.
    public func scale(_ x: Variable, by c: Float) -> Variable {
        let out = output(Tensor(uninitialized: x.shape), from: [x])
        for i in 0..<x.value.count { out.value.data[i] = x.value.data[i] * c }
        record("scale", output: out) { dOut in
            let dx = x.gradBuffer
            for i in 0..<dOut.count { dx.data[i] += dOut.data[i] * c }
        }
        return out
    }
}
