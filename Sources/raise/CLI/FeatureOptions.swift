// FeatureOptions: the options that name the models features are computed with — `--aux-model` (the
// paper's auxiliary model: losses, IFD, lengths), `--embedding-model` (semantics: embeddings and clusters;
// default the auxiliary model, so MiniLM can give the semantics while an LM gives the losses),
// `--gradient-model` (LESS's gradients; default the auxiliary model, so a small model can give them while a
// large one gives the losses) and `--reference-model` (RHO-LOSS) — and the feature pipeline
// (Features/FeaturePipeline in the core) a command builds from them.
import RaiseKit

/// Feature models and pipelines from the command line.
enum FeatureOptions {
    static let auxModel = Option.value("--aux-model", "SPEC", "the model difficulty features are scored with (default: --model)")
    static let embeddingModel = Option.value("--embedding-model", "SPEC",
                                             "the model semantic features (embedding, cluster, target-similarity) are computed with (default: --aux-model)")
    static let gradientModel = Option.value("--gradient-model", "SPEC",
                                            "the model LESS's per-example gradients (feature gradient) are computed with (default: --aux-model)")
    static let referenceModel = Option.value("--reference-model", "SPEC",
                                             "a model trained on the target validation split (RHO-LOSS's irreducible loss)")
    /// The options `models` reads, for a command's option list: one place, so no command accepts some of them only.
    static let modelOptions = [auxModel, embeddingModel, gradientModel, referenceModel]

    /// The models features use besides `trained`, each made from its option when given.
    static func models(_ arguments: ParsedArguments, registry: PluginRegistry, trained: any LanguageModel, seed: UInt64) throws -> FeaturePipeline.Models {
        func make(_ option: String) throws -> (any LanguageModel)? {
            try arguments.string(option).map { _ in try ModelOptions.make(arguments, option: option, registry: registry, seed: seed) }
        }
        return FeaturePipeline.Models(trained: trained, auxiliary: try make("--aux-model"), embedding: try make("--embedding-model"),
                                      gradient: try make("--gradient-model"), reference: try make("--reference-model"))
    }

    /// `--val` for commands whose only use of a validation split is the target-aware features.
    static let target = Option.values("--val", "FILE", "the target task's validation split (target-aware features: target-similarity, gradient; repeatable: the files make one split)")

    /// The feature pipeline of a command whose trained model is `trained`, its records formatted by `formatter`
    /// (other feature models read them in the same template and system prompt); `target` is the validation split
    /// target-aware features measure the pool against.
    static func pipeline(_ arguments: ParsedArguments, registry: PluginRegistry, trained: any LanguageModel, formatter: PromptFormatter,
                         seed: UInt64, target: Pool?, memory: PassMemory = PassMemory()) throws -> FeaturePipeline {
        FeaturePipeline(registry: registry, models: try models(arguments, registry: registry, trained: trained, seed: seed),
                        template: formatter.template, defaultSystemPrompt: formatter.defaultSystemPrompt, target: target,
                        communicator: Job.communicator, memory: memory, console: Console(mode: arguments.outputMode), seed: seed)
    }

    /// Checks, before any work, that the models `specs` need are named.
    ///
    /// - Throws: `UsageError` naming `--reference-model` when a `reference:` spec has none.
    static func checkModels(for specs: [String], _ arguments: ParsedArguments) throws {
        if specs.contains(where: { $0.hasPrefix(FeaturePipeline.referencePrefix) }), arguments.string("--reference-model") == nil {
            throw UsageError(message: "the selector needs --reference-model SPEC (a model fine-tuned on the target validation split)",
                             usage: arguments.usage)
        }
    }
}
