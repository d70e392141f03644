// Features: the plugin library of the feature extractors — lengths, losses and perplexity, IFD, PCA-
// reduced embeddings and k-means clusters, and the target-aware similarity to the target, LESS
// gradient alignment, DSIR importance weights and CoLoR-Filter's loss reduction. This file is its C
// entry point and factory list.
import RaiseKit

/// Exported for the host: the ABI version this library was built against.
@_cdecl("raise_plugin_abi_version")
public func raisePluginABIVersion() -> UInt32 { PluginABI.version }

/// Exported for the host: the +1-retained entry object.
@_cdecl("raise_plugin_entry")
public func raisePluginEntry() -> UnsafeMutableRawPointer { PluginABI.export(FeaturesPlugin()) }

final class FeaturesPlugin: RaisePlugin {
    func register(into registrar: PluginRegistrar) throws {
        try registrar.add(PluginFactory(id: FeatureSpec.length, kind: .feature, version: "1.0.0",
                                        summary: "prompt and response lengths in tokens", create: { _ in LengthFeature() }))
        try registrar.add(PluginFactory(id: FeatureSpec.loss, kind: .feature, version: "1.0.0",
                                        summary: "mean answer loss and perplexity under a model", create: { _ in LossFeature() }))
        try registrar.add(PluginFactory(
            id: FeatureSpec.ifd, kind: .feature, version: "1.1.0",
            summary: "instruction-following difficulty s(A|Q)/s(A) (Cherry LLM), or its perplexity ratio (Superfiltering)",
            parameters: [PluginParameter("variant", .choice(["loss", "perplexity"]), default: "loss", "loss ratio or perplexity ratio"),
                         PluginParameter("experience", .integer(0...4096), default: "0",
                                         "clusters of Cherry's pre-experienced step (0: off); the model is restored afterwards"),
                         PluginParameter("per_cluster", .integer(1...10_000), default: "10", "examples per cluster in that step")],
            create: { IFDFeature(variant: InstructionFollowingDifficulty.Variant(rawValue: $0.text("variant"))!, experience: $0.integer("experience"),
                                 perCluster: $0.integer("per_cluster"), seed: $0.seed) }))
        try registrar.add(PluginFactory(
            id: FeatureSpec.embedding, kind: .feature, version: "1.1.0",
            summary: "mean-pooled last hidden states of a model, reduced by PCA",
            parameters: [PluginParameter("dims", .integer(1...1024), default: "32", "PCA dimensions")],
            create: { EmbeddingFeature(dimensions: $0.integer("dims")) }))
        try registrar.add(PluginFactory(
            id: FeatureSpec.cluster, kind: .feature, version: "1.1.0",
            summary: "k-means cluster of each example's PCA-reduced embedding (k-means++, seeded)",
            parameters: [PluginParameter("clusters", .integer(1...4096), default: "8", "k"),
                         PluginParameter("dims", .integer(1...1024), default: "32", "PCA dimensions before clustering")],
            create: { ClusterFeature(clusters: $0.integer("clusters"), dimensions: $0.integer("dims"), seed: $0.seed) }))
        try registrar.add(PluginFactory(
            id: FeatureSpec.targetSimilarity, kind: .feature, version: "1.1.0",
            summary: "cosine similarity of each embedding to the target's validation split (needs --val)",
            parameters: TargetFeatureParameters.similarity,
            create: { arguments in
                try TargetFeatureParameters.checkSimilarity(arguments)
                return TargetSimilarityFeature(dimensions: arguments.integer("dims"), neighbours: arguments.text("reduce") == "knn" ? arguments.integer("k") : 0,
                                               whitens: arguments.boolean("whiten"))
            }))
        try registrar.add(PluginFactory(
            id: FeatureSpec.gradient, kind: .feature, version: "1.0.0",
            summary: "LESS: cosine similarity of each training gradient to the validation gradients (needs --val)",
            parameters: TargetFeatureParameters.gradient,
            create: { GradientFeature(warmup: $0.number("warmup"), epochs: $0.integer("epochs"), learningRate: Float($0.number("lr")),
                                      dimensions: $0.integer("dims"), adam: $0.boolean("adam"), takesMaximum: $0.text("reduce") == "max",
                                      seed: $0.seed) }))
        try registrar.add(PluginFactory(
            id: FeatureSpec.dsir, kind: .feature, version: "1.0.0",
            summary: "DSIR: log importance weight of each example's hashed n-grams, target split against pool (needs --val)",
            parameters: TargetFeatureParameters.dsir,
            create: { DSIRFeature(buckets: $0.integer("buckets"), order: $0.integer("ngrams"), smoothing: $0.number("smoothing"),
                                  normalisesLength: $0.text("length") == "normalised") }))
        try registrar.add(PluginFactory(
            id: FeatureSpec.lossReduction, kind: .feature, version: "1.0.0",
            summary: "CoLoR-Filter: how much each answer loss falls under a copy fine-tuned on the target's validation split (needs --val)",
            parameters: TargetFeatureParameters.lossReduction,
            create: { LossReductionFeature(epochs: $0.integer("epochs"), learningRate: Float($0.number("lr"))) }))
    }
}

/// The model a feature needs, or an error naming the feature.
func requireModel(_ model: (any LanguageModel)?, for feature: String) throws -> any LanguageModel {
    guard let model else { throw RaiseError.invalidArgument(name: feature, detail: "needs a model (--model or --aux-model)") }
    return model
}
