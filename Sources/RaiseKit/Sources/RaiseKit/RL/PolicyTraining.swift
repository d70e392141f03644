// PolicyTraining: RAISE's outer loop. Each episode restores the base model, runs T training steps
// choosing every batch with the current policy (Plackett–Luce draws per cluster), records the states'
// ingredients, the picks, the critic's values and the rewards R_t = P(M_t) − P(M_{t−1}), then updates
// actor and critic with PPO — after each episode, or after each group of episodes run with the same
// policy (`rollout`, then one `update` over their trajectories). An episode's randomness is a function
// of the run's seed and the episode number alone, so a run resumed from a saved policy and optimizer
// repeats an uninterrupted one, and the episodes of a group can run on different ranks.
import Foundation

/// The length and rhythm of policy training.
public struct PolicyTrainingSettings: Sendable {
    /// Episodes to run.
    public var episodes = 20
    /// Episodes run with the same policy before each PPO update (in parallel across the ranks of an MPI
    /// job; one after the other in a single process, with the same result). Advantages are normalised over
    /// an update's episodes, so with one episode per update a reward that is mostly noise still moves the
    /// policy a full step every episode, and the steps add up: over 30 episodes the policies drifted from
    /// their start, and on validation examples the reward never saw did worse than it in 9 of 12 cells (four
    /// suites, three budgets). With 3 they did better than with 1 in all 12 and than their start in 8
    /// (docs/SELECTORS.md, "Episodes per update").
    public var episodesPerUpdate = 3
    /// Training steps per episode (T): the budget the policy is trained for.
    public var steps: Int
    /// Instructions per step, spread over the clusters.
    public var batchSize: Int
    /// Steps between evaluations of P; the reward is 0 between them (the last step is always evaluated).
    public var rewardEvery = 1
    /// PPO's settings.
    public var ppo = PPOSettings()
    /// The run's seed.
    public var seed: UInt64
    /// Episodes run with the trained policy after the last update for the policy check (`PolicyCheck`);
    /// 0: no check, and the reward sees the whole validation split.
    public var checkEpisodes = 0

    /// `steps` steps of `batchSize` per episode; the other fields at their defaults.
    public init(steps: Int, batchSize: Int, seed: UInt64) {
        self.steps = steps
        self.batchSize = batchSize
        self.seed = seed
    }
}

/// What one episode did.
public struct EpisodeResult: Sendable {
    /// 0-based.
    public let episode: Int
    /// P(M_0) and P(M_T).
    public let basePerformance: Double, finalPerformance: Double
    /// The sum of the rewards.
    public let totalReward: Double
    /// Picks per cluster over the episode.
    public let clusterHistogram: [Int]
    /// Every pick, step after step.
    public let picks: [Int]
    /// The PPO update that followed.
    public let statistics: PPOStatistics
    /// P(M_T) on the policy check's held-out examples; nil without a check.
    public let checkPerformance: Double?
    /// Wall time of the episode and its update.
    public let seconds: Double
}

/// One episode run with a fixed policy: what PPO needs, and what its log line reports.
public struct Rollout: Sendable {
    /// 0-based.
    public let episode: Int
    /// The recorded steps.
    public let trajectory: Trajectory
    /// P(M_0) and P(M_T).
    public let basePerformance: Double, finalPerformance: Double
    /// The episode's generator after its draws; the update that follows continues it.
    public let rng: RandomGenerator
    /// Wall time of the episode.
    public let seconds: Double
    /// P(M_T) on the policy check's held-out examples; nil without a check.
    public let checkPerformance: Double?

    /// A finished episode.
    public init(episode: Int, trajectory: Trajectory, basePerformance: Double, finalPerformance: Double, rng: RandomGenerator, seconds: Double,
                checkPerformance: Double? = nil) {
        self.episode = episode
        self.trajectory = trajectory
        self.basePerformance = basePerformance
        self.finalPerformance = finalPerformance
        self.rng = rng
        self.seconds = seconds
        self.checkPerformance = checkPerformance
    }
}

/// Trains a selection policy by running episodes in an environment.
public final class PolicyTrainer {
    public let policy: SelectionPolicy
    /// The pool's features and clusters.
    public let pool: PolicyPool
    public let environment: any SelectionEnvironment
    public let settings: PolicyTrainingSettings
    /// PPO, with the optimizer state a resumed run restores.
    public let updater: PPOUpdater

