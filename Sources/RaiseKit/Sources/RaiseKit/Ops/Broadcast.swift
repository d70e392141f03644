// Broadcast: numpy-style broadcasting of two shapes, and the index maps that the elementwise ops
// (add, mul) walk. Axes are aligned from the right; a size-1 axis stretches to the other's size.
// Not used by the hot paths of the models: bias and same-shape cases have their own loops.

/// How two operand shapes broadcast to one output shape.
struct Broadcast {
    /// The broadcast output shape.
    let shape: [Int]
    /// For each output element, the flat index of the matching element of the left operand.
    let leftIndex: [Int]
    /// For each output element, the flat index of the matching element of the right operand.
    let rightIndex: [Int]

    init(_ left: [Int], _ right: [Int], op: String) {
        let rank = max(left.count, right.count)
        let l = Array(repeating: 1, count: rank - left.count) + left
        let r = Array(repeating: 1, count: rank - right.count) + right
        var shape = [Int]()
        for axis in 0..<rank {
            precondition(l[axis] == r[axis] || l[axis] == 1 || r[axis] == 1,
                         "\(op): shapes \(left) and \(right) do not broadcast")
            shape.append(l[axis] == 1 ? r[axis] : l[axis])
        }
        self.shape = shape
        leftIndex = Broadcast.indexMap(from: l, to: shape)
        rightIndex = Broadcast.indexMap(from: r, to: shape)
    }

    /// The flat source index of every output element, walking the output in row-major order.
    private static func indexMap(from source: [Int], to shape: [Int]) -> [Int] {
        var strides = Array(repeating: 0, count: shape.count)
        var step = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = source[axis] == 1 ? 0 : step
            step *= source[axis]
        }
        let count = Tensor.elementCount(shape)
        var map = [Int](repeating: 0, count: count)
        var index = Array(repeating: 0, count: shape.count)
        var flat = 0
        for i in 0..<count {
            map[i] = flat
            var axis = shape.count - 1
            while axis >= 0 {  // odometer step: advance the last axis, carry into earlier ones
                index[axis] += 1
                flat += strides[axis]
                if index[axis] < shape[axis] { break }
                flat -= strides[axis] * index[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return map
    }
}
