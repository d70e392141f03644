// KMeans: k-means clustering with seeded k-means++ initialisation and Lloyd iterations until no point
// changes cluster. Used to keep RAISE's batches diverse and by the pre-experienced step of IFD.

/// A k-means clustering of rows.
public struct KMeans: Sendable {
    /// Cluster centres.   (K, C)
    public let centroids: Tensor
    /// The cluster of each row.   (N)
    public let assignments: [Int]
    /// Lloyd iterations run.
    public let iterations: Int

    /// Clusters the rows of `data` into `k` groups.   data (N, C)
    ///
    /// - Throws: `RaiseError.invalidArgument` when k is not in 1...N.
    public init(_ data: Tensor, clusters k: Int, seed: UInt64, maximumIterations: Int = 300) throws {
        let (n, c) = (data.shape[0], data.shape[1])
        guard k >= 1, k <= n else { throw RaiseError.invalidArgument(name: "k-means", detail: "cannot make \(k) clusters of \(n) rows") }
        func distance(_ i: Int, _ centre: Tensor, _ j: Int) -> Float {
            var d: Float = 0
            for col in 0..<c { let diff = data[i, col] - centre[j, col]; d += diff * diff }
            return d
        }
        // k-means++: each next centre drawn with probability proportional to the squared distance to the nearest chosen one.
        var rng = RandomGenerator(seed: seed)
        let centroids = Tensor(zeros: [k, c])
        var nearest = [Float](repeating: .infinity, count: n)
        var chosen = rng.nextInt(below: n)
        for j in 0..<k {
            for col in 0..<c { centroids[j, col] = data[chosen, col] }
            var total: Float = 0
            for i in 0..<n {
                nearest[i] = min(nearest[i], distance(i, centroids, j))
                total += nearest[i]
            }
            guard j + 1 < k else { break }
            var target = rng.nextFloat() * total
            chosen = n - 1
            for i in 0..<n {
                target -= nearest[i]
                if target < 0 { chosen = i; break }
            }
        }
        // Lloyd: assign to the nearest centre, move centres to their means, until nothing moves.
        var assignments = [Int](repeating: -1, count: n)
        var iteration = 0
        while iteration < maximumIterations {
            iteration += 1
            var changed = false
            for i in 0..<n {
                var best = 0, bestDistance = Float.infinity
                for j in 0..<k { let d = distance(i, centroids, j); if d < bestDistance { (best, bestDistance) = (j, d) } }
                if assignments[i] != best { assignments[i] = best; changed = true }
            }
            if !changed { break }
            var counts = [Int](repeating: 0, count: k)
            let sums = Tensor(zeros: [k, c])
            for i in 0..<n {
                counts[assignments[i]] += 1
                for col in 0..<c { sums[assignments[i], col] += data[i, col] }
            }
            for j in 0..<k where counts[j] > 0 { for col in 0..<c { centroids[j, col] = sums[j, col] / Float(counts[j]) } }
        }
        self.centroids = centroids
        self.assignments = assignments
        self.iterations = iteration
    }
}
