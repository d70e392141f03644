// PolicyTrainingJob: training a RAISE policy into a folder, episode by episode (or group by group of
// episodes run with one policy, spread over the ranks of an MPI job), as `raise train-selector` and
// `raise bench run` both do. After every update the folder holds a usable policy
// (config.json, policy.safetensors), the episode log (episodes.jsonl) and the one-file resumable state
// (training-state.safetensors); a resumed job checks it is the same run and continues after the last
// finished episode. A job of 0 episodes writes the policy as it starts: the baseline of what PPO adds.
// With a policy check (`PolicyCheck`) the reward sees the first half of the validation split, and after
// the last update a few more episodes decide, on the second half, whether the trained policy or its
// start is the folder's policy.
import Foundation
import RaiseKit

/// A policy to train, with its pool, validation split, reward and features.
struct PolicyTrainingJob {
    /// Whether an existing state in the folder is continued.
    enum Resume {
        /// Start afresh (an existing folder is overwritten).
        case never
        /// Continue when a state is there, else start.
        case ifPresent
    }

    let model: any LanguageModel
    let pool: Pool
    let validation: [TokenizedExample]
    let reward: any Reward
    let rewardName: String
    /// The pool's feature columns (`policySettings.layout.featureSpecs`).
    let columns: [String: [Float]]
    let policySettings: PolicySettings
    /// When set, the relevance prior's bonus is raised above `policySettings`' where that leaves the records
    /// its ramp gives nothing more than this share of the first draws (`PoolFeatures.relevanceBonus`).
    let priorSpill: Double?
    let run: PolicyTrainingSettings
    /// The fine-tuning's peak learning rate.
    let learningRate: Float

    /// What identifies the run in config.json; a resumed run must match it (it may ask for more episodes).
    var description: JSONObject {
        var object = JSONObject([("reward", .string(rewardName)), ("steps", .number(Double(run.steps))), ("batch", .number(Double(run.batchSize))),
                                 ("lr", .number(Double(learningRate))), ("reward_every", .number(Double(run.rewardEvery))),
                                 ("seed", .number(Double(run.seed))),
                                 ("pool", .number(Double(pool.count))), ("validation", .number(Double(validation.count)))])
        if run.episodesPerUpdate > 1 { object["episodes_per_update"] = .number(Double(run.episodesPerUpdate)) }
        if run.checkEpisodes > 0 { object["check_episodes"] = .number(Double(run.checkEpisodes)) }
        let ppo = run.ppo.json
        for key in ppo.keys { object[key] = ppo[key] }
        return object
    }

