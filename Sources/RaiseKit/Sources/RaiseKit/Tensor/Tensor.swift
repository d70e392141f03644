// Tensor: a shaped view of contiguous Float32 memory. Copies of a Tensor share their storage (as in
// PyTorch); `copy()` makes an independent one. Views (rows, reshapes) cost nothing. Not a lazy or
// strided array: every tensor is contiguous and row-major, which keeps every kernel a plain loop.

/// Reference-counted, zero-initialised Float32 memory that tensors view.
public final class TensorStorage: @unchecked Sendable {

    /// The first element.
    public let pointer: UnsafeMutablePointer<Float>
    /// The number of Float32 elements.
    public let count: Int

    /// Allocates `count` elements, zeroed unless `zeroed` is false (for outputs a kernel overwrites whole).
    /// A large buffer (a gradient accumulator) is zeroed by every thread, a part each.
    public init(count: Int, zeroed: Bool = true) {
        precondition(count >= 0, "TensorStorage: negative element count \(count)")
        Allocator.keepFreedMemory
        self.count = count
        let pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        if zeroed { Parallel.fill(pointer, count: max(count, 1), with: 0) }
        self.pointer = pointer
    }

    deinit { pointer.deallocate() }
}

/// A contiguous, row-major Float32 array with a shape.
public struct Tensor: @unchecked Sendable, CustomStringConvertible {
    /// The memory this tensor views.
    public let storage: TensorStorage
    /// Where this tensor starts inside `storage`.
    public let offset: Int
    /// The size of each axis, outermost first. `[]` is a scalar.
    public let shape: [Int]

    /// A zero-filled tensor.
    public init(zeros shape: [Int]) {
        let count = Tensor.elementCount(shape)
        self.init(storage: TensorStorage(count: count), offset: 0, shape: shape)
    }

    /// A tensor whose elements are not initialised: only for outputs that a kernel writes whole.
    public init(uninitialized shape: [Int]) {
        self.init(storage: TensorStorage(count: Tensor.elementCount(shape), zeroed: false), offset: 0, shape: shape)
    }

    /// A tensor holding `values`, whose count must match the shape.
    public init(shape: [Int], values: [Float]) {
        precondition(values.count == Tensor.elementCount(shape),
                     "Tensor: \(values.count) values do not fill shape \(shape)")
        self.init(zeros: shape)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: values.count) }
    }

    /// A scalar tensor (shape `[]`).
    public init(scalar: Float) { self.init(shape: [], values: [scalar]) }

    /// A tensor of normal samples with the given mean and standard deviation.
    public init(randomNormal shape: [Int], mean: Float = 0, std: Float = 1, rng: inout RandomGenerator) {
        self.init(zeros: shape)
        for i in 0..<count { data[i] = mean + std * rng.nextNormal() }
    }

    /// A tensor of uniform samples in [low, high).
    public init(randomUniform shape: [Int], low: Float = 0, high: Float = 1, rng: inout RandomGenerator) {
        self.init(zeros: shape)
        for i in 0..<count { data[i] = low + (high - low) * rng.nextFloat() }
    }

    /// A view of `shape` elements of `storage` starting at `offset`.
    public init(storage: TensorStorage, offset: Int, shape: [Int]) {
        precondition(offset >= 0 && offset + Tensor.elementCount(shape) <= storage.count,
                     "Tensor: view of shape \(shape) at offset \(offset) exceeds storage of \(storage.count)")
        self.storage = storage
        self.offset = offset
        self.shape = shape
    }

    /// The product of the sizes in `shape` (1 for a scalar).
    public static func elementCount(_ shape: [Int]) -> Int {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative size in shape \(shape)")
        return shape.reduce(1, *)
    }

    /// The number of elements.
    public var count: Int { Tensor.elementCount(shape) }
    /// The number of axes.
    public var rank: Int { shape.count }
    /// The first element; writing through it changes every tensor that shares this storage.
    public var data: UnsafeMutablePointer<Float> { storage.pointer + offset }
    /// The elements in row-major order.
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }
    /// The single element of a one-element tensor.
    public var scalar: Float {
        precondition(count == 1, "Tensor.scalar on a tensor of shape \(shape)")
        return data[0]
    }
    /// The size of the last axis (1 for a scalar).
    public var lastDimension: Int { shape.last ?? 1 }
    /// The number of rows when the tensor is seen as a matrix (all axes but the last folded together).
    public var rowCount: Int { count / max(lastDimension, 1) }

    /// A view of index `i` along the first axis (shape: `shape.dropFirst()`).
    public func row(_ i: Int) -> Tensor {
        precondition(rank >= 1 && i >= 0 && i < shape[0], "Tensor.row(\(i)) out of range for shape \(shape)")
        let inner = Array(shape.dropFirst())
        return Tensor(storage: storage, offset: offset + i * Tensor.elementCount(inner), shape: inner)
    }

    /// A view of rows `range` along the first axis.
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0],
                     "Tensor.rows(\(range)) out of range for shape \(shape)")
        let inner = Tensor.elementCount(Array(shape.dropFirst()))
        return Tensor(storage: storage, offset: offset + range.lowerBound * inner,
                      shape: [range.count] + shape.dropFirst())
    }

    /// A view with another shape of the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(Tensor.elementCount(newShape) == count, "Tensor.reshaped: \(shape) cannot become \(newShape)")
        return Tensor(storage: storage, offset: offset, shape: newShape)
    }

    /// An independent copy with its own storage.
    public func copy() -> Tensor {
        let result = Tensor(uninitialized: shape)
        result.data.initialize(from: data, count: count)
        return result
    }

    /// Overwrites every element with `value` (a large tensor — a model's gradient — by every thread, a part each).
    public func fill(_ value: Float) { Parallel.fill(data, count: count, with: value) }

    /// Overwrites this tensor's elements with those of `source`, which must have the same count.
    public func assign(_ source: Tensor) {
        precondition(source.count == count, "Tensor.assign: \(source.shape) into \(shape)")
        data.update(from: source.data, count: count)
    }

    /// Element `index` in row-major order across all axes.
    public subscript(flat index: Int) -> Float {
        get { data[index] }
        nonmutating set { data[index] = newValue }
    }

    /// The element at a full multi-dimensional index.
    public subscript(_ index: Int...) -> Float {
        get { data[flatIndex(index)] }
        nonmutating set { data[flatIndex(index)] = newValue }
    }

    private func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == rank, "Tensor: index \(index) for shape \(shape)")
        var flat = 0
        for (axis, i) in index.enumerated() {
            precondition(i >= 0 && i < shape[axis], "Tensor: index \(index) out of range for shape \(shape)")
            flat = flat * shape[axis] + i
        }
        return flat
    }

    public var description: String {
        let preview = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(\(shape): [\(preview)\(count > 8 ? ", …" : "")])"
    }
}
