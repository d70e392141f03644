// The target-aware static selectors: each ranks the pool once by how close an example is to the target
// task's validation split — its embedding (nearest), its training gradient (LESS), its n-grams (DSIR) or
// how much its loss falls under a copy of the model fine-tuned on the split (CoLoR-Filter) — and takes
// the top, or (DSIR) resamples by it. The host computes their feature with the validation split
// (`--val`); the parameters are the feature's.
import RaiseKit

/// The top of a target-aware feature column: selector.nearest, selector.less and selector.color-filter.
final class TargetSelector: InstructionSelector {
    /// selector.nearest: the examples whose embeddings are most similar to the validation split.
    static let nearest = PluginFactory(
        id: "selector.nearest", kind: .selector, version: "1.0.0",
        summary: "the examples most similar to the target's validation split in embedding space (chosen once; needs --val)",
        parameters: TargetFeatureParameters.similarity,
        create: { arguments in
            try TargetFeatureParameters.checkSimilarity(arguments)
            return TargetSelector(id: "selector.nearest", column: FeatureColumn.targetSimilarity,
                                  feature: TargetFeatureParameters.featureSpec(FeatureSpec.targetSimilarity, arguments))
        })

    /// selector.less: LESS — the examples whose (Adam-preconditioned) gradients align best with the
    /// validation gradients after a short warm-up.
    static let less = PluginFactory(
        id: "selector.less", kind: .selector, version: "1.0.0",
        summary: "LESS: the examples whose gradients align best with the target's validation gradients (chosen once; needs --val)",
        parameters: TargetFeatureParameters.gradient,
        create: { TargetSelector(id: "selector.less", column: FeatureColumn.gradientAlignment,
                                 feature: TargetFeatureParameters.featureSpec(FeatureSpec.gradient, $0)) })

    /// selector.color-filter: CoLoR-Filter — the examples whose answer loss falls most under a copy of the
    /// model fine-tuned on the validation split.
    static let colorFilter = PluginFactory(
        id: "selector.color-filter", kind: .selector, version: "1.0.0",
        summary: "CoLoR-Filter: the examples whose loss falls most under a copy fine-tuned on the target's validation split (chosen once; needs --val)",
        parameters: TargetFeatureParameters.lossReduction,
        create: { TargetSelector(id: "selector.color-filter", column: FeatureColumn.lossReduction,
                                 feature: TargetFeatureParameters.featureSpec(FeatureSpec.lossReduction, $0)) })

    let mode = SelectionMode.once
    let id: String
    let column: String
    let requiredFeatures: [String]

    init(id: String, column: String, feature: String) {
        (self.id, self.column) = (id, column)
        requiredFeatures = [feature]
    }

    func select(_ request: SelectionRequest) throws -> [Int] {
        Array(ranked(try self.column(column, of: request, selector: id)).prefix(request.count))
    }
}

/// selector.dsir: DSIR — importance resampling by the n-gram log importance weights: `count` distinct
/// examples drawn without replacement with probabilities proportional to their weights (Gumbel-top-k on
/// the log weights, seeded by the run), or the top of them (`sampling=top`).
final class DSIRSelector: InstructionSelector {
    static let factory = PluginFactory(
        id: "selector.dsir", kind: .selector, version: "1.0.0",
        summary: "DSIR: importance resampling by hashed n-gram weights, target split against pool (chosen once; needs --val)",
        parameters: TargetFeatureParameters.dsir
            + [PluginParameter("sampling", .choice(["resample", "top"]), default: "resample",
                               "draw without replacement in proportion to the weights (the paper's), or take the top")],
        create: { DSIRSelector(feature: TargetFeatureParameters.featureSpec(FeatureSpec.dsir, $0, parameters: TargetFeatureParameters.dsir),
                               resamples: $0.text("sampling") == "resample", seed: $0.seed) })

    let mode = SelectionMode.once
    let requiredFeatures: [String]
    let resamples: Bool
    let seed: UInt64

    init(feature: String, resamples: Bool, seed: UInt64) {
        requiredFeatures = [feature]
        (self.resamples, self.seed) = (resamples, seed)
    }

    func select(_ request: SelectionRequest) throws -> [Int] {
        let weights = try column(FeatureColumn.dsirLogWeight, of: request, selector: "selector.dsir")
        guard resamples else { return Array(ranked(weights).prefix(request.count)) }
        var rng = RandomGenerator(seed: seed ^ 0x4453_4952)  // "DSIR"
        return PlackettLuce.sample(scores: weights, candidates: Array(weights.indices), count: min(request.count, weights.count),
                                   temperature: 1, rng: &rng)
    }
}