    /// A trainer of `policy` over the pool that `pool` and `environment` describe alike.
    public init(policy: SelectionPolicy, pool: PolicyPool, environment: any SelectionEnvironment, settings: PolicyTrainingSettings) {
        precondition(pool.count == environment.poolSize, "PolicyTrainer: features for \(pool.count), pool of \(environment.poolSize)")
        self.policy = policy
        self.pool = pool
        self.environment = environment
        self.settings = settings
        updater = PPOUpdater(policy: policy, settings: settings.ppo)
    }

    /// Runs episode `episode` and updates the policy; `onStep(step, reward)` reports progress.
    ///
    /// - Throws: what the environment throws (a diverging model, a failing reward), or PPO's error.
    public func runEpisode(_ episode: Int, onStep: (Int, Double) -> Void = { _, _ in }) throws -> EpisodeResult {
        try update([try rollout(episode, onStep: onStep)])[0]
    }

    /// Runs episode `episode` with the current policy, without updating it.
    ///
    /// - Throws: what the environment throws (a diverging model, a failing reward).
    public func rollout(_ episode: Int, onStep: (Int, Double) -> Void = { _, _ in }) throws -> Rollout {
        let start = Date()
        let (steps, layout) = (settings.steps, policy.settings.layout)
        var rng: RandomGenerator? = RandomGenerator(seed: settings.seed ^ (UInt64(episode + 1) &* 0x9E37_79B9_7F4A_7C15))
        let base = try environment.reset(totalSteps: steps)
        var trajectory = Trajectory(poolSize: environment.poolSize, totalSteps: steps)
        var progress = TrainingProgress(totalSteps: steps, poolSize: environment.poolSize)
        var previous = base
        for t in 0..<steps {
            progress.step = t
            if policy.wantsLosses(at: t, measured: progress.currentLoss != nil) {
                let losses = PoolFeatures.standardised([try environment.poolLosses()], count: environment.poolSize).scalars
                trajectory.refreshLosses(losses, at: t)
                progress.currentLoss = losses
            }
            let value = policy.value(layout.summary(of: pool.features, progress))
            let pick = policy.pick(pool, progress: progress, batchSize: settings.batchSize, rng: &rng)
            let picks = pick.byCluster
            let logProbabilities = picks.indices.map {
                PlackettLuceDraw(scores: pick.scores, candidates: pool.clusters.members[$0], chosen: picks[$0],
                                 temperature: policy.settings.temperature).logProbabilities
            }
            try environment.train(pick.indices)
            var reward = 0.0
            if (t + 1) % settings.rewardEvery == 0 || t == steps - 1 {
                let performance = try environment.performance()
                reward = performance - previous
                previous = performance
            }
            let transition = Transition(picks: picks, logProbabilities: logProbabilities, value: value, reward: reward)
            trajectory.append(transition)
            for i in transition.indices { progress.timesSelected[i] += 1 }
            onStep(t, reward)
        }
        return Rollout(episode: episode, trajectory: trajectory, basePerformance: base, finalPerformance: previous, rng: rng!,
                       seconds: Date().timeIntervalSince(start), checkPerformance: try environment.checkPerformance())
    }

    /// One PPO update from `rollouts` (run in order with the current policy), shuffled with the last
    /// one's generator; returns each episode's result.
    ///
    /// - Throws: PPO's error on a non-finite loss.
    public func update(_ rollouts: [Rollout]) throws -> [EpisodeResult] {
        let start = Date()
        var rng = rollouts.last!.rng
        let statistics = try updater.update(rollouts.map(\.trajectory), features: pool.features, clusters: pool.clusters, rng: &rng)
        let updateSeconds = Date().timeIntervalSince(start) / Double(rollouts.count)
        return rollouts.map { rollout in
            let trajectory = rollout.trajectory
            return EpisodeResult(episode: rollout.episode, basePerformance: rollout.basePerformance, finalPerformance: rollout.finalPerformance,
                                 totalReward: trajectory.totalReward,
                                 clusterHistogram: trajectory.transitions.reduce(into: Array(repeating: 0, count: pool.clusters.members.count)) { counts, step in
                                     for (c, picks) in step.picks.enumerated() { counts[c] += picks.count }
                                 },
                                 picks: trajectory.transitions.flatMap(\.indices), statistics: statistics,
                                 checkPerformance: rollout.checkPerformance, seconds: rollout.seconds + updateSeconds)
        }
    }

}
