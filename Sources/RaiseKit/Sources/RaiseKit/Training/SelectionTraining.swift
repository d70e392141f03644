// SelectionTraining: the one training loop every selector runs in — the fair-comparison protocol.
// A static selector picks a subset once (steps × batch / 3 examples: the subset is seen for 3 epochs,
// as in the RAISE paper's protocol) and the loop cycles over it in shuffled epochs; a dynamic selector
// is asked for each step's batch and sees the step, the budget and how often each example was used.

/// Fine-tuning a model on what a selector picks, for a fixed number of steps.
public final class SelectionTraining {
    public let trainer: ModelTrainer
    public let pool: [TokenizedExample]
    public let selector: any InstructionSelector
    public let steps: Int
    public let batchSize: Int
    /// The feature columns the selector reads.   name -> (N)
    public let features: [String: [Float]]
    /// How often each pool example has been trained on.   (N)
    public private(set) var timesSelected: [Int]
    private var rng: RandomGenerator
    private var subset: [Int] = []
    private var cursor = 0

    /// A run of `steps` steps of `batchSize` examples; `seed` fixes the shuffling of static subsets.
    public init(trainer: ModelTrainer, pool: [TokenizedExample], selector: any InstructionSelector, steps: Int, batchSize: Int,
                features: [String: [Float]] = [:], seed: UInt64) {
        self.trainer = trainer
        self.pool = pool
        self.selector = selector
        self.steps = steps
        self.batchSize = batchSize
        self.features = features
        timesSelected = Array(repeating: 0, count: pool.count)
        rng = RandomGenerator(seed: seed)
    }

    /// The static subset's size: steps × batch / 3, at least one batch, at most the pool.
    public var staticSubsetSize: Int {
        min(pool.count, max(batchSize, (steps * batchSize + TrainingBudget.fullDataEpochs - 1) / TrainingBudget.fullDataEpochs))
    }

    /// Chooses step `step`'s batch (asking the selector once for a static subset, or every step).
    ///
    /// - Throws: `RaiseError.invalidArgument` when the selector answers with an index outside the pool
    ///   or the wrong number of indices; whatever the selector throws.
    public func nextBatch(step: Int) throws -> [Int] {
        let batch: [Int]
        switch selector.mode {
        case .everyStep:
            let (model, pool) = (trainer.model, pool)
            batch = try selector.select(SelectionRequest(poolSize: pool.count, count: batchSize, step: step, totalSteps: steps,
                                                         timesSelected: timesSelected, features: features,
                                                         currentLosses: { try model.exampleLosses($0.map { pool[$0] }) }))
            guard batch.count == batchSize else {
                throw RaiseError.invalidArgument(name: "selector", detail: "step \(step): chose \(batch.count) examples, the batch is \(batchSize)")
            }
        case .once:
            if subset.isEmpty {
                subset = try selector.select(SelectionRequest(poolSize: pool.count, count: staticSubsetSize, totalSteps: steps,
                                                              features: features))
                guard !subset.isEmpty else { throw RaiseError.invalidArgument(name: "selector", detail: "chose no example") }
                shuffleSubset()
            }
            var chosen = [Int]()
            while chosen.count < batchSize {
                if cursor == subset.count { shuffleSubset() }
                chosen.append(subset[cursor])
                cursor += 1
            }
            batch = chosen
        }
        if let bad = batch.first(where: { $0 < 0 || $0 >= pool.count }) {
            throw RaiseError.invalidArgument(name: "selector", detail: "step \(step): index \(bad) is outside the pool of \(pool.count)")
        }
        return batch
    }

    /// One training step on the selector's batch; returns the chosen indices and the loss.
    public func step(_ step: Int) throws -> (indices: [Int], loss: Float) {
        let indices = try nextBatch(step: step)
        return (indices, try train(indices))
    }

    /// One update on the pool examples `indices` (a batch from `nextBatch`), counted as selected; returns the loss.
    public func train(_ indices: [Int]) throws -> Float {
        for i in indices { timesSelected[i] += 1 }
        return try trainer.step(indices.map { pool[$0] })
    }

    private func shuffleSubset() {
        rng.shuffle(&subset)
        cursor = 0
    }
}
