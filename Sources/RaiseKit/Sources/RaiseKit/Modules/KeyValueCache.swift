// KeyValueCache: the keys and values of every position a decoder has seen, per layer, so that greedy
// decoding runs each new token through the model once instead of the whole sequence again.

/// Per-layer keys and values for incremental decoding.   (1, t, Hkv·D) each
public final class KeyValueCache {
    /// Keys of layer l, or nil before its first token.
    public var keys: [Tensor?]
    /// Values of layer l, or nil before its first token.
    public var values: [Tensor?]

    /// An empty cache for a model of `layers` blocks.
    public init(layers: Int) {
        keys = Array(repeating: nil, count: layers)
        values = keys
    }

    /// The keys and values of layer `l` including the new ones (concatenated along time), stored for
    /// the next call.   new (1, t, ·) -> (1, t_past + t, ·)
    public func extend(layer l: Int, keys newKeys: Variable, values newValues: Variable, tape: Tape) -> (Variable, Variable) {
        var (k, v) = (newKeys, newValues)
        if let pastK = keys[l], let pastV = values[l] {
            k = tape.concat([Variable(pastK), k], axis: 1)
            v = tape.concat([Variable(pastV), v], axis: 1)
        }
        keys[l] = k.value
        values[l] = v.value
        return (k, v)
    }
}
