// ShardedModel: a model whose scoring passes are shared by the ranks of a job. Each rank scores its
// own contiguous shard of the examples with the model it wraps, and every rank gets all the results
// in order — so a feature extractor that scores through it (losses, IFD, embeddings) runs N times
// faster on N ranks and returns what one process would. Everything else goes to the wrapped model.

/// A `LanguageModel` whose `exampleLosses` and `embeddings` are sharded over a communicator's ranks.
public final class ShardedModel: LanguageModel {
    /// The model every rank holds a copy of.
    public let base: any LanguageModel
    /// The ranks sharing the work.
    public let communicator: any Communicator

    /// `base`, scored in shards over `communicator`.
    public init(_ base: any LanguageModel, communicator: any Communicator) {
        self.base = base
        self.communicator = communicator
    }

    public var backendID: String { base.backendID }
    public var configuration: JSONObject { base.configuration }
    public var tokenizer: any Tokenizer { base.tokenizer }
    public var parameters: ParameterStore { base.parameters }
    public var adapters: LowRankAdapters? { base.adapters }
    public var huggingFaceConfiguration: JSONObject? { base.huggingFaceConfiguration }
    public var contextLength: Int { base.contextLength }
    public var embeddingWidth: Int { base.embeddingWidth }
    /// The wrapped model's: each rank embeds its shard as the model would alone.
    public var embedsEachExampleAlone: Bool { base.embedsEachExampleAlone }

    /// This rank's shard of the losses, gathered in order on every rank.   examples (N) -> (N)
    public func exampleLosses(_ examples: [TokenizedExample]) throws -> [Float] {
        try scoreInShards(examples) { try base.exampleLosses($0) }.values
    }

    /// This rank's shard of the embeddings, gathered in order on every rank. `progress` is told this rank's
    /// share of the work done, scaled to the whole (the ranks' shards are equal but for the last).
    ///   examples (N) -> (N, C)
    public func embeddings(_ examples: [TokenizedExample], progress: ((_ done: Int) -> Void)?) throws -> Tensor {
        guard !examples.isEmpty else { return try base.embeddings(examples) }
        let (values, width) = try scoreInShards(examples) { shard in
            try base.embeddings(shard, progress: progress.map { report in
                { done in report(min(examples.count, done * examples.count / shard.count)) }
            }).scalars
        }
        return Tensor(shape: [examples.count, width], values: values)
    }

    /// Scores this rank's shard of `examples` with `score` (a row of floats per example, the same width
    /// on every rank), gathers every rank's rows and puts them back in input order. The shards are cut
    /// from the examples in `ScoringOrder`, at whole batches, so the ranks score the batches one process would.
    private func scoreInShards(_ examples: [TokenizedExample], _ score: ([TokenizedExample]) throws -> [Float]) throws -> (values: [Float], width: Int) {
        guard !examples.isEmpty else { return ([], 0) }
        let order = ScoringOrder.positions(examples)
        let shard = communicator.shard(examples.count, block: ScoringOrder.batchSize)
        let inOrder = try communicator.allGather(shard.isEmpty ? [] : score(order[shard].map { examples[$0] }))
        let width = inOrder.count / examples.count
        var values = [Float](repeating: 0, count: inOrder.count)
        for (k, position) in order.enumerated() {
            values[position * width..<(position + 1) * width] = inOrder[k * width..<(k + 1) * width]
        }
        return (values, width)
    }

    /// Training is not sharded: the wrapped model's, on this rank.
    public func accumulateGradients(_ batch: [TokenizedExample]) throws -> (lossSum: Double, tokens: Int) {
        try base.accumulateGradients(batch)
    }

    public func generate(prompts: [[Int32]], maxNewTokens: [Int], stop: Set<Int32>) throws -> [[Int32]] {
        try base.generate(prompts: prompts, maxNewTokens: maxNewTokens, stop: stop)
    }

    public func nextTokenLogProbabilities(prompts: [[Int32]], candidates: [Int32]) throws -> [[Float]] {
        try base.nextTokenLogProbabilities(prompts: prompts, candidates: candidates)
    }
}
