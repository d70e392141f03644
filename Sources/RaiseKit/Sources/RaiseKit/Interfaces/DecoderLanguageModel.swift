// DecoderLanguageModel: a decoder-only model described by its forward pass alone. RaiseKit derives the
// rest of LanguageModel from it — answer-only training, per-example losses, mean-pooled embeddings,
// greedy decoding with a key/value cache — so that a backend writes only its architecture. The forward
// pass stops at the final hidden states: the vocabulary projection is applied only to the rows whose
// logits are read (the scored positions of a batch, the last position when decoding). Prompt and
// padding positions never reach it — for SmolLM2 that product is about a fifth of the forward pass.

/// A decoder-only language model defined by its forward pass.
public protocol DecoderLanguageModel: LanguageModel {
    /// The id used to pad batches (never scored).
    var padID: Int32 { get }

    /// The final hidden states of `ids` laid out as (B, T), at positions `position…`; with a cache,
    /// earlier positions' keys and values are read from it and the new ones added.
    ///   ids (B·T) -> hidden (B·T, C)
    func forward(_ ids: [Int32], batch: Int, length: Int, position: Int, cache: KeyValueCache?, tape: Tape) -> Variable

    /// The vocabulary projection of some rows of `forward`'s output.   hidden (N, C) -> logits (N, V)
    func logits(_ hidden: Variable, tape: Tape) -> Variable

    /// An empty key/value cache for this model, decoding `leftPadding.count` rows with that many pad tokens first.
    func makeCache(leftPadding: [Int]) -> KeyValueCache
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

    /// The logits of `batch`'s scored positions only, with their targets and weights.   -> logits (S, V), (S), (S)
    private func scoredLogits(_ batch: TokenBatch, tape: Tape) -> (logits: Variable, targets: [Int32], mask: [Float]) {
        let hidden = forward(batch.inputs, batch: batch.batch, length: batch.length, position: 0, cache: nil, tape: tape)
        let rows = batch.scoredRows
        return (logits(tape.gatherRows(hidden, rows: rows), tape: tape), rows.map { batch.targets[Int($0)] }, rows.map { batch.mask[Int($0)] })
    }

    public func accumulateGradients(_ examples: [TokenizedExample]) throws -> (lossSum: Double, tokens: Int) {
        let batch = TokenBatch(examples, contextLength: contextLength, padID: padID)
        guard batch.scoredTokens > 0 else { return (0, 0) }
        let tape = Tape()
        let scored = scoredLogits(batch, tape: tape)
        let sum = tape.scale(tape.crossEntropy(scored.logits, targets: scored.targets, mask: scored.mask), by: batch.mask.reduce(0, +))
        try tape.backward(from: sum)
        return (Double(sum.value.scalar), batch.scoredTokens)
    }

    public func exampleLosses(_ examples: [TokenizedExample]) throws -> [Float] {
        var losses = [Float](repeating: 0, count: examples.count)
        forEachScoringBatch(examples) { batch, positions in
            guard batch.scoredTokens > 0 else { return }  // no answer tokens: every loss stays 0
            let tape = Tape(recording: false)
            let scored = scoredLogits(batch, tape: tape)
            let values = tape.crossEntropy(scored.logits, targets: scored.targets, mask: scored.mask,
                                           reduction: .perExample(rows: batch.scoredRowsPerExample)).value
            for (row, position) in positions.enumerated() { losses[position] = values.data[row] }
        }
        if let bad = losses.firstIndex(where: { !$0.isFinite }) {
            throw RaiseError.invalidArgument(name: backendID, detail: "example \(bad): the loss is \(losses[bad])")
        }
        return losses
    }

