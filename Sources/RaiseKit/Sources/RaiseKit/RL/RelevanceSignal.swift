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

    /// The feature spec that computes it, in a PCA space of `semanticDimensions` where it uses one.
    public func featureSpec(semanticDimensions: Int) -> String {
        switch self {
        case .similarity: return FeatureSpec.targetSimilarity + ":dims=\(semanticDimensions)"
        case .whitened: return FeatureSpec.targetSimilarity + ":dims=\(semanticDimensions),whiten=true"
        case .dsir: return FeatureSpec.dsir
        }
    }

    /// The feature column it is read from.
    public var column: String {
        self == .dsir ? FeatureColumn.dsirLogWeight : FeatureColumn.targetSimilarity
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
