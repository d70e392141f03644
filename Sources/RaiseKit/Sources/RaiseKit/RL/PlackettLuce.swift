// PlackettLuce: drawing b items without replacement from softmax(score/τ) over a set of candidates,
// and the exact log-probability of the ordered draw with its gradient — what lets PPO train a policy
// that picks a whole batch. Drawing is Gumbel-top-k (add Gumbel noise, keep the b largest), which
// yields the same distribution over ordered draws as picking one at a time from the renormalised
// softmax. For the ordered draw c_1..c_b from candidates M:
//   log P = Σ_k [ s(c_k)/τ − log Σ_{j ∈ M∖{c_1..c_{k−1}}} exp(s(j)/τ) ]
//   ∂ log P / ∂ s(j) = ( [j drawn] − Σ_{k : j still in the set at draw k} exp(s(j)/τ) / Z_k ) / τ
import Foundation

/// Plackett–Luce sampling and log-probabilities over candidate subsets of a score vector.
public enum PlackettLuce {
    /// An ordered draw of `count` distinct `candidates` among those scoring `floor` or more (at least `count`
    /// of them; −∞: every candidate): the largest of score/τ + g, g = −log(−log u) Gumbel noise, eight
    /// candidates at a time. Every candidate takes its uniform, drawn or not, so a floor changes no other key.
    public static func sample(scores: [Float], candidates: [Int], count: Int, temperature: Float, floor: Float = -.infinity,
                              rng: inout RandomGenerator) -> [Int] {
        precondition(count <= candidates.count, "PlackettLuce.sample: \(count) of \(candidates.count) candidates")
        let n = candidates.count, inverse = 1 / temperature
        // First the uniforms in (0, 1) and the scores, one candidate at a time (the padding stays finite),
        // then the keys, eight lanes at a time.
        let padded = (n + 7) / 8 * 8
        var keys = [Float](repeating: 0.5, count: padded), picked = [Float](repeating: -.infinity, count: padded)
        keys.withUnsafeMutableBufferPointer { keys in
            picked.withUnsafeMutableBufferPointer { picked in
                scores.withUnsafeBufferPointer { scores in
                    candidates.withUnsafeBufferPointer { candidates in
                        for j in 0..<n {
                            keys[j] = (Float(rng.next() >> 40) + 0.5) * 0x1p-24
                            picked[j] = scores[candidates[j]]
                        }
                    }
                }
                // Two passes, one logarithm each: with both in one loop the compiler turned part of them into
                // scalar code (a quarter slower in all).
                let (key, score) = (UnsafeMutableRawPointer(keys.baseAddress!), UnsafeRawPointer(picked.baseAddress!))
                let (bytes, step) = (padded * MemoryLayout<Float>.size, MemoryLayout<FastMath.Lanes>.size)
                for at in stride(from: 0, to: bytes, by: step) {  // e = −log u: exponential
                    let u = key.loadUnaligned(fromByteOffset: at, as: FastMath.Lanes.self)
                    key.storeBytes(of: -FastMath.log(u), toByteOffset: at, as: FastMath.Lanes.self)
                }
                for at in stride(from: 0, to: bytes, by: step) {  // −log e + s/τ: Gumbel plus score, above the floor
                    let (e, s) = (key.loadUnaligned(fromByteOffset: at, as: FastMath.Lanes.self), score.loadUnaligned(fromByteOffset: at, as: FastMath.Lanes.self))
                    let gumbel = -FastMath.log(e) + s * inverse
                    key.storeBytes(of: gumbel.replacing(with: -.infinity, where: .!(s .>= floor)), toByteOffset: at, as: FastMath.Lanes.self)
                }
            }
        }
        keys.removeLast(keys.count - n)
        return largest(count, of: keys).map { candidates[$0] }
    }

