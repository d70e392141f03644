// BenchRunner: runs the benchmark's runs (several at once under `--jobs`, see `JobQueue`), each on a
// fresh copy of the base model with the same trainer, batch, learning rate and evaluation: features
// first (cached across runs), for RAISE without a policy the training of one (resumable, per budget and
// seed), then the steps — timing the selection, the training and the evaluations (validation loss at
// evenly spaced points for the curves; at the end, validation loss and greedy exact match on the test split).
import Foundation
import RaiseKit

/// RAISE's policy training in a benchmark: episodes, reward, its rhythm, clusters, the policy check's
/// episodes (0: none), and the budget policies are trained at (nil: each budget's own).
struct PolicyTrainingPlan {
    let episodes: Int
    let checkEpisodes: Int
    let reward: String
    let rewardEvery: Int
    let clusters: Int
    let budget: (label: String, steps: Int)?
}

/// What every run of a benchmark shares besides its data and models.
struct BenchRunSettings {
    let batchSize: Int
    /// Which pool records are the target's (for the oracle reference), if the pool can tell.
    let target: TargetRecords?
    /// Validation evaluations along each run, for the curves.
    let evaluationPoints: Int
    /// How test answers are matched.
    let match: AnswerMatch
    /// Greedy exact match is measured on the first this many test records (nil: all of them; 0: none).
    let exactMatchLimit: Int?
    /// The benchmark's folder.
    let out: String
    let policy: PolicyTrainingPlan
    let outputMode: OutputMode

    /// The reference answers exact match is measured on: those of the first `exactMatchLimit` test records.
    func testAnswers(_ test: Pool) -> [String] {
        TargetMetrics.answers(test, limit: exactMatchLimit)
    }
}

/// How a benchmark makes its models: a fresh base model for each run (seeded by the run), and the
/// feature pipeline over a model (with the passes its extractors share).
struct BenchModels {
    let base: (_ seed: UInt64) throws -> any LanguageModel
    let features: (_ trained: any LanguageModel, _ seed: UInt64, _ memory: PassMemory) throws -> FeaturePipeline
}

/// The shared data and settings of a benchmark, and how to run one entry. Several threads may run entries
/// at once: every property is set once, the pass memory is locked, and a policy or a feature column two
/// runs need is made by one of them while the other waits (`NamedLock`).
final class BenchRunner: @unchecked Sendable {
    let models: BenchModels
    let registry: PluginRegistry
    let pool: Pool
    let validation: [TokenizedExample]
    let test: Pool?
    let settings: BenchRunSettings
    /// Answer losses and embeddings the feature passes computed, shared by every run (feature.loss and
    /// feature.ifd's conditional losses are one pass; so are feature.embedding and feature.target-similarity's),
    /// and the base model's validation losses.
    private let passMemory = PassMemory()

    init(models: BenchModels, registry: PluginRegistry, pool: Pool, validation: [TokenizedExample], test: Pool?, settings: BenchRunSettings) {
        (self.models, self.registry, self.pool, self.validation, self.test, self.settings) = (models, registry, pool, validation, test, settings)
    }

    /// The policy folder RAISE uses for a run, and the budget it is trained at (variants that differ only in how
    /// they use the policy share one: `BenchEntry.policySlug`).
    func policyFolder(for run: BenchRun) -> (path: String, budget: (label: String, steps: Int)) {
        let budget = settings.policy.budget ?? (run.budget, run.steps)
        return ("\(settings.out)/policies/\(BenchPlan.slug(budget.label))-\(run.entry.policySlug)-seed\(run.seed)", budget)
    }

    /// The state groups a RAISE entry's policy reads: its spec's `groups` (`raise:groups=stage+difficulty`),
    /// or the paper's state and the relevance to the target.
    static func stateGroups(of entry: BenchEntry) throws -> [StateGroup] {
        let spec = try PluginSpec(parsing: entry.spec, option: "--selector")
        guard let groups = spec.setting("groups") else { return StateGroup.targetAware }
        return try StateGroup.parseList(groups, option: "--selector \(entry.spec): parameter 'groups'")
    }

    /// The relevance signal a RAISE entry's policy ranks by: its spec's `relevance` (`raise:relevance=dsir`), or
    /// the target similarity.
    ///
    /// - Throws: `RaiseError.invalidArgument` naming the entry for an unknown signal, or a signal without the
    ///   relevance group.
    static func relevanceSignal(of entry: BenchEntry) throws -> RelevanceSignal {
        let spec = try PluginSpec(parsing: entry.spec, option: "--selector")
        guard let signal = spec.setting("relevance") else { return .similarity }
        let option = "--selector \(entry.spec): parameter 'relevance'"
        guard try stateGroups(of: entry).contains(.relevance) else {
            throw RaiseError.invalidArgument(name: option, detail: "the policy's state has no relevance group; add relevance to 'groups', or leave the signal out")
        }
        return try RelevanceSignal.parse(signal, option: option)
    }