    /// Trains the policy into `out`; returns the episode log, one object per episode.
    ///
    /// - Throws: `RaiseError` when a resumed folder belongs to another run, and whatever training throws.
    @discardableResult
    func train(out: String, resume: Resume, progress: ProgressReporter?, stepOffset: Int = 0, mode: OutputMode) throws -> [JSONObject] {
        guard run.batchSize <= pool.count else {
            throw RaiseError.invalidArgument(name: "--batch", detail: "\(run.batchSize) is more than the pool's \(pool.count) records")
        }
        let policyPool = try PolicyPool(columns: columns, count: pool.count, settings: policySettings, seed: run.seed)
        let peak = learningRate
        let (rewardExamples, checkExamples) = try checkSplit()
        let environment = FineTuningEnvironment(model: model, pool: pool.examples, validation: rewardExamples, check: checkExamples, reward: reward,
                                                settings: { TrainerSettings.fineTuning(peak: peak, steps: $0) })
        // The prior starts from the records a static selector would take at this budget (the subset size's
        // most similar), or from fewer where the target's look-alikes end before them — at least a batch.
        // Unless it was given, it is stronger where the records off its ramp would otherwise take more than
        // `priorSpill` of the draws: a rare target's few look-alikes against thousands of others.
        var settings = policySettings
        let subset = (run.steps * run.batchSize + TrainingBudget.fullDataEpochs - 1) / TrainingBudget.fullDataEpochs
        if let edge = policyPool.features.relevanceEdge(subset: subset, minimumRecords: run.batchSize) {
            (settings.relevanceThreshold, settings.relevanceWidth) = (edge.threshold, edge.width)
            if let priorSpill { settings.relevancePrior = max(settings.relevancePrior, policyPool.features.relevanceBonus(edge: edge, spill: priorSpill)!) }
        }
        let policy = SelectionPolicy(settings: settings, seed: run.seed)
        let trainer = PolicyTrainer(policy: policy, pool: policyPool, environment: environment, settings: run)

        let folder = PolicyFolder(out)
        var log = [String](), firstEpisode = 0, checked = false
        if resume == .ifPresent && folder.hasTrainingState {
            try checkSameRun(folder, settings: settings)
            (firstEpisode, log) = try folder.restoreTraining(into: trainer)
            checked = try folder.savedCheck() != nil
            Console(mode: mode).info("raise: \(out): resuming after episode \(firstEpisode) of \(run.episodes)")
            if firstEpisode >= run.episodes && !checked && Job.communicator.isRoot {
                // Killed between the last update's writes: the state is whole, the other files are rewritten from it.
                try folder.saveTraining(trainer, description: description, episodesDone: firstEpisode, log: log)
            }
        }
        // Groups of episodes run with one policy, then one update. Under mpirun each rank runs its share
        // of a group, every rank gets every rollout and takes the same update; rank 0 writes.
        let communicator = Job.communicator
        try Job.requireAgreement(on: firstEpisode, what: "the episodes finished in \(out)")
        var first = firstEpisode
        while first < run.episodes {
            let group = Array(first..<min(first + run.episodesPerUpdate, run.episodes))
            let rollouts = try self.rollouts(group, trainer: trainer, progress: progress, stepOffset: stepOffset)
            let results = try trainer.update(rollouts)
            first = group.last! + 1
            guard communicator.isRoot else { continue }
            for rollout in rollouts { warnIfConstant(rollout, mode: mode) }
            log += results.map { JSONValue.object(line($0)).serialized }
            try folder.saveTraining(trainer, description: description, episodesDone: first, log: log)
            if mode == .json { for entry in log.suffix(results.count) { print(entry) } }
        }
        if run.episodes == 0 && communicator.isRoot {
            // No episode to run: the folder holds the policy as it starts (with the relevance group, the prior alone).
            try folder.saveTraining(trainer, description: description, episodesDone: 0, log: [])
        }
        if run.checkEpisodes > 0 && run.episodes > 0 && (firstEpisode < run.episodes || !checked) {
            try check(trainer, start: SelectionPolicy(settings: settings, seed: run.seed), heldOut: checkExamples.count, log: log,
                      folder: folder, progress: progress, stepOffset: stepOffset, mode: mode)
        }
        return log.compactMap { try? JSONValue.parse($0).objectValue }
    }

    /// Runs `episodes` with the current policy, each rank its share; every rank gets all of them, in order.
    private func rollouts(_ episodes: [Int], trainer: PolicyTrainer, progress: ProgressReporter?, stepOffset: Int) throws -> [Rollout] {
        let communicator = Job.communicator
        var mine = [Rollout]()
        for episode in episodes[communicator.shard(episodes.count, block: 1)] {
            var episodeReturn = 0.0
            mine.append(try trainer.rollout(episode) { step, reward in
                episodeReturn += reward
                progress?.update(step: stepOffset + episode * run.steps + step + 1, metrics: [("return", episodeReturn)])
            })
        }
        return communicator.size > 1 ? try communicator.allGather(bytes: Rollout.encoded(mine)).flatMap(Rollout.decoded) : mine
    }

    /// The validation examples the reward scores and those the policy check holds out: all and none without
    /// a check; with one, the first half and the second.
    ///
    /// - Throws: `RaiseError.invalidArgument` when a check has fewer than two validation examples to split.
    private func checkSplit() throws -> (reward: [TokenizedExample], check: [TokenizedExample]) {
        guard run.checkEpisodes > 0 else { return (validation, []) }
        guard validation.count >= 2 else {
            throw RaiseError.invalidArgument(name: "--policy-check", detail: "the check holds out half of the validation split, "
                                             + "which has \(validation.count) example(s); give --val at least 2, or leave the check out")
        }
        let half = (validation.count + 1) / 2
        return (Array(validation[..<half]), Array(validation[half...]))
    }

