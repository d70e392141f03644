// DecoderLanguageModel: a decoder-only model described by its forward pass alone. RaiseKit derives the
// rest of LanguageModel from it — answer-only training, per-example losses, mean-pooled embeddings,
// greedy decoding with a key/value cache — so that a backend writes only its architecture.

/// A decoder-only language model defined by its forward pass.
public protocol DecoderLanguageModel: LanguageModel {
    /// The id used to pad batches (never scored).
    var padID: Int32 { get }

    /// Hidden states and logits of `ids` laid out as (B, T), at positions `position…`; with a cache,
    /// earlier positions' keys and values are read from it and the new ones added.
    ///   ids (B·T) -> hidden (B·T, C), logits (B·T, V)
    func forward(_ ids: [Int32], batch: Int, length: Int, position: Int, cache: KeyValueCache?, tape: Tape)
        -> (hidden: Variable, logits: Variable)

    /// An empty key/value cache for this model.
    func makeCache() -> KeyValueCache
}

extension DecoderLanguageModel {
    /// Runs `body` over `examples` in padded batches, in `ScoringOrder` (shortest first), with the
    /// examples' positions in `examples`.
    private func forEachScoringBatch(_ examples: [TokenizedExample], _ body: (TokenBatch, ArraySlice<Int>) throws -> Void) rethrows {
        let order = ScoringOrder.positions(examples)
        for start in stride(from: 0, to: order.count, by: ScoringOrder.batchSize) {
            let positions = order[start..<min(start + ScoringOrder.batchSize, order.count)]
            try body(TokenBatch(positions.map { examples[$0] }, contextLength: contextLength, padID: padID), positions)
        }
    }

    public func accumulateGradients(_ examples: [TokenizedExample]) throws -> (lossSum: Double, tokens: Int) {
        let batch = TokenBatch(examples, contextLength: contextLength, padID: padID)
        guard batch.scoredTokens > 0 else { return (0, 0) }
        let tape = Tape()
        let logits = forward(batch.inputs, batch: batch.batch, length: batch.length, position: 0, cache: nil, tape: tape).logits
        let sum = tape.scale(tape.crossEntropy(logits, targets: batch.targets, mask: batch.mask), by: batch.mask.reduce(0, +))
        try tape.backward(from: sum)
        return (Double(sum.value.scalar), batch.scoredTokens)
    }

    public func exampleLosses(_ examples: [TokenizedExample]) throws -> [Float] {
        var losses = [Float](repeating: 0, count: examples.count)
        forEachScoringBatch(examples) { batch, positions in
            let tape = Tape(recording: false)
            let logits = forward(batch.inputs, batch: batch.batch, length: batch.length, position: 0, cache: nil, tape: tape).logits
            let values = tape.crossEntropy(logits, targets: batch.targets, mask: batch.mask,
                                           reduction: .perExample(tokensPerExample: batch.length)).value
            for (row, position) in positions.enumerated() { losses[position] = values.data[row] }
        }
        if let bad = losses.firstIndex(where: { !$0.isFinite }) {
            throw RaiseError.invalidArgument(name: backendID, detail: "example \(bad): the loss is \(losses[bad])")
        }
        return losses
    }

    public func embeddings(_ examples: [TokenizedExample]) throws -> Tensor {
        guard !examples.isEmpty else { return Tensor(zeros: [0, 0]) }
        var out: Tensor?
        forEachScoringBatch(examples) { batch, positions in
            let hidden = forward(batch.inputs, batch: batch.batch, length: batch.length, position: 0, cache: nil,
                                 tape: Tape(recording: false)).hidden.value  // (B·T, C)
            let c = hidden.lastDimension
            if out == nil { out = Tensor(zeros: [examples.count, c]) }
            for (row, position) in positions.enumerated() {
                let target = out!.row(position)
                var count: Float = 0
                for t in 0..<batch.length where batch.present[row * batch.length + t] > 0 {
                    count += 1
                    for j in 0..<c { target.data[j] += hidden.data[(row * batch.length + t) * c + j] }
                }
                for j in 0..<c { target.data[j] /= max(count, 1) }
            }
        }
        return out!
    }

    public func generate(prompt: [Int32], maxNewTokens: Int, stop: Set<Int32>) throws -> [Int32] {
        guard !prompt.isEmpty else { throw RaiseError.invalidArgument(name: backendID, detail: "generate needs a non-empty prompt") }
        let context = Array(prompt.suffix(contextLength))
        let cache = makeCache()
        var logits = forward(context, batch: 1, length: context.count, position: 0, cache: cache, tape: Tape(recording: false)).logits.value
        var generated = [Int32]()
        while generated.count < maxNewTokens && context.count + generated.count < contextLength {
            let last = logits.row(logits.shape[0] - 1)
            var best = 0
            for i in 1..<last.count where last.data[i] > last.data[best] { best = i }
            generated.append(Int32(best))
            if stop.contains(Int32(best)) { break }
            logits = forward([Int32(best)], batch: 1, length: 1, position: context.count + generated.count - 1, cache: cache,
                             tape: Tape(recording: false)).logits.value
        }
        return generated
    }
}