    /// What a selector entry runs with, as its runs record it: the plugin's every parameter, given or default
    /// (`selector.dsir:buckets=10000,…`), and its version — so that a run made under other defaults is not
    /// taken for this entry's. nil for full data and the oracle.
    ///
    /// - Throws: the registry's error for an unknown plugin or a bad parameter.
    func entrySettings(_ entry: BenchEntry) throws -> String? {
        guard entry.kind == .selector else { return nil }
        let spec = try PluginSpec(parsing: entry.trainsPolicy ? try entry.spec(policy: "trained by the benchmark") : entry.spec, option: "--selector")
        let factory = try registry.plugin(spec.id, kind: .selector).factory
        return try spec.arguments(for: factory, seed: 0).canonical + " (version \(factory.version))"
    }

    /// Steps of policy training still to do for a run (0 when its policy is trained or it needs none).
    func policySteps(for run: BenchRun) -> Int {
        guard run.entry.trainsPolicy else { return 0 }
        let folder = policyFolder(for: run)
        return policySteps(forFolder: folder.path, steps: folder.budget.steps,
                           episodes: (try? policyEpisodes(of: run.entry)) ?? settings.policy.episodes)  // checked when planned
    }

    /// The episodes `entry`'s policy is trained for: its spec's `episodes`, or the benchmark's `--episodes`.
    private func policyEpisodes(of entry: BenchEntry) throws -> Int {
        try entry.policyEpisodes() ?? settings.policy.episodes
    }

    /// Runs `run` at learning rate `lr` (a policy it trains is trained at `policyRate`, its budget's),
    /// reporting its steps (the policy's first) to `progress`, a part of the benchmark's.
    func execute(_ run: BenchRun, lr: Double, policyRate: Double, progress: ProgressReporter) throws -> BenchResult {
        let seed = run.seed
        let batchSize = settings.batchSize
        var result = BenchResult(budget: run.budget, entry: run.entry.name, kind: run.entry.kind.rawValue, seed: Int(seed), steps: run.steps,
                                 batch: batchSize, learningRate: lr)
        result.entrySettings = try entrySettings(run.entry)
        let preparation = Date()
        let runName = "\(run.entry.name) @\(run.budget) seed \(seed), lr \(lr)"  // the rate tells a sweep's runs apart
        progress.detail = runName
        var offset = 0
        let selector: any InstructionSelector
        switch run.entry.kind {
        case .oracle:
            selector = try OracleReference(records: pool.records, target: settings.target, seed: seed)
        case .fullData:
            selector = try registry.make(PluginSpec(parsing: "full", option: "--selector"), kind: .selector, seed: seed, as: (any InstructionSelector).self)
        case .selector where run.entry.trainsPolicy:
            let folder = policyFolder(for: run)
            offset += try trainPolicy(into: folder.path, groups: BenchRunner.stateGroups(of: run.entry),
                                      signal: BenchRunner.relevanceSignal(of: run.entry), episodes: policyEpisodes(of: run.entry),
                                      steps: folder.budget.steps, seed: seed, lr: policyRate, progress: progress)
            progress.detail = runName
            selector = try registry.make(PluginSpec(parsing: try run.entry.spec(policy: folder.path), option: "--selector"), kind: .selector, seed: seed,
                                         as: (any InstructionSelector).self)
        case .selector:
            selector = try registry.make(PluginSpec(parsing: run.entry.spec, option: "--selector"), kind: .selector, seed: seed,
                                         as: (any InstructionSelector).self)
        }
        let model = try models.base(seed)
        let features = try models.features(model, seed, passMemory).columns(selector.requiredFeatures, of: pool, reportCacheHits: false)
        result.preparationSeconds = Date().timeIntervalSince(preparation)

        let training = SelectionTraining(trainer: BenchRunner.trainer(model, lr: lr, steps: run.steps),
                                         pool: pool.examples, selector: selector, steps: run.steps, batchSize: batchSize, features: features,
                                         seed: seed ^ 0x6265_6E63_6872_756E)
        let evaluateAt = Set((1...settings.evaluationPoints).map { $0 * run.steps / settings.evaluationPoints })
        var clock = Date()
        func lap() -> Double { defer { clock = Date() }; return Date().timeIntervalSince(clock) }
        // Every curve's first point, the base model's validation loss: measured once per base (once for a pretrained
        // model, once per seed for a seeded initialisation), not once per run.
        let base = passMemory.remembering(model, fingerprint: FeatureCache.fingerprint(of: model))
        result.curve.append((0, try TargetEvaluation(model: base, examples: validation).loss))
        result.evaluationSeconds += lap()
        for step in 0..<run.steps {
            let indices = try training.nextBatch(step: step)
            result.selectionSeconds += lap()
            result.batches.append(indices)
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
            let evaluation = try TargetEvaluation(model: model, examples: test.examples, answers: settings.testAnswers(test), match: settings.match)
            (result.testLoss, result.testExactMatch) = (evaluation.loss, evaluation.exactMatch)
        }
        result.evaluationSeconds += lap()
        for (i, times) in training.timesSelected.enumerated() where times > 0 { result.picks[i] = times }
        result.distinctExamples = result.picks.count
        return result
    }

