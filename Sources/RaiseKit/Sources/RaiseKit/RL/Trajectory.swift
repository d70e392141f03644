// Trajectory: what one episode of policy training recorded — per step the picks of each cluster, their
// log-probabilities under the policy that drew them, the critic's value and the reward — enough to
// rebuild every state afterwards, so PPO never stores an (N, width) matrix per step.

/// One step of an episode.
public struct Transition: Sendable {
    /// The ordered picks of each cluster.
    public let picks: [[Int]]
    /// log p of each pick given the picks before it, per cluster, under the policy that drew them.
    public let logProbabilities: [[Double]]
    /// The critic's V(s_t).
    public let value: Double
    /// R_t = P(M_t) − P(M_{t−1}) (0 at steps where P is not evaluated).
    public let reward: Double

    /// A recorded step.
    public init(picks: [[Int]], logProbabilities: [[Double]], value: Double, reward: Double) {
        self.picks = picks
        self.logProbabilities = logProbabilities
        self.value = value
        self.reward = reward
    }

    /// Every pick, cluster after cluster.
    public var indices: [Int] { picks.flatMap { $0 } }
}

/// The steps of one episode, in order.
public struct Trajectory: Sendable {
    /// Instructions in the pool.
    public let poolSize: Int
    /// Steps in the episode (T).
    public let totalSteps: Int
    /// The recorded steps.
    public private(set) var transitions: [Transition] = []
    /// Current-loss refreshes: the step from which each standardised loss column holds.
    public private(set) var lossRefreshes: [(step: Int, losses: [Float])] = []

    /// An empty episode of `totalSteps` steps over `poolSize` instructions.
    public init(poolSize: Int, totalSteps: Int) {
        self.poolSize = poolSize
        self.totalSteps = totalSteps
    }

    /// Records the next step.
    public mutating func append(_ transition: Transition) { transitions.append(transition) }

    /// Records a current-loss refresh before step `step`.
    public mutating func refreshLosses(_ losses: [Float], at step: Int) { lossRefreshes.append((step, losses)) }

    /// The progress the state of step `t` was built from: use counts replayed from the picks before t.
    public func progress(at t: Int) -> TrainingProgress {
        var progress = TrainingProgress(totalSteps: totalSteps, poolSize: poolSize)
        progress.step = t
        for transition in transitions.prefix(t) { for i in transition.indices { progress.timesSelected[i] += 1 } }
        progress.currentLoss = lossRefreshes.last { $0.step <= t }?.losses
        return progress
    }

    /// The sum of the rewards: P(M_T) − P(M_0) when P is evaluated at the last step.
    public var totalReward: Double { transitions.reduce(0) { $0 + $1.reward } }
}
