// BenchRunner: runs the benchmark's runs one by one, each on a fresh copy of the base model with the
// same trainer, batch, learning rate and evaluation: features first (cached across runs), for RAISE
// without a policy the training of one (resumable, per budget and seed), then the steps — timing the
// selection, the training and the evaluations (validation loss at evenly spaced points for the
// curves; at the end, validation loss and greedy exact match on the test split).
import Foundation
import RaiseKit

/// The shared data and settings of a benchmark, and how to run one entry.
final class BenchRunner {
    let arguments: ParsedArguments
    let registry: PluginRegistry
    let records: [InstructionRecord]
    let pool: [TokenizedExample]
    let validation: [TokenizedExample]
    let test: (records: [InstructionRecord], examples: [TokenizedExample])?
    let batchSize: Int
    let evaluationPoints: Int
    let match: AnswerMatch
    let out: String
    /// RAISE's policy training: episodes, reward, rhythm, clusters, and the budget policies are trained at
    /// (nil: each budget's own).
    let policy: (episodes: Int, reward: String, rewardEvery: Int, clusters: Int, budget: (label: String, steps: Int)?)
    /// Answer losses the feature passes computed, shared by every run (feature.loss and feature.ifd's
    /// conditional losses are one pass).
    private let lossMemory = LossMemory()
    /// The benchmark's progress line, over every step still to run; set before the first run.
    var progress = ProgressReporter(label: "bench", total: 1, mode: .quiet)

    init(arguments: ParsedArguments, registry: PluginRegistry, records: [InstructionRecord], pool: [TokenizedExample],
         validation: [TokenizedExample], test: (records: [InstructionRecord], examples: [TokenizedExample])?, batchSize: Int,
         evaluationPoints: Int, match: AnswerMatch, out: String,
         policy: (episodes: Int, reward: String, rewardEvery: Int, clusters: Int, budget: (label: String, steps: Int)?)) {
        (self.arguments, self.registry, self.records, self.pool, self.validation, self.test) = (arguments, registry, records, pool, validation, test)
        (self.batchSize, self.evaluationPoints, self.match, self.out, self.policy) = (batchSize, evaluationPoints, match, out, policy)
    }

    /// The policy folder RAISE uses for a run, and the budget it is trained at.
    func policyFolder(for run: BenchRun) -> (path: String, budget: (label: String, steps: Int)) {
        let budget = policy.budget ?? (run.budget, run.steps)
        return ("\(out)/policies/\(BenchPlan.slug(budget.label))-seed\(run.seed)", budget)
    }

    /// Steps of policy training still to do for a run (0 when its policy is trained or it needs none).
    func policySteps(for run: BenchRun) -> Int {
        guard run.entry.trainsPolicy else { return 0 }
        let folder = policyFolder(for: run)
        return policySteps(forFolder: folder.path, steps: folder.budget.steps)
    }

