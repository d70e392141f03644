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
    public var contextLength: Int { base.contextLength }

    /// This rank's shard of the losses, gathered in order on every rank. The shards are cut from the
    /// examples in `ScoringOrder`, at whole batches, so the ranks score the batches one process would.
    ///   examples (N) -> (N)
    public func exampleLosses(_ examples: [TokenizedExample]) throws -> [Float] {
        let order = ScoringOrder.positions(examples)
        let shard = communicator.shard(examples.count, block: ScoringOrder.batchSize)
        let inOrder = try communicator.allGather(base.exampleLosses(order[shard].map { examples[$0] }))
        var losses = [Float](repeating: 0, count: examples.count)
        for (k, position) in order.enumerated() { losses[position] = inOrder[k] }
        return losses
    }

    /// This rank's shard of the embeddings, gathered in order on every rank (shards as for losses).
    ///   examples (N) -> (N, C)
    public func embeddings(_ examples: [TokenizedExample]) throws -> Tensor {
        guard !examples.isEmpty else { return try base.embeddings(examples) }
        let order = ScoringOrder.positions(examples)
        let shard = communicator.shard(examples.count, block: ScoringOrder.batchSize)
        let local = shard.isEmpty ? [] : try base.embeddings(order[shard].map { examples[$0] }).scalars
        let inOrder = try communicator.allGather(local)  // N rows of the same width
        let width = inOrder.count / examples.count
        let out = Tensor(zeros: [examples.count, width])
        for (k, position) in order.enumerated() {
            inOrder.withUnsafeBufferPointer { out.row(position).data.update(from: $0.baseAddress! + k * width, count: width) }
        }
        return out
    }

    /// Training is not sharded: the wrapped model's, on this rank.
    public func accumulateGradients(_ batch: [TokenizedExample]) throws -> (lossSum: Double, tokens: Int) {
        try base.accumulateGradients(batch)
    }

    public func generate(prompt: [Int32], maxNewTokens: Int, stop: Set<Int32>) throws -> [Int32] {
        try base.generate(prompt: prompt, maxNewTokens: maxNewTokens, stop: stop)
    }
}
