// The feature extractors: each turns the pool's tokenized examples (and, for most, a model) into named
// columns, one row per example in input order.
import Foundation
import RaiseKit

/// feature.length: prompt and response token counts.
final class LengthFeature: FeatureExtractor {
    let featureNames = ["prompt_tokens", "response_tokens"]
    let isRowwise = true

    func extract(_ examples: [TokenizedExample], model: (any LanguageModel)?) throws -> Tensor {
        let out = Tensor(zeros: [examples.count, 2])
        for (i, example) in examples.enumerated() {
            out[i, 1] = Float(example.answerTokenCount)
            out[i, 0] = Float(example.ids.count - example.answerTokenCount)
        }
        return out
    }
}

/// feature.loss: the mean answer loss and its perplexity.
final class LossFeature: FeatureExtractor {
    let featureNames = ["loss", "perplexity"]
    let isRowwise = true

    func extract(_ examples: [TokenizedExample], model: (any LanguageModel)?) throws -> Tensor {
        let losses = try requireModel(model, for: "feature.loss").exampleLosses(examples)
        let out = Tensor(zeros: [examples.count, 2])
        for (i, loss) in losses.enumerated() {
            out[i, 0] = loss
            out[i, 1] = Float(exp(Double(loss)))
        }
        return out
    }
}

/// feature.ifd: conditional and unconditional answer losses and their IFD.
final class IFDFeature: FeatureExtractor {
    let featureNames = ["loss_conditional", "loss_unconditional", "ifd"]
    let isRowwise = true
    let variant: InstructionFollowingDifficulty.Variant

    init(variant: InstructionFollowingDifficulty.Variant) { self.variant = variant }

    func extract(_ examples: [TokenizedExample], model: (any LanguageModel)?) throws -> Tensor {
        let model = try requireModel(model, for: "feature.ifd")
        let conditional = try model.exampleLosses(examples)
        let bos = model.tokenizer.specialTokens.bos
        let unconditional = try model.exampleLosses(examples.map { InstructionFollowingDifficulty.responseOnly($0, bos: bos) })
        let ifd = InstructionFollowingDifficulty.scores(conditional: conditional, unconditional: unconditional, variant: variant)
        let out = Tensor(zeros: [examples.count, 3])
        for i in 0..<examples.count { (out[i, 0], out[i, 1], out[i, 2]) = (conditional[i], unconditional[i], ifd[i]) }
        return out
    }
}

/// feature.embedding: mean-pooled hidden states, reduced by PCA to `dimensions`.
final class EmbeddingFeature: FeatureExtractor {
    let dimensions: Int
    let seed: UInt64
    var featureNames: [String] { (0..<dimensions).map { "embedding_\($0)" } }

    init(dimensions: Int, seed: UInt64) {
        self.dimensions = dimensions
        self.seed = seed
    }

    func extract(_ examples: [TokenizedExample], model: (any LanguageModel)?) throws -> Tensor {
        let embeddings = try requireModel(model, for: "feature.embedding").embeddings(examples)
        guard dimensions <= embeddings.shape[1] else {
            throw RaiseError.invalidArgument(name: "feature.embedding", detail: "parameter 'dims' = \(dimensions) exceeds the model width \(embeddings.shape[1])")
        }
        return try PCA(fitting: embeddings, components: dimensions, seed: seed).transform(embeddings)
    }
}

/// feature.cluster: the k-means cluster of each PCA-reduced embedding.
final class ClusterFeature: FeatureExtractor {
    let clusters: Int
    let embedding: EmbeddingFeature
    let featureNames = ["cluster"]

    init(clusters: Int, dimensions: Int, seed: UInt64) {
        self.clusters = clusters
        embedding = EmbeddingFeature(dimensions: dimensions, seed: seed)
    }

    func extract(_ examples: [TokenizedExample], model: (any LanguageModel)?) throws -> Tensor {
        let reduced = try embedding.extract(examples, model: model)
        let clustering = try KMeans(reduced, clusters: clusters, seed: embedding.seed)
        return Tensor(shape: [examples.count, 1], values: clustering.assignments.map(Float.init))
    }
}
