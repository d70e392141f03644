// SelectionEnvironment: the world a RAISE policy acts in. An episode restores the base model, then each
// step trains it on the chosen instructions; P(M) is the target-task performance the reward is made
// of. FineTuningEnvironment is the real one — a language model, its trainer and a reward plugin on the
// validation split (and, for the policy check, the same reward on held-out examples); tests bring toy ones.

/// Where a selection policy's choices take effect.
public protocol SelectionEnvironment: AnyObject {
    /// Instructions in the pool.
    var poolSize: Int { get }
    /// Restores the base model and a fresh optimizer for a run of `totalSteps`; returns P(M_0).
    func reset(totalSteps: Int) throws -> Double
    /// One update of the model on the pool instructions `indices`.
    func train(_ indices: [Int]) throws
    /// P of the current model; higher is better.
    func performance() throws -> Double
    /// The current model's answer loss of every pool instruction.   (N)
    func poolLosses() throws -> [Float]
    /// P of the current model on examples the reward never sees (`PolicyCheck`); nil when there are none.
    func checkPerformance() throws -> Double?
}

/// Fine-tuning a language model on pool instructions, judged by a reward on the validation split.
public final class FineTuningEnvironment: SelectionEnvironment {
    public let model: any LanguageModel
    public let pool: [TokenizedExample]
    public let validation: [TokenizedExample]
    /// Held-out examples the reward scores for the policy check only (empty: no check).
    public let check: [TokenizedExample]
    public let reward: any Reward
    /// The optimizer settings of a run of a given length (the same as `raise finetune` uses).
    public let settings: (Int) -> TrainerSettings
    private let base: Tensor
    private var basePerformance: Double?
    private var trainer: ModelTrainer?

    /// An environment whose base model is `model` as it is now (kept as an in-memory snapshot); `check`
    /// holds the policy check's held-out examples, if any.
    public init(model: any LanguageModel, pool: [TokenizedExample], validation: [TokenizedExample], check: [TokenizedExample] = [],
                reward: any Reward, settings: @escaping (Int) -> TrainerSettings) {
        self.model = model
        self.pool = pool
        self.validation = validation
        self.check = check
        self.reward = reward
        self.settings = settings
        base = model.parameters.snapshot()
    }

    public var poolSize: Int { pool.count }

    public func reset(totalSteps: Int) throws -> Double {
        model.parameters.restore(base)
        trainer = ModelTrainer(model: model, settings: settings(totalSteps))
        if basePerformance == nil { basePerformance = try performance() }  // the base model never changes
        return basePerformance!
    }

    public func train(_ indices: [Int]) throws {
        guard let trainer else { preconditionFailure("FineTuningEnvironment.train before reset") }
        try trainer.step(indices.map { pool[$0] })
    }

    public func performance() throws -> Double { try performance(on: validation) }

    public func poolLosses() throws -> [Float] { try model.exampleLosses(pool) }

    public func checkPerformance() throws -> Double? { check.isEmpty ? nil : try performance(on: check) }

    private func performance(on examples: [TokenizedExample]) throws -> Double {
        let value = try reward.performance(of: model, validation: examples)
        guard value.isFinite else { throw RaiseError.invalidArgument(name: "reward", detail: "the target-task performance is \(value)") }
        return value
    }
}
