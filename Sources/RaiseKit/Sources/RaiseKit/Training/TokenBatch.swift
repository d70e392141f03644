// TokenBatch: examples of different lengths as one padded (B, T) batch for next-token prediction.
// Position t of row b reads inputs[b, t] and predicts targets[b, t] = ids[t + 1], weighted by
// mask[b, t] = lossMask[t + 1]; padding has weight 0. Causal attention never lets a real position
// see the padding after it, so right-padding changes no result.

/// A padded batch of examples for next-token prediction.
public struct TokenBatch: Sendable {
    /// Rows.
    public let batch: Int
    /// Positions per row (the longest example, less one).
    public let length: Int
    /// Input ids.   (B·T)
    public let inputs: [Int32]
    /// Target ids.   (B·T)
    public let targets: [Int32]
    /// Loss weights.   (B·T)
    public let mask: [Float]
    /// 1 where the input is a real token, 0 on padding.   (B·T)
    public let present: [Float]

    /// Pads `examples`, each cut to its last `contextLength + 1` tokens, with `padID`.
    public init(_ examples: [TokenizedExample], contextLength: Int, padID: Int32) {
        let trimmed = examples.map { example -> TokenizedExample in
            guard example.ids.count > contextLength + 1 else { return example }
            return TokenizedExample(ids: Array(example.ids.suffix(contextLength + 1)),
                                    lossMask: Array(example.lossMask.suffix(contextLength + 1)))
        }
        batch = trimmed.count
        length = max(1, (trimmed.map(\.ids.count).max() ?? 2) - 1)
        var inputs = [Int32](repeating: padID, count: batch * length), targets = inputs
        var mask = [Float](repeating: 0, count: batch * length), present = mask
        for (b, example) in trimmed.enumerated() where example.ids.count >= 2 {
            for t in 0..<example.ids.count - 1 {
                inputs[b * length + t] = example.ids[t]
                targets[b * length + t] = example.ids[t + 1]
                mask[b * length + t] = example.lossMask[t + 1]
                present[b * length + t] = 1
            }
        }
        self.inputs = inputs
        self.targets = targets
        self.mask = mask
        self.present = present
    }

    /// The number of scored tokens.
    public var scoredTokens: Int { mask.lazy.filter { $0 > 0 }.count }

    /// The positions with a loss weight (mask > 0), row by row: the only ones whose logits are needed.   (S)
    public var scoredRows: [Int32] { mask.indices.filter { mask[$0] > 0 }.map { Int32($0) } }

    /// How many of `scoredRows` each row (example) has.   (B)
    public var scoredRowsPerExample: [Int] {
        (0..<batch).map { b in mask[b * length..<(b + 1) * length].lazy.filter { $0 > 0 }.count }
    }
}
