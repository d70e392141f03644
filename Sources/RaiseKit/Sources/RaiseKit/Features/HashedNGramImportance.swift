// HashedNGramImportance: DSIR's importance weights (Xie et al., NeurIPS 2023, "Data Selection for Language
// Models via Importance Resampling"). Every n-gram of a text (here of its token ids: unigrams up to
// `order`-grams) is hashed into one of `buckets` buckets; a bag-of-n-grams model — one probability per
// bucket — is fitted on the target and another on the pool, and an example's log importance weight is
//   log w(x) = Σ_{n-grams g of x} ( log p_target(bucket(g)) − log p_pool(bucket(g)) ),
// the log-likelihood ratio of its n-grams under the two models. Each model is the bucket counts plus
// `smoothing` in every bucket, normalised, floored at 1e-8 inside the log as in the reference code
// (smoothing 0 is the paper's estimator, fitted there on far larger targets).
import Foundation

/// DSIR's bag-of-hashed-n-grams importance estimator, fitted on a target and a pool of token sequences.
public struct HashedNGramImportance: Sendable {
    /// The number of hash buckets.
    public let buckets: Int
    /// The longest n-gram counted (1: unigrams only, 2: unigrams and bigrams).
    public let order: Int
    /// log p_target − log p_pool, per bucket.
    public let logRatio: [Double]

    /// Fits both bag-of-n-grams models: `target`'s and `pool`'s n-gram counts per bucket, plus `smoothing`
    /// in every bucket, normalised.
    public init(target: [[Int32]], pool: [[Int32]], buckets: Int, order: Int, smoothing: Double) {
        let hash = { (ids: [Int32]) in HashedNGramImportance.bucketsOfNGrams(in: ids, buckets: buckets, order: order) }
        self.init(targetBuckets: target.map(hash), poolBuckets: pool.map(hash), buckets: buckets, order: order, smoothing: smoothing)
    }

    /// The same fit from texts already hashed (`bucketsOfNGrams`), so that a caller scoring the pool hashes
    /// each of its texts once.
    public init(targetBuckets: [[Int]], poolBuckets: [[Int]], buckets: Int, order: Int, smoothing: Double) {
        precondition(buckets > 0 && order > 0, "HashedNGramImportance: \(buckets) buckets, order \(order)")
        (self.buckets, self.order) = (buckets, order)
        let targetModel = HashedNGramImportance.probabilities(of: targetBuckets, buckets: buckets, smoothing: smoothing)
        let poolModel = HashedNGramImportance.probabilities(of: poolBuckets, buckets: buckets, smoothing: smoothing)
        logRatio = zip(targetModel, poolModel).map { log($0 + 1e-8) - log($1 + 1e-8) }
    }

    /// The log importance weight of `ids` (the sum over its n-grams) and how many n-grams it has.
    public func logWeight(of ids: [Int32]) -> (sum: Double, ngrams: Int) {
        logWeight(ofBuckets: HashedNGramImportance.bucketsOfNGrams(in: ids, buckets: buckets, order: order))
    }

    /// The log importance weight of a text already hashed (`bucketsOfNGrams`) and how many n-grams it has.
    public func logWeight(ofBuckets hashed: [Int]) -> (sum: Double, ngrams: Int) {
        (hashed.reduce(0) { $0 + logRatio[$1] }, hashed.count)
    }

    /// The bucket of every n-gram of `ids`, unigrams first, then bigrams, … up to `order`-grams.
    public static func bucketsOfNGrams(in ids: [Int32], buckets: Int, order: Int) -> [Int] {
        var out = [Int]()
        for n in 1...order where ids.count >= n {
            for start in 0...(ids.count - n) {
                var hash = FNV1a()
                hash.add(bitsOf: UInt8(n))
                for id in ids[start..<start + n] { hash.add(bitsOf: id) }
                out.append(Int(hash.value % UInt64(buckets)))
            }
        }
        return out
    }

    /// A bag-of-n-grams model of hashed texts: (count + smoothing) / Σ (count + smoothing), per bucket.
    static func probabilities(of texts: [[Int]], buckets: Int, smoothing: Double) -> [Double] {
        var counts = [Double](repeating: smoothing, count: buckets)
        for hashed in texts {
            for bucket in hashed { counts[bucket] += 1 }
        }
        let total = counts.reduce(0, +)
        return total > 0 ? counts.map { $0 / total } : counts
    }
}
