// The target-aware static selectors: each ranks the pool once by how close an example is to the target
// task's validation split — its embedding (nearest) or its training gradient (LESS) — and takes the top.
// The host computes their feature with the validation split (`--val`); the parameters are the feature's.
import RaiseKit

/// The top of a target-aware feature column: selector.nearest and selector.less.
final class TargetSelector: InstructionSelector {
    /// selector.nearest: the examples whose embeddings are most similar to the validation split.
    static let nearest = PluginFactory(
        id: "selector.nearest", kind: .selector, version: "1.0.0",
        summary: "the examples most similar to the target's validation split in embedding space (chosen once; needs --val)",
        parameters: TargetFeatureParameters.similarity,
        create: { TargetSelector(id: "selector.nearest", column: FeatureColumn.targetSimilarity,
                                 feature: TargetFeatureParameters.featureSpec(FeatureSpec.targetSimilarity, $0)) })

    /// selector.less: LESS — the examples whose (Adam-preconditioned) gradients align best with the
    /// validation gradients after a short warm-up.
    static let less = PluginFactory(
        id: "selector.less", kind: .selector, version: "1.0.0",
        summary: "LESS: the examples whose gradients align best with the target's validation gradients (chosen once; needs --val)",
        parameters: TargetFeatureParameters.gradient,
        create: { TargetSelector(id: "selector.less", column: FeatureColumn.gradientAlignment,
                                 feature: TargetFeatureParameters.featureSpec(FeatureSpec.gradient, $0)) })

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