    /// Runs `run` at learning rate `lr`; `stepOffset` places its steps in the benchmark's progress.
    func execute(_ run: BenchRun, lr: Double, stepOffset: Int) throws -> BenchResult {
        let seed = run.seed
        var result = BenchResult(budget: run.budget, entry: run.entry.name, kind: run.entry.kind.rawValue, seed: Int(seed), steps: run.steps,
                                 batch: batchSize, learningRate: lr)
        let preparation = Date()
        progress.detail = "\(run.entry.name) @\(run.budget) seed \(seed)"
        var offset = stepOffset
        let selector: any InstructionSelector
        switch run.entry.kind {
        case .oracle:
            selector = try OracleReference(records: records, seed: seed)
        case .fullData:
            selector = try registry.make(PluginSpec(parsing: "full", option: "--selector"), kind: .selector, seed: seed, as: (any InstructionSelector).self)
        case .selector where run.entry.trainsPolicy:
            let folder = policyFolder(for: run)
            offset += try trainPolicy(into: folder.path, steps: folder.budget.steps, seed: seed, lr: lr, stepOffset: offset)
            progress.detail = "\(run.entry.name) @\(run.budget) seed \(seed)"
            let spec = run.entry.spec.hasPrefix("raise:") ? run.entry.spec + ",policy=\(folder.path)" : "raise:policy=\(folder.path)"
            selector = try registry.make(PluginSpec(parsing: spec, option: "--selector"), kind: .selector, seed: seed, as: (any InstructionSelector).self)
        case .selector:
            selector = try registry.make(PluginSpec(parsing: run.entry.spec, option: "--selector"), kind: .selector, seed: seed,
                                         as: (any InstructionSelector).self)
        }
        let model = try ModelOptions.make(arguments, registry: registry, seed: seed)
        let scorer = try FeatureOptions.scoringModel(arguments, registry: registry, model: model, seed: seed)
        let features = try FeatureOptions.columns(selector.requiredFeatures, records: records, examples: pool, model: model, scorer: scorer,
                                                  arguments: arguments, registry: registry, seed: seed, reportCacheHits: false,
                                                  memory: lossMemory)
        result.preparationSeconds = Date().timeIntervalSince(preparation)

        let training = SelectionTraining(trainer: ModelTrainer(model: model, settings: .fineTuning(peak: Float(lr), steps: run.steps)),
                                         pool: pool, selector: selector, steps: run.steps, batchSize: batchSize, features: features,
                                         seed: seed ^ 0x6265_6E63_6872_756E)
        let evaluateAt = Set((1...evaluationPoints).map { $0 * run.steps / evaluationPoints })
        var clock = Date()
        func lap() -> Double { defer { clock = Date() }; return Date().timeIntervalSince(clock) }
        result.curve.append((0, try TargetEvaluation(model: model, examples: validation).loss))
        result.evaluationSeconds += lap()
        for step in 0..<run.steps {
            let indices = try training.nextBatch(step: step)
            result.selectionSeconds += lap()
            let loss = try training.train(indices)
            result.trainingSeconds += lap()
            if evaluateAt.contains(step + 1) {
                result.curve.append((step + 1, try TargetEvaluation(model: model, examples: validation).loss))
                result.evaluationSeconds += lap()
            }
            progress.update(step: offset + step + 1, metrics: [("loss", Double(loss))])
        }
        result.validationLoss = result.curve.last!.loss
        if let test {
            result.testExactMatch = try TargetEvaluation(model: model, examples: test.examples, answers: test.records.map(\.output),
                                                         match: match).exactMatch
        }
        result.evaluationSeconds += lap()
        for (i, times) in training.timesSelected.enumerated() where times > 0 { result.picks[i] = times }
        result.distinctExamples = result.picks.count
        return result
    }

    /// Trains (or finishes) a RAISE policy for `steps`-step episodes; returns the steps it took.
    private func trainPolicy(into folder: String, steps: Int, seed: UInt64, lr: Double, stepOffset: Int) throws -> Int {
        let remaining = policySteps(forFolder: folder, steps: steps)
        guard remaining > 0 else { return 0 }
        progress.detail = "training the RAISE policy \(folder.split(separator: "/").last!)"
        let model = try ModelOptions.make(arguments, registry: registry, seed: seed)
        let scorer = try FeatureOptions.scoringModel(arguments, registry: registry, model: model, seed: seed)
        let first = try FeatureOptions.examples([records[0]], trained: [pool[0]], model: model, scorer: scorer, arguments: arguments)
        let width = try scorer.embeddings(first).shape[1]  // the semantic group is at most the model's width
        var settings = PolicySettings(layout: StateLayout(groups: StateGroup.paper, semanticDimensions: min(32, width)))
        settings.clusters = min(policy.clusters, batchSize)
        let columns = try FeatureOptions.columns(settings.layout.featureSpecs, records: records, examples: pool, model: model, scorer: scorer,
                                                 arguments: arguments, registry: registry, seed: seed, reportCacheHits: false,
                                                 memory: lossMemory)
        var run = PolicyTrainingSettings(steps: steps, batchSize: batchSize, seed: seed)
        run.episodes = policy.episodes
        run.rewardEvery = policy.rewardEvery
        let reward = try registry.make(PluginSpec(parsing: policy.reward, option: "--reward"), kind: .reward, seed: seed, as: (any Reward).self)
        let job = PolicyTrainingJob(model: model, records: records, pool: pool, validation: validation, reward: reward, rewardName: policy.reward,
                                    columns: columns, policySettings: settings, run: run, learningRate: Float(lr))
        try job.train(out: folder, resume: .ifPresent, progress: progress,
                      stepOffset: stepOffset - (policy.episodes * steps - remaining), mode: arguments.outputMode == .json ? .quiet : arguments.outputMode)
        return remaining
    }

    private func policySteps(forFolder folder: String, steps: Int) -> Int {
        max(0, policy.episodes - ((try? PolicyFolder(folder).episodesDone()) ?? 0)) * steps
    }
}
