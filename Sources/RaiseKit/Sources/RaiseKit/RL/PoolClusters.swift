// PoolClusters: RAISE's diversity constraint. The pool's semantic embeddings are clustered once with
// k-means into C clusters; each step takes its batch as a quota per cluster (B/C each, the remainder
// to the first clusters, a cluster smaller than its quota giving the rest to the others), chosen by
// the policy's scores within the cluster.

/// The clusters of a pool and how a batch is split across them.
public struct PoolClusters: Sendable {
    /// The cluster of each instruction.   (N)
    public let assignments: [Int]
    /// The instructions of each cluster, in pool order.
    public let members: [[Int]]

    /// Clusters the rows of `semantics` (N, S) into `count` groups; one cluster needs no k-means.
    ///
    /// - Throws: `RaiseError.invalidArgument` when `count` is not in 1...N.
    public init(semantics: Tensor, count: Int, seed: UInt64) throws {
        let n = semantics.shape[0]
        if count == 1 {
            assignments = Array(repeating: 0, count: n)
        } else {
            assignments = try KMeans(semantics, clusters: count, seed: seed).assignments
        }
        var members = Array(repeating: [Int](), count: max(count, 1))
        for (i, cluster) in assignments.enumerated() { members[cluster].append(i) }
        self.members = members
    }

    /// How many instructions each cluster contributes to a batch of `batchSize` (at most the pool).
    public func quota(batchSize: Int) -> [Int] {
        let c = members.count
        var quota = (0..<c).map { min(members[$0].count, batchSize / c + ($0 < batchSize % c ? 1 : 0)) }
        var missing = batchSize - quota.reduce(0, +)
        while missing > 0, let roomy = (0..<c).first(where: { quota[$0] < members[$0].count }) {
            let extra = min(missing, members[roomy].count - quota[roomy])
            quota[roomy] += extra
            missing -= extra
        }
        return quota
    }
}
