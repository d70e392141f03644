// RelevancePrior: where RAISE's initial actor puts its relevance prior, and how high. The prior is a ramp
// over the relevance group's first column z, standardised — the target similarity, or the RelevanceSignal
// chosen instead, called "similarity" here whichever it is — the whole bonus at a threshold t and above,
// none a width w below it: bonus × clamp((z − t)/w + 1, 0, 1) — added to each instruction's initial score
// (SelectionPolicy). Policy training places it with `relevanceEdge`: at the records a static selector would
// take at the budget, or at the edge of a rare target's look-alikes; and raises it with `relevanceBonus`
// where the records it gives nothing would otherwise take more than a set share of the first draws.
import Foundation

extension PoolFeatures {
    /// The standardised target similarity of the `rank`-th most similar instruction (1: the most similar);
    /// nil without the relevance group.
    public func similarity(rank: Int) -> Float? {
        guard let sorted = similaritiesDescending() else { return nil }
        return sorted[min(max(rank, 1), count) - 1]
    }

    /// Where the relevance prior's ramp lies when a static selector would take `subset` instructions: by
    /// default it tops out at the `subset`-th similarity and is one deviation wide. When the ranking has an
    /// edge inside the subset, the ramp moves to it: it tops out at rank r and reaches zero at rank r + r/10.
    /// The edge is the steepest fall of similarity from some rank r (at least `minimumRecords`) to rank
    /// r + r/10, when that fall is both visible — `RelevanceEdge.minimumDrop` deviations or more — and sharp:
    /// `RelevanceEdge.minimumSharpness` times or more the subset's mean fall over as many records, so that a
    /// ranking that falls steeply but evenly has none. A target whose look-alikes are fewer than the subset
    /// (a rare target) then gets the bonus alone, instead of sharing it with the next-most-similar records.
    /// nil without the relevance group.
    public func relevanceEdge(subset: Int, minimumRecords: Int) -> RelevanceEdge? {
        guard let sorted = similaritiesDescending() else { return nil }
        let last = min(max(subset, 1), count)
        let byDefault = RelevanceEdge(threshold: sorted[last - 1], width: 1)
        let first = max(minimumRecords, 1)
        guard first < last else { return byDefault }
        var steepest: (drop: Float, rank: Int, span: Int)?
        for rank in first..<last {
            let below = rank + max(1, rank / 10)
            guard below <= count else { break }
            let drop = sorted[rank - 1] - sorted[below - 1]
            if drop >= steepest?.drop ?? -.infinity { steepest = (drop, rank, below - rank) }
        }
        let meanFall = (sorted[first - 1] - sorted[last - 1]) / Float(last - first)  // per record
        guard let steepest, steepest.drop >= RelevanceEdge.minimumDrop,
              steepest.drop >= RelevanceEdge.minimumSharpness * meanFall * Float(steepest.span) else { return byDefault }
        return RelevanceEdge(threshold: sorted[steepest.rank - 1], width: steepest.drop)
    }

    /// The share of the first draws that `relevanceBonus` leaves, by default, to the instructions the ramp
    /// gives nothing. On the demo's suites (validation loss, docs/SELECTORS.md) a bonus of 5 was as good as 7
    /// on the standard suite, where it leaves its 4,483 records off the ramp 3.2%, and 7 was better on the
    /// rare-target suite, where it leaves its 5,785 records off the edge's ramp 2.6% (5 left them 16%).
    public static let defaultPriorSpill = 0.03

    /// The bonus b at which the instructions the ramp at `edge` gives nothing hold `spill` of softmax(b × ramp)
    /// over the pool: the share of the first draws a policy starting from the prior spends off it (its
    /// other hidden units start random and small). The more records lie off the ramp per record on it,
    /// the higher b: a target that is 3% of the pool gets a stronger start than one that is 15% of it.
    /// 0 when the records off the ramp hold no more than `spill` without a bonus (they are few); at most
    /// `RelevanceEdge.maximumBonus`. nil without the relevance group.
    public func relevanceBonus(edge: RelevanceEdge, spill: Double = PoolFeatures.defaultPriorSpill) -> Float? {
        guard let sorted = similaritiesDescending() else { return nil }
        let ramp = sorted.map { Double(min(max(($0 - edge.threshold) / edge.width + 1, 0), 1)) }
        let off = Double(ramp.filter { $0 == 0 }.count)
        func share(_ bonus: Double) -> Double { off / ramp.reduce(0) { $0 + exp(bonus * $1) } }
        var (low, high) = (0.0, Double(RelevanceEdge.maximumBonus))
        guard share(low) > spill else { return 0 }
        guard share(high) < spill else { return RelevanceEdge.maximumBonus }
        for _ in 0..<60 {  // the share falls as the bonus grows: bisection
            let middle = (low + high) / 2
            if share(middle) > spill { low = middle } else { high = middle }
        }
        return Float((low + high) / 2)
    }

    /// The first column of the relevance group (the standardised relevance signal), most similar first.
    private func similaritiesDescending() -> [Float]? {
        guard let relevance, count > 0 else { return nil }
        let width = relevance.shape[1]
        return (0..<count).map { relevance.data[$0 * width] }.sorted(by: >)
    }
}

/// Where the relevance prior's ramp lies, in standardised target similarity: instructions at `threshold`
/// or above get the whole bonus, those `width` below it none, linearly between.
public struct RelevanceEdge: Equatable, Sendable {
    /// An edge is a fall of at least this many deviations of similarity over a tenth more records…
    public static let minimumDrop: Float = 0.1
    /// …and at least this many times the mean fall over as many records inside the subset.
    public static let minimumSharpness: Float = 4
    /// The highest bonus `PoolFeatures.relevanceBonus` gives.
    public static let maximumBonus: Float = 100
    /// Instructions at this standardised similarity or above get the whole bonus.
    public var threshold: Float
    /// Instructions this far below `threshold` get none of it.
    public var width: Float

    /// An edge at `threshold`, `width` wide.
    public init(threshold: Float, width: Float) { (self.threshold, self.width) = (threshold, width) }
}