    /// The lowest score of the nucleus of softmax(score/τ) over `candidates` (Holtzman et al.'s top-p, applied to
    /// a pool): the candidates scoring at least it are the fewest highest-scoring ones whose probabilities sum to
    /// `mass` or more (with any tied at it), and never fewer than `minimum`. A draw above it (`sample`'s `floor`)
    /// leaves out the long tail of low scores that together would take the last 1 − `mass` of the picks; −∞ for
    /// `mass` 1. Linear in the candidates, not a sort, since a policy in use pays it at every step: the softmax
    /// mass is binned by score, and only the bin where it reaches `mass` is sorted.
    public static func nucleusFloor(scores: [Float], candidates: [Int], mass: Double, temperature: Float, minimum: Int) -> Float {
        guard mass < 1, minimum < candidates.count else { return -.infinity }
        let n = candidates.count, padded = (n + 7) / 8 * 8, inverse = 1 / temperature
        // s/τ, exp((s − max)/τ) and the bin of each candidate (0: the highest scores), padded to whole lanes.
        var scaled = [Float](repeating: 0, count: padded), weights = [Float](repeating: 0, count: padded)
        var bins = [Int32](repeating: 0, count: padded)
        var (binMass, binSize) = ([Double](repeating: 0, count: 256), [Int](repeating: 0, count: 256))
        var (high, low) = (-Float.infinity, Float.infinity)
        scaled.withUnsafeMutableBufferPointer { s in
            for j in 0..<n { s[j] = scores[candidates[j]] * inverse }
            (high, low) = (FastMath.maximum(s.baseAddress!, count: n), FastMath.minimum(s.baseAddress!, count: n))
        }
        guard high > low else { return scores[candidates[0]] }  // all tied: all in
        let range = high - low
        scaled.withUnsafeBytes { s in
            weights.withUnsafeMutableBytes { w in
                bins.withUnsafeMutableBytes { b in
                    for at in stride(from: 0, to: padded * MemoryLayout<Float>.size, by: MemoryLayout<FastMath.Lanes>.size) {
                        let x = s.loadUnaligned(fromByteOffset: at, as: FastMath.Lanes.self)
                        w.storeBytes(of: FastMath.exp(x - high), toByteOffset: at, as: FastMath.Lanes.self)
                        let position = (high - x) / range * 256  // in [0, 256]
                        let bin = position.replacing(with: 255, where: .!(position .< 255)).rounded(.down)  // (and 255 for a NaN)
                        b.storeBytes(of: unsafeBitCast(bin + 0x1p23, to: SIMD8<Int32>.self) & 0xff, toByteOffset: at, as: SIMD8<Int32>.self)
                    }
                }
            }
        }
        weights.withUnsafeBufferPointer { w in
            bins.withUnsafeBufferPointer { bins in
                binMass.withUnsafeMutableBufferPointer { binMass in
                    binSize.withUnsafeMutableBufferPointer { binSize in
                        for j in 0..<n {
                            let bin = Int(bins[j])
                            binMass[bin] += Double(w[j])
                            binSize[bin] += 1
                        }
                    }
                }
            }
        }
        let wanted = mass * binMass.reduce(0, +)
        var (bin, before, above) = (0, 0.0, 0)  // the mass and number of candidates in the bins above `bin`
        while bin < 255 && before + binMass[bin] < wanted { (before, above, bin) = (before + binMass[bin], above + binSize[bin], bin + 1) }
        var members = [Int]()
        members.reserveCapacity(binSize[bin])
        bins.withUnsafeBufferPointer { bins in
            for j in 0..<n where bins[j] == Int32(bin) { members.append(j) }
        }
        members.sort { scaled[$0] > scaled[$1] }
        var (floor, sum) = (members.last!, before)
        for j in members {
            sum += Double(weights[j])
            if sum >= wanted { floor = j; break }
        }
        let kept = above + members.filter { scaled[$0] >= scaled[floor] }.count
        return scores[candidates[kept >= minimum ? floor : largest(minimum, of: Array(scaled[..<n])).last!]]
    }

    /// The `count` highest-scoring candidates, best first (ties: earlier candidate first).
    public static func top(scores: [Float], candidates: [Int], count: Int) -> [Int] {
        largest(count, of: candidates.map { scores[$0] }).map { candidates[$0] }
    }

    /// Positions of the `count` largest keys, largest first (ties: lower position first): one pass
    /// keeping a short sorted list, cheaper than sorting a large pool for a small batch. Once the list is
    /// full, keys are compared with its last eight at a time, and only a group holding a larger one (or a
    /// NaN) is looked at key by key.
    static func largest(_ count: Int, of keys: [Float]) -> [Int] {
        guard count > 0 else { return [] }
        return keys.withUnsafeBufferPointer { keys in
            var best = [Int]()
            best.reserveCapacity(count + 1)
            var i = 0
            while i < keys.count && best.count < count { keep(i, of: keys, in: &best, count: count); i += 1 }
            guard best.count == count else { return best }
            let width = FastMath.Lanes.scalarCount
            var last = FastMath.Lanes(repeating: keys[best[count - 1]])
            while i + width <= keys.count {
                let group = UnsafeRawPointer(keys.baseAddress! + i).loadUnaligned(as: FastMath.Lanes.self)
                if any(.!(group .<= last)) {
                    for j in i..<i + width { keep(j, of: keys, in: &best, count: count) }
                    last = FastMath.Lanes(repeating: keys[best[count - 1]])
                }
                i += width
            }
            while i < keys.count { keep(i, of: keys, in: &best, count: count); i += 1 }
            return best
        }
    }

