// Concat, slice and reshape: moving blocks of elements. An axis splits a tensor into
// (outer, size along the axis, inner) and every op here copies contiguous runs of `inner` elements.

/// The block layout of a tensor around one axis.
private struct AxisBlocks {
    let outer: Int
    let size: Int
    let inner: Int

    init(_ shape: [Int], axis: Int, op: String) {
        precondition(axis >= 0 && axis < shape.count, "\(op): axis \(axis) out of range for shape \(shape)")
        outer = Tensor.elementCount(Array(shape[..<axis]))
        size = shape[axis]
        inner = Tensor.elementCount(Array(shape[(axis + 1)...]))
    }
}

extension Tape {
    /// Differentiable concatenation along `axis`; every other axis must match.
    public func concat(_ parts: [Variable], axis: Int) -> Variable {
        precondition(!parts.isEmpty, "concat: no inputs")
        var shape = parts[0].shape
        for part in parts.dropFirst() {
            var a = part.shape, b = shape
            precondition(a.count == b.count && axis < a.count, "concat: shapes \(part.shape) and \(shape)")
            a[axis] = 0
            b[axis] = 0
            precondition(a == b, "concat: shapes \(part.shape) and \(shape) differ off axis \(axis)")
        }
        shape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
        let out = output(Tensor(uninitialized: shape), from: parts)
        let total = AxisBlocks(shape, axis: axis, op: "concat")
        var start = 0
        var offsets = [Int]()
        for part in parts {
            let blocks = AxisBlocks(part.shape, axis: axis, op: "concat")
            for o in 0..<blocks.outer {
                (out.value.data + (o * total.size + start) * total.inner)
                    .update(from: part.value.data + o * blocks.size * blocks.inner, count: blocks.size * blocks.inner)
            }
            offsets.append(start)
            start += blocks.size
        }
        record("concat", output: out) { dOut in
            for (part, start) in zip(parts, offsets) where part.requiresGrad {
                let blocks = AxisBlocks(part.shape, axis: axis, op: "concat")
                let dx = part.gradBuffer
                for o in 0..<blocks.outer {
                    let (d, g) = (dx.data + o * blocks.size * blocks.inner, dOut.data + (o * total.size + start) * total.inner)
                    for i in 0..<blocks.size * blocks.inner { d[i] += g[i] }
                }
            }
        }
        return out
    }

    /// Differentiable slice `range` along `axis`.
    public func slice(_ x: Variable, axis: Int, range: Range<Int>) -> Variable {
        let blocks = AxisBlocks(x.shape, axis: axis, op: "slice")
        precondition(range.lowerBound >= 0 && range.upperBound <= blocks.size,
                     "slice: range \(range) outside axis \(axis) of shape \(x.shape)")
        var shape = x.shape
        shape[axis] = range.count
        let out = output(Tensor(uninitialized: shape), from: [x])
        let run = range.count * blocks.inner
        let (o, xv) = (out.value.data, x.value.data)
        let minimum = max(1, Parallel.elementsPerPart / max(run, 1))  // outer blocks per thread
        Parallel.ranges(blocks.outer, minimumPerPart: minimum) { part in
            for b in part { (o + b * run).update(from: xv + (b * blocks.size + range.lowerBound) * blocks.inner, count: run) }
        }
        record("slice", output: out) { dOut in
            let (dx, g) = (x.gradBuffer.data, dOut.data)
            Parallel.ranges(blocks.outer, minimumPerPart: minimum) { part in
                for b in part {
                    let (d, gb) = (dx + (b * blocks.size + range.lowerBound) * blocks.inner, g + b * run)
                    for i in 0..<run { d[i] += gb[i] }
                }
            }
        }
        return out
    }

    /// Differentiable reshape to a shape of the same element count (the value is a view of x's).
    public func reshape(_ x: Variable, _ shape: [Int]) -> Variable {
        let out = output(x.value.reshaped(shape), from: [x])
        record("reshape", output: out) { dOut in Elementwise.accumulate(x.gradBuffer.data, dOut.data, count: dOut.count) }
        return out
    }
}