    /// The trainer of every run: fine-tuning `model` for `steps` steps at peak rate `lr`. `bench evaluate`
    /// rebuilds a run's model with it, so that the rebuilt model is the run's bit for bit.
    static func trainer(_ model: any LanguageModel, lr: Double, steps: Int) -> ModelTrainer {
        ModelTrainer(model: model, settings: .fineTuning(peak: Float(lr), steps: steps))
    }

    /// Trains (or finishes) a RAISE policy reading `groups`, its prior ranking by `signal`, for `episodes` of
    /// `steps` steps, reporting to `progress`; returns the steps it took (0 when another run trained it
    /// meanwhile: that run's wait is on the policy's lock). With 0 episodes it writes the policy as it starts.
    private func trainPolicy(into folder: String, groups: [StateGroup], signal: RelevanceSignal, episodes: Int, steps: Int, seed: UInt64,
                             lr: Double, progress: ProgressReporter) throws -> Int {
        try NamedLock.withLock("policy " + folder) {
            // The rate comes from a sweep, so it is not among the folder's settings: a policy trained at another one
            // (a sweep run again over other rates) is refused, not taken for this benchmark's.
            let saved = PolicyFolder(folder)
            if saved.hasTrainingState, let rate = try saved.savedTraining()["lr"]?.numberValue, abs(rate - Double(Float(lr))) > 1e-6 * lr {
                throw RaiseError.file(path: saved.configPath, detail: "this policy was trained at learning rate \(Float(rate)); this benchmark trains "
                                      + "it at \(lr), its budget's rate: use another --out, or remove the policy's folder to train it again")
            }
            let remaining = policySteps(forFolder: folder, steps: steps, episodes: episodes)
            guard remaining > 0 || !saved.hasTrainingState else { return 0 }
            let checkSteps = episodes > 0 ? settings.policy.checkEpisodes * steps : 0
            progress.detail = "training the RAISE policy \(folder.split(separator: "/").last!)"
            let (policy, batchSize) = (settings.policy, settings.batchSize)
            let model = try models.base(seed)
            let pipeline = try models.features(model, seed, passMemory)
            let width = pipeline.models.embedding.embeddingWidth  // the semantic group is at most the model's width
            var policySettings = PolicySettings(layout: StateLayout(groups: groups, semanticDimensions: min(32, width), relevanceSignal: signal))
            policySettings.clusters = min(policy.clusters, batchSize)
            let columns = try pipeline.columns(policySettings.layout.featureSpecs, of: pool, reportCacheHits: false)
            var run = PolicyTrainingSettings(steps: steps, batchSize: batchSize, seed: seed)
            run.episodes = episodes
            run.rewardEvery = policy.rewardEvery
            run.checkEpisodes = policy.checkEpisodes
            let reward = try registry.make(PluginSpec(parsing: policy.reward, option: "--reward"), kind: .reward, seed: seed, as: (any Reward).self)
            let job = PolicyTrainingJob(model: model, pool: pool, validation: validation, reward: reward, rewardName: policy.reward,
                                        columns: columns, policySettings: policySettings, priorSpill: PoolFeatures.defaultPriorSpill,
                                        run: run, learningRate: Float(lr))
            // The job numbers its steps from the first episode; a resumed policy's first new step reports 1.
            try job.train(out: folder, resume: .ifPresent, progress: progress,
                          stepOffset: remaining - episodes * steps - checkSteps, mode: settings.outputMode == .json ? .quiet : settings.outputMode)
            return remaining
        }
    }

    /// The episodes' steps still to run in `folder`, and the policy check's when it is not done yet.
    private func policySteps(forFolder folder: String, steps: Int, episodes: Int) -> Int {
        let saved = PolicyFolder(folder)
        let checkDone = episodes == 0 || settings.policy.checkEpisodes == 0 || ((try? saved.savedCheck()) ?? nil) != nil
        return (max(0, episodes - ((try? saved.episodesDone()) ?? 0)) + (checkDone ? 0 : settings.policy.checkEpisodes)) * steps
    }
}
