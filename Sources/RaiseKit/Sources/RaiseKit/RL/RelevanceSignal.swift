// RelevanceSignal: which target-aware score leads RAISE's relevance group — its first column, the one the
// relevance prior ranks the pool by (RelevancePrior). Which one serves a target best depends on the target
// (docs/SELECTORS.md: none was best on every target measured), so a benchmark can train a policy on each and
// compare them on the validation split.

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

    /// The feature specs that compute it, in a PCA space of `semanticDimensions` where it uses one.
    public func featureSpecs(semanticDimensions: Int) -> [String] {
        let similarity = FeatureSpec.targetSimilarity + ":dims=\(semanticDimensions)"
        switch self {
        case .similarity: return [similarity]
        case .whitened: return [similarity + ",whiten=true"]
        case .dsir: return [FeatureSpec.dsir]
        case .blend: return [similarity, FeatureSpec.dsir]
        }
    }

    /// The feature columns it is made of.
    public var columns: [String] {
        switch self {
        case .similarity, .whitened: return [FeatureColumn.targetSimilarity]
        case .dsir: return [FeatureColumn.dsirLogWeight]
        case .blend: return [FeatureColumn.targetSimilarity, FeatureColumn.dsirLogWeight]
        }
    }

    /// The signal of each of `count` records: its one column, or the mean of its columns standardised over
    /// the pool.
    ///
    /// - Throws: what `column` throws for a missing column.
    public func values(count: Int, column: (String) throws -> [Float]) throws -> [Float] {
        let parts = try columns.map(column)
        guard parts.count > 1 else { return parts[0] }
        let standardised = PoolFeatures.standardised(parts, count: count)
        return (0..<count).map { i in (0..<parts.count).reduce(0) { $0 + standardised[i, $1] } / Float(parts.count) }
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
