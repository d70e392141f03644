// RelevanceSignal: which target-aware score leads RAISE's relevance group — its first column, the one the
// relevance prior ranks the pool by (RelevancePrior). Which one serves a target best depends on the target
// (docs/SELECTORS.md: none was best on every target measured), so a benchmark can train a policy on each and
// compare them on the validation split.

import Foundation

/// The score the relevance group leads with.
public enum RelevanceSignal: String, CaseIterable, Sendable {
    /// Cosine similarity to the validation split's centroid, in the semantics' PCA space (the default).
    case similarity
    /// The same with every PCA direction scaled to unit variance over the pool (`whiten=true`).
    case whitened
    /// DSIR's log importance weight: the record's hashed n-grams, target against pool (`feature.dsir`).
    case dsir
    /// The mean of the standardised similarity and the standardised DSIR weight: what a record means and
    /// the words it uses, each counted once.
    case blend
    /// The mean of DSIR's weight and CoLoR-Filter's loss reduction (how much the record's answer loss falls
    /// under a copy of the auxiliary model fine-tuned on the validation split, `feature.loss-reduction`), each
    /// standardised: two estimates of how much likelier the record is under the target than under the pool,
    /// by n-gram counts and by a model. The loss reduction enters by its normal scores — its rank, as a
    /// quantile of the standard normal — because its top is a long tail of the shortest answers, whose mean
    /// loss swings most, and would otherwise decide the mean; DSIR's weight, a log-likelihood ratio, keeps its
    /// values, so that the gap after a rare target's look-alikes stays an edge the prior can find.
    case likelihood

    /// The feature specs that compute it, in a PCA space of `semanticDimensions` where it uses one.
    public func featureSpecs(semanticDimensions: Int) -> [String] {
        let similarity = FeatureSpec.targetSimilarity + ":dims=\(semanticDimensions)"
        switch self {
        case .similarity: return [similarity]
        case .whitened: return [similarity + ",whiten=true"]
        case .dsir: return [FeatureSpec.dsir]
        case .blend: return [similarity, FeatureSpec.dsir]
        case .likelihood: return [FeatureSpec.dsir, FeatureSpec.lossReduction]
        }
    }

    /// The feature columns it is made of.
    public var columns: [String] {
        switch self {
        case .similarity, .whitened: return [FeatureColumn.targetSimilarity]
        case .dsir: return [FeatureColumn.dsirLogWeight]
        case .blend: return [FeatureColumn.targetSimilarity, FeatureColumn.dsirLogWeight]
        case .likelihood: return [FeatureColumn.dsirLogWeight, FeatureColumn.lossReduction]
        }
    }

    /// The signal of each of `count` records: its one column, or the mean of its columns standardised over
    /// the pool (`likelihood`: the loss reduction's normal scores in place of its values).
    ///
    /// - Throws: what `column` throws for a missing column.
    public func values(count: Int, column: (String) throws -> [Float]) throws -> [Float] {
        var parts = try columns.map(column)
        guard parts.count > 1 else { return parts[0] }
        if self == .likelihood, let loss = columns.firstIndex(of: FeatureColumn.lossReduction) { parts[loss] = RelevanceSignal.normalScores(parts[loss]) }
        let standardised = PoolFeatures.standardised(parts, count: count)
        return (0..<count).map { i in (0..<parts.count).reduce(0) { $0 + standardised[i, $1] } / Float(parts.count) }
    }

    /// Each value's normal score: Φ⁻¹((r + ½) / n) for its rank r of n from 0 for the lowest, so that the
    /// scores follow the standard normal whatever the values' tails; ties share their mean rank.
    public static func normalScores(_ values: [Float]) -> [Float] {
        Ranks.average(values).map { Float(standardNormalQuantile(($0 + 0.5) / Double(values.count))) }
    }

    /// Φ⁻¹(p) for 0 < p < 1, by bisection on Φ(x) = erfc(−x/√2) / 2 (to well below Float's precision).
    static func standardNormalQuantile(_ p: Double) -> Double {
        var (low, high) = (-40.0, 40.0)
        for _ in 0..<80 {
            let middle = (low + high) / 2
            if erfc(-middle / 2.0.squareRoot()) / 2 < p { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }

    /// Parses a signal's name.
    ///
    /// - Throws: `RaiseError.invalidArgument` naming `option` and the known names.
    public static func parse(_ text: String, option: String) throws -> RelevanceSignal {
        guard let signal = RelevanceSignal(rawValue: text) else {
            throw RaiseError.invalidArgument(name: option, detail: "unknown relevance signal '\(text)'; known: "
                                             + allCases.map(\.rawValue).joined(separator: ", "))
        }
        return signal
    }
}