    /// Puts position `i` into `best`, the positions of the largest keys so far (largest first, at most
    /// `count`), unless the list is full and its key is not larger than the last one's.
    @inline(__always)
    private static func keep(_ i: Int, of keys: UnsafeBufferPointer<Float>, in best: inout [Int], count: Int) {
        if best.count == count, keys[i] <= keys[best[count - 1]] { return }
        var at = best.count
        while at > 0 && keys[best[at - 1]] < keys[i] { at -= 1 }
        best.insert(i, at: at)
        if best.count > count { best.removeLast() }
    }

    /// log P of the ordered draw `chosen` from `candidates`, and its gradient with respect to the score
    /// of each candidate (aligned with `candidates`).
    public static func logProbability(scores: [Float], candidates: [Int], chosen: [Int],
                                      temperature: Float) -> (value: Double, gradient: [Float]) {
        let draw = PlackettLuceDraw(scores: scores, candidates: candidates, chosen: chosen, temperature: temperature)
        return (draw.logProbabilities.reduce(0, +), draw.gradient(weights: Array(repeating: 1, count: chosen.count)))
    }

    /// The entropy of the first draw's softmax over `candidates`, and its gradient (aligned with
    /// `candidates`): the exploration bonus of PPO.
    public static func entropy(scores: [Float], candidates: [Int], temperature: Float) -> (value: Double, gradient: [Float]) {
        let tau = Double(temperature)
        let shift = candidates.map { Double(scores[$0]) }.max() ?? 0
        let weights = candidates.map { exp((Double(scores[$0]) - shift) / tau) }
        let z = weights.reduce(0, +)
        let logProbabilities = weights.map { log($0 / z) }
        let h = -zip(weights, logProbabilities).reduce(0) { $0 + $1.0 / z * $1.1 }
        let gradient = zip(weights, logProbabilities).map { Float(-($0 / z) * ($1 + h) / tau) }
        return (h, gradient)
    }
}

/// One ordered draw c_1..c_b under Plackett–Luce: the log-probability of each draw given the ones
/// before it, log p_k = s(c_k)/τ − log Z_k, and the gradient of any weighted sum of them.
public struct PlackettLuceDraw {
    /// log p_k of each draw, in order; their sum is log P of the whole draw.
    public let logProbabilities: [Double]
    private let chosenPositions: [Int]
    private let weights: [Double]
    private let inverseZ: [Double]
    private let temperature: Double

    /// The draw `chosen` (distinct members of `candidates`) under softmax(scores/τ).
    public init(scores: [Float], candidates: [Int], chosen: [Int], temperature: Float) {
        let tau = Double(temperature)
        let shift = candidates.map { Double(scores[$0]) }.max() ?? 0
        let weights = candidates.map { exp((Double(scores[$0]) - shift) / tau) }
        let position = Dictionary(uniqueKeysWithValues: candidates.enumerated().map { ($1, $0) })
        let chosenPositions = chosen.map { position[$0]! }
        var remaining = weights.reduce(0, +)
        var logProbabilities = [Double](), inverseZ = [Double]()
        for (k, p) in chosenPositions.enumerated() {
            logProbabilities.append(log(weights[p]) - log(remaining))
            inverseZ.append(1 / remaining)
            remaining -= weights[p]
            if remaining < 1e-12 * (weights.max() ?? 1) {  // cancellation: sum what is left afresh
                let drawn = Set(chosenPositions.prefix(k + 1))
                remaining = weights.indices.filter { !drawn.contains($0) }.reduce(0) { $0 + weights[$1] }
            }
        }
        (self.logProbabilities, self.inverseZ) = (logProbabilities, inverseZ)
        (self.chosenPositions, self.weights, self.temperature) = (chosenPositions, weights, tau)
    }

    /// ∂(Σ_k w_k log p_k)/∂s(j) for each candidate j (aligned with the candidates):
    /// ( Σ_k w_k [j = c_k]  −  e(j) Σ_{k : j still in the set at draw k} w_k / Z_k ) / τ.
    public func gradient(weights drawWeights: [Double]) -> [Float] {
        let perZ = zip(drawWeights, inverseZ).map { $0 * $1 }
        let total = perZ.reduce(0, +)
        var gradient = weights.map { Float(-$0 * total / temperature) }  // never drawn: in the set at every draw
        var cumulative = 0.0
        for (k, p) in chosenPositions.enumerated() {
            cumulative += perZ[k]
            gradient[p] = Float((drawWeights[k] - weights[p] * cumulative) / temperature)  // in the set for draws 1…k
        }
        return gradient
    }
}