    /// One pass per batch of prompts: the logits at each prompt's last position, and each candidate's
    /// cross-entropy there (the loss `exampleLosses` gives the prompt followed by that candidate).
    public func nextTokenLogProbabilities(prompts: [[Int32]], candidates: [Int32]) throws -> [[Float]] {
        guard let first = candidates.first else { return prompts.map { _ in [] } }
        let examples = try TokenizedExample.nextToken([first], after: prompts, backend: backendID)
        var logProbabilities = [[Float]](repeating: [], count: prompts.count)
        forEachScoringBatch(examples) { batch, positions in
            let tape = Tape(recording: false)
            let logits = scoredLogits(batch, tape: tape).logits  // (B, V): one scored row per prompt
            let ones = [Float](repeating: 1, count: positions.count), rows = [Int](repeating: 1, count: positions.count)
            let losses = candidates.map { candidate in
                tape.crossEntropy(logits, targets: ones.map { _ in candidate }, mask: ones, reduction: .perExample(rows: rows)).value
            }
            for (row, position) in positions.enumerated() { logProbabilities[position] = losses.map { -$0.data[row] } }
        }
        return logProbabilities
    }

    public func embeddings(_ examples: [TokenizedExample], progress: ((_ done: Int) -> Void)?) throws -> Tensor {
        guard !examples.isEmpty else { return Tensor(zeros: [0, 0]) }
        var out: Tensor?
        var done = 0
        forEachScoringBatch(examples) { batch, positions in
            let hidden = forward(batch.inputs, batch: batch.batch, length: batch.length, position: 0, cache: nil,
                                 tape: Tape(recording: false)).value  // (B·T, C)
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
            done += positions.count
            progress?(done)
        }
        return out!
    }

    public func generate(prompts: [[Int32]], maxNewTokens: [Int], stop: Set<Int32>) throws -> [[Int32]] {
        guard prompts.count == maxNewTokens.count else {
            throw RaiseError.invalidArgument(name: backendID, detail: "generate: \(prompts.count) prompts but \(maxNewTokens.count) answer lengths")
        }
        if let empty = prompts.firstIndex(where: \.isEmpty) {
            throw RaiseError.invalidArgument(name: backendID, detail: "generate needs non-empty prompts (prompt \(empty) is empty)")
        }
        var answers = [[Int32]](repeating: [], count: prompts.count)
        let contexts = prompts.map { Array($0.suffix(contextLength)) }
        // Each answer ends at its length limit or where the context is full; prompts that leave no room get none.
        let limits = zip(contexts, maxNewTokens).map { max(0, min($1, contextLength - $0.count)) }
        var decoding = prompts.indices.filter { limits[$0] > 0 }  // the prompts still decoding, in the cache's row order
        guard !decoding.isEmpty else { return answers }
        // The prompts left-padded to one length and run through the model together, filling the cache.
        let longest = decoding.map { contexts[$0].count }.max()!
        let cache = makeCache(leftPadding: decoding.map { longest - contexts[$0].count })
        let padded = decoding.flatMap { Array(repeating: padID, count: longest - contexts[$0].count) + contexts[$0] }
        let tape = Tape(recording: false)
        let hidden = forward(padded, batch: decoding.count, length: longest, position: 0, cache: cache, tape: tape)
        var next = logits(tape.gatherRows(hidden, rows: decoding.indices.map { Int32($0 * longest + longest - 1) }), tape: tape).value  // (B, V)
        // Then one token per step for every prompt still decoding; finished ones leave the batch.
        for position in longest... {
            var kept = [Int](), fed = [Int32]()
            for (row, prompt) in decoding.enumerated() {
                let scores = next.row(row)
                var best = 0
                for i in 1..<scores.count where scores.data[i] > scores.data[best] { best = i }
                answers[prompt].append(Int32(best))
                if !stop.contains(Int32(best)) && answers[prompt].count < limits[prompt] {
                    kept.append(row)
                    fed.append(Int32(best))
                }
            }
            if kept.isEmpty { break }
            if kept.count < decoding.count {
                decoding = kept.map { decoding[$0] }
                cache.keepRows(kept)
            }
            let step = Tape(recording: false)
            next = logits(forward(fed, batch: fed.count, length: 1, position: position, cache: cache, tape: step), tape: step).value
        }
        return answers
    }
}
