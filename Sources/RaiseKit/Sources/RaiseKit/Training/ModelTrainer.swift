// ModelTrainer: one optimizer step on any LanguageModel — the same for every backend and every
// selector (the fair-comparison protocol): micro-batches of similar length (MicroBatches) accumulate
// gradients, the loss is the mean over all scored tokens of the batch, gradients are clipped by global
// norm, AdamW updates with the schedule's learning rate. A non-finite loss stops the step before any
// parameter changes.
// Data-parallel under a communicator of N ranks: each rank takes its shard of the batch, and gradient,
// loss and token sums are all-reduced before the update, so every rank takes the step one process takes
// on the whole batch (up to float rounding).

/// The optimizer settings of a training run.
public struct TrainerSettings: Sendable {
    public var schedule: LearningRateSchedule
    public var weightDecay: Float = 0.01
    public var beta1: Float = 0.9
    public var beta2: Float = 0.95
    /// Global-norm clip; nil for none.
    public var gradientClip: Float? = 1
    /// The most examples per forward pass; a batch is cut into passes of similar length (`MicroBatches`).
    public var microBatchSize = 16

    /// Settings training on `schedule`, the others at their defaults.
    public init(schedule: LearningRateSchedule) { self.schedule = schedule }

    /// Fine-tuning for `steps` steps, as every selector gets it: linear warm-up over the first 5% of the
    /// steps to `peak`, then cosine decay to peak/10.
    public static func fineTuning(peak: Float, steps: Int) -> TrainerSettings {
        TrainerSettings(schedule: .warmupCosine(peak: peak, warmupSteps: max(1, steps / 20), totalSteps: steps, minimum: peak / 10))
    }
}

/// Trains one model, step by step.
public final class ModelTrainer {
    public let model: any LanguageModel
    public let settings: TrainerSettings
    public let optimizer: AdamW
    /// Steps taken (the schedule's position).
    public private(set) var step = 0
    /// The ranks sharing each batch (every rank holds the same model and is given the same batch).
    public let communicator: any Communicator

    /// A trainer of `model` from step 0, with a fresh optimizer; `communicator` shares each batch's gradients across ranks.
    public init(model: any LanguageModel, settings: TrainerSettings, communicator: any Communicator = SingleProcess()) {
        self.model = model
        self.settings = settings
        self.communicator = communicator
        optimizer = AdamW(parameters: model.parameters, beta1: settings.beta1, beta2: settings.beta2, weightDecay: settings.weightDecay)
    }

    /// One update on `batch`; returns its mean loss per scored token (before the update).
    ///
    /// - Throws: `RaiseError.invalidArgument` when the batch has no scored token or the loss is not
    ///   finite (the parameters are then unchanged).
    @discardableResult
    public func step(_ batch: [TokenizedExample]) throws -> Float {
        let parameters = model.parameters
        parameters.zeroGrads()
        var lossSum = 0.0, tokens = 0
        let shard = Array(batch[communicator.shard(batch.count, block: 1)])
        let lengths = shard.map { min($0.ids.count, model.contextLength + 1) }  // as a pass pads them
        for pass in MicroBatches.split(lengths: lengths, maxRows: settings.microBatchSize) {
            let result = try model.accumulateGradients(pass.map { shard[$0] })
            lossSum += result.lossSum
            tokens += result.tokens
        }
        if communicator.size > 1 {
            try communicator.allReduceSum(parameters.grads.data, count: parameters.count)
            var sums = [Float(lossSum), Float(tokens)]  // token counts stay exact in Float below 2^24
            try communicator.allReduceSum(&sums, count: 2)
            (lossSum, tokens) = (Double(sums[0]), Int(sums[1]))
        }
        guard tokens > 0 else { throw RaiseError.invalidArgument(name: "batch", detail: "step \(step): no scored token in the batch") }
        let loss = lossSum / Double(tokens)
        guard loss.isFinite else {
            throw RaiseError.invalidArgument(name: "training", detail: "step \(step): the loss is \(loss); stopped before updating (lower the learning rate?)")
        }
        // The mean over tokens and the clipping are factors of the update: no pass of their own over the gradient.
        let scale = 1 / Float(tokens)
        let clipFactor = settings.gradientClip.map { ParameterStore.clipFactor(norm: parameters.gradientNorm(scale: scale), maxNorm: $0) } ?? 1
        optimizer.update(parameters, lr: settings.schedule.rate(at: step), gradientScale: scale, clipFactor: clipFactor)
        step += 1
        return Float(loss)
    }

    /// Continues from a saved state.
    public func restore(step: Int, m: Tensor, v: Tensor, optimizerStep: Int) {
        self.step = step
        optimizer.restore(m: m, v: v, step: optimizerStep)
    }
}