    /// The policy check: `run.checkEpisodes` more episodes with the trained policy, scored on the held-out
    /// half, against the start's first episodes (their scores are in the log). The folder's policy becomes
    /// the one the check keeps; its training state keeps the trained weights. `heldOut` is the held-out half's size.
    private func check(_ trainer: PolicyTrainer, start: SelectionPolicy, heldOut: Int, log: [String], folder: PolicyFolder,
                       progress: ProgressReporter?, stepOffset: Int, mode: OutputMode) throws {
        let episodes = Array(run.episodes..<run.episodes + run.checkEpisodes)
        let trained = try rollouts(episodes, trainer: trainer, progress: progress, stepOffset: stepOffset).compactMap(\.checkPerformance)
        guard Job.communicator.isRoot else { return }
        let startScores = log.prefix(run.episodesPerUpdate).compactMap { try? JSONValue.parse($0).objectValue?["check"]?.numberValue }
        guard !startScores.isEmpty, trained.count == episodes.count else {
            throw RaiseError.file(path: folder.episodesPath, detail: "the policy check needs the held-out scores ('check') of the first episodes")
        }
        let check = PolicyCheck(start: startScores, trained: trained)
        let kept = check.keepsTrained ? trainer.policy : start
        try folder.save(kept, extra: [("training", .object(description)), ("episodes_done", .number(Double(run.episodes))),
                                      ("check", .object(check.json))])
        let format = { (x: Double) in String(format: "%.4f", x) }
        Console(mode: mode).info("raise: \(folder.path): policy check on the held-out half of the validation split "
                                 + "(\(heldOut) examples, scored as the reward scores, its limit included): the trained policy "
                                 + "\(check.keepsTrained ? "beat" : "did not beat") its start by more than a standard error "
                                 + "(\(format(check.difference)) ± \(format(check.standardError))); kept the \(check.keepsTrained ? "trained policy" : "start")")
        if mode == .json { print(JSONValue.object(JSONObject([("check", .object(check.json))])).serialized) }
    }

    /// Says so when every reward of an episode was the same: PPO then has nothing to learn from (a
    /// `val-accuracy` reward at the noise floor of a small model is 0 at every step).
    private func warnIfConstant(_ rollout: Rollout, mode: OutputMode) {
        let rewards = rollout.trajectory.transitions.map(\.reward)
        guard rewards.count > 1, let first = rewards.first, rewards.allSatisfy({ $0 == first }) else { return }
        Console(mode: mode).warning("episode \(rollout.episode + 1): every one of its \(rewards.count) rewards was \(first), so the policy "
                                    + "learns nothing from it; is the reward (\(rewardName)) constant on this model?")
    }

    /// A resumed run must be the same run: same policy shape, budget, reward, seed and pool.
    private func checkSameRun(_ folder: PolicyFolder, settings: PolicySettings) throws {
        var differences = [String]()
        let saved = try folder.savedSettings()
        if saved != settings { differences += RunSettings.differences(saved: saved.json, current: settings.json) }
        let training = try folder.savedTraining()
        let current = description
        differences += RunSettings.differences(saved: JSONObject(current.keys.map { ($0, training[$0] ?? .null) }), current: current)
        guard differences.isEmpty else {
            throw RaiseError.file(path: folder.configPath, detail: "this policy was trained with other settings (\(differences.joined(separator: "; "))): "
                                  + "resume with the same options, or choose another --out")
        }
    }

    /// One line of episodes.jsonl; with the pool's hidden tags (the synthetic suite), also the shares of
    /// target-task and noisy picks.
    private func line(_ result: EpisodeResult) -> JSONObject {
        var line = JSONObject([("episode", .number(Double(result.episode + 1))), ("return", .number(result.totalReward)),
                               ("base", .number(result.basePerformance)), ("final", .number(result.finalPerformance)),
                               ("clusters", .array(result.clusterHistogram.map { .number(Double($0)) })),
                               ("seconds", .number(result.seconds)), ("policy_loss", .number(result.statistics.policyLoss)),
                               ("value_loss", .number(result.statistics.valueLoss)), ("entropy", .number(result.statistics.entropy)),
                               ("clip_fraction", .number(result.statistics.clipFraction)),
                               ("approx_kl", .number(result.statistics.approximateKL)),
                               ("distinct", .number(Double(Set(result.picks).count)))])
        if let score = result.checkPerformance { line["check"] = .number(score) }
        for tag in ["target", "noisy"] where pool.records.contains(where: { $0.hiddenTags[tag] != nil }) {
            let share = Double(result.picks.filter { pool.records[$0].hiddenTags[tag] == "true" }.count) / Double(max(result.picks.count, 1))
            line[tag + "_share"] = .number(share)
        }
        return line
    }
}
