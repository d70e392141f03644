// PolicyTrainingJob: training a RAISE policy into a folder, episode by episode (or group by group of
// episodes run with one policy, spread over the ranks of an MPI job), as `raise train-selector` and
// `raise bench run` both do. After every update the folder holds a usable policy
// (config.json, policy.safetensors), the episode log (episodes.jsonl) and the one-file resumable state
// (training-state.safetensors); a resumed job checks it is the same run and continues after the last
// finished episode. A job of 0 episodes writes the policy as it starts: the baseline of what PPO adds.
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
        let environment = FineTuningEnvironment(model: model, pool: pool.examples, validation: validation, reward: reward,
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
        var log = [String](), firstEpisode = 0
        if resume == .ifPresent && folder.hasTrainingState {
            try checkSameRun(folder, settings: settings)
            (firstEpisode, log) = try folder.restoreTraining(into: trainer)
            Console(mode: mode).info("raise: \(out): resuming after episode \(firstEpisode) of \(run.episodes)")
            if firstEpisode >= run.episodes && Job.communicator.isRoot {
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
            var mine = [Rollout]()
            for episode in group[communicator.shard(group.count, block: 1)] {
                var episodeReturn = 0.0
                mine.append(try trainer.rollout(episode) { step, reward in
                    episodeReturn += reward
                    progress?.update(step: stepOffset + episode * run.steps + step + 1, metrics: [("return", episodeReturn)])
                })
            }
            let rollouts = communicator.size > 1 ? try communicator.allGather(bytes: Rollout.encoded(mine)).flatMap(Rollout.decoded) : mine
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
        return log.compactMap { try? JSONValue.parse($0).objectValue }
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
        for tag in ["target", "noisy"] where pool.records.contains(where: { $0.hiddenTags[tag] != nil }) {
            let share = Double(result.picks.filter { pool.records[$0].hiddenTags[tag] == "true" }.count) / Double(max(result.picks.count, 1))
            line[tag + "_share"] = .number(share)
        }
        return line
    }
}
