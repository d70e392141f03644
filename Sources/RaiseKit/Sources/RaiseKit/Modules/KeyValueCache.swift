// KeyValueCache: the keys and values of every position a decoder has seen, per layer, so that greedy
// decoding runs each new token through the model once instead of the whole sequence again.
//
// It decodes a batch of prompts of different lengths at once: the prompts are left-padded to one
// length, and the cache remembers each row's padding so that no query attends to a pad key and each
// row's positions count from its first real token. The storage is time-major — (capacity, B, width)
// per layer — so that appending a step writes only the new keys, and the first `length` positions of
// every row are one contiguous prefix that attention reads in place (row stride `width`, key stride
// B·width). Capacity doubles when full; finished rows are dropped with `keepRows`.

/// Per-layer keys and values for incremental decoding of `rows` sequences.
public final class KeyValueCache {
    /// The sequences decoded together (batch rows).
    public private(set) var rows: Int
    /// The pad positions at the start of each row: never attended to, and not counted in its positions.
    public private(set) var leftPadding: [Int]
    /// Positions stored so far (pad positions included), the same for every row.
    public private(set) var length = 0
    /// Positions the storage holds before it grows.
    private var capacity = 0
    /// Per layer: keys and values, each (capacity, rows, width), or nil before the layer's first append.
    private var keys: [TensorStorage?], values: [TensorStorage?]
    /// Per layer: the width of one position's keys (= of its values).
    private var widths: [Int]

    /// An empty cache for a model of `layers` blocks decoding `leftPadding.count` rows (one row, unpadded, by default).
    public init(layers: Int, leftPadding: [Int] = [0]) {
        precondition(!leftPadding.isEmpty && leftPadding.allSatisfy { $0 >= 0 }, "KeyValueCache: padding \(leftPadding)")
        (rows, self.leftPadding) = (leftPadding.count, leftPadding)
        keys = Array(repeating: nil, count: layers)
        values = keys
        widths = Array(repeating: 0, count: layers)
    }

    /// The position of each token of a (B, T) batch whose first token is at `start` of the padded sequence:
    /// shifted back by its row's left padding (pad tokens get 0). Without a cache, row-independent.   -> (B·T)
    public static func positions(batch: Int, length: Int, start: Int, cache: KeyValueCache?) -> [Int32] {
        (0..<batch * length).map { i in
            Int32(max(0, start + i % length - (cache?.leftPadding[i / length] ?? 0)))
        }
    }

    /// Appends the new positions' keys and values of layer `l`: layer 0's append opens the step (the cache
    /// grows by t positions), and the later layers' fill the same positions.
    ///   keys, values (rows, t, width)
    public func append(layer l: Int, keys newKeys: Tensor, values newValues: Tensor) {
        let (b, t, width) = (newKeys.shape[0], newKeys.shape[1], newKeys.shape[2])
        precondition(newKeys.shape == newValues.shape && b == rows && (widths[l] == 0 || widths[l] == width),
                     "KeyValueCache: layer \(l) keys \(newKeys.shape) / values \(newValues.shape) do not fit \(rows) rows")
        let start = l == 0 ? length : length - t  // layer 0 opens the step; later layers fill the same positions
        if l == 0 { reserve(length + t); length += t }
        if keys[l] == nil {  // written below before anything reads it
            (keys[l], values[l], widths[l]) = (TensorStorage(count: capacity * rows * width, zeroed: false),
                                               TensorStorage(count: capacity * rows * width, zeroed: false), width)
        }
        for (source, target) in [(newKeys, keys[l]!), (newValues, values[l]!)] {
            for row in 0..<b {
                for step in 0..<t {
                    (target.pointer + ((start + step) * rows + row) * width).update(from: source.data + (row * t + step) * width, count: width)
                }
            }
        }
    }

    /// Layer `l`'s keys and values of every stored position, in place: (length, rows, width) each.
    func stored(layer l: Int) -> (keys: UnsafePointer<Float>, values: UnsafePointer<Float>, width: Int) {
        (UnsafePointer(keys[l]!.pointer), UnsafePointer(values[l]!.pointer), widths[l])
    }

    /// Keeps only `kept` rows (in that order): decoding goes on without the finished ones.
    public func keepRows(_ kept: [Int]) {
        for l in keys.indices where keys[l] != nil {
            keys[l] = copied(keys[l]!, width: widths[l], rows: kept, capacity: capacity)
            values[l] = copied(values[l]!, width: widths[l], rows: kept, capacity: capacity)
        }
        (rows, leftPadding) = (kept.count, kept.map { leftPadding[$0] })
    }

    /// Grows every layer's storage (doubling) to hold `needed` positions.
    private func reserve(_ needed: Int) {
        guard needed > capacity else { return }
        let grown = max(needed, 2 * capacity, 16)
        for l in keys.indices where keys[l] != nil {
            keys[l] = copied(keys[l]!, width: widths[l], rows: Array(0..<rows), capacity: grown)
            values[l] = copied(values[l]!, width: widths[l], rows: Array(0..<rows), capacity: grown)
        }
        capacity = grown
    }

    /// The stored positions of `storage`'s rows `kept`, in new storage of `newCapacity` positions.
    private func copied(_ storage: TensorStorage, width: Int, rows kept: [Int], capacity newCapacity: Int) -> TensorStorage {
        let out = TensorStorage(count: newCapacity * kept.count * width, zeroed: false)
        for step in 0..<length {
            for (new, old) in kept.enumerated() {
                (out.pointer + (step * kept.count + new) * width).update(from: storage.pointer + (step * rows + old) * width, count: width)
            }
        }
        return out
    }
}
