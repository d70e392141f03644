// PolicyPool: the pool as a RAISE policy sees it — the standardised static features and the k-means
// clusters of their semantic columns, built once from the feature columns — and `SelectionPolicy.pick`,
// the one step of scoring and picking that policy training (a rollout) and use (selector.raise) share,
// so that a policy is used as it was trained (in use, by default, drawing from its nucleus only).

/// A pool's static features and clusters, as a policy with given settings reads them.
public struct PolicyPool: Sendable {
    /// The standardised static columns.
    public let features: PoolFeatures
    /// The clusters each step's batch is spread over.
    public let clusters: PoolClusters

    /// The pool of `count` instructions whose feature columns are `columns` (the columns of
    /// `settings.layout.featureSpecs`); the clusters are seeded by `seed`.
    ///
    /// - Throws: `RaiseError.invalidArgument` naming a missing or short column; k-means' error.
    public init(columns: [String: [Float]], count: Int, settings: PolicySettings, seed: UInt64) throws {
        try self.init(features: PoolFeatures(columns: columns, count: count, layout: settings.layout), settings: settings, seed: seed)
    }

    /// The pool of these features, clustered into at most `settings.clusters` clusters.
    public init(features: PoolFeatures, settings: PolicySettings, seed: UInt64) throws {
        self.features = features
        clusters = try PoolClusters(semantics: features.semantics, count: min(settings.clusters, features.count), seed: seed)
    }

    /// Instructions in the pool.
    public var count: Int { features.count }
}

/// One step's choice: each cluster's picks and the scores they were chosen by.
public struct PolicyPick: Sendable {
    /// The picks, by cluster.
    public let byCluster: [[Int]]
    /// F_θ of every instruction.   (N)
    public let scores: [Float]

    /// Every pick, cluster after cluster.
    public var indices: [Int] { byCluster.flatMap { $0 } }
}

extension SelectionPolicy {
    /// One step: F_θ of every instruction's fused state at `progress`, then each cluster's quota of
    /// `batchSize` drawn from softmax(F/τ) over its `nucleus` (`rng` given; training draws from all of it) or
    /// its top scores (`rng` nil).
    public func pick(_ pool: PolicyPool, progress: TrainingProgress, batchSize: Int, nucleus: Double = 1,
                     rng: inout RandomGenerator?) -> PolicyPick {
        let scores = scores(pool.features, progress)
        return PolicyPick(byCluster: choose(scores: scores, clusters: pool.clusters, batchSize: batchSize, nucleus: nucleus, rng: &rng),
                          scores: scores)
    }

    /// Whether the current-loss group wants the trained model's losses at `step`: every `lossRefresh`
    /// steps, and whenever none were measured yet.
    public func wantsLosses(at step: Int, measured: Bool) -> Bool {
        settings.layout.groups.contains(.currentLoss) && (!measured || step % settings.lossRefresh == 0)
    }
}
