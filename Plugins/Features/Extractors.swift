// The feature extractors: each turns the pool's tokenized examples (and, for most, a model) into named
// columns, one row per example in input order.
import Foundation
import RaiseKit

/// feature.length: prompt and response token counts.
final class LengthFeature: FeatureExtractor {
    let featureNames = [FeatureColumn.promptTokens, FeatureColumn.responseTokens]
    let isRowwise = true
    let dependsOnSeed = false

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
    let featureNames = [FeatureColumn.loss, FeatureColumn.perplexity]
    let isRowwise = true
    let dependsOnSeed = false

    func extract(_ examples: [TokenizedExample], model: (any LanguageModel)?) throws -> Tensor {
        let losses = try requireModel(model, for: FeatureSpec.loss).exampleLosses(examples)
        let out = Tensor(zeros: [examples.count, 2])
        for (i, loss) in losses.enumerated() {
            out[i, 0] = loss
            out[i, 1] = Float(exp(Double(loss)))
        }
        return out
    }
}

/// feature.ifd: conditional and unconditional answer losses and their IFD. With `experience` > 0 it first
/// takes Cherry LLM's pre-experienced step: cluster the pool, take `perCluster` examples from the middle
/// of each cluster's perplexity ranking, fine-tune the model on them for one epoch, score, and restore
/// the model's parameters.
final class IFDFeature: FeatureExtractor {
    let featureNames = [FeatureColumn.lossConditional, FeatureColumn.lossUnconditional, FeatureColumn.ifd]
    let isRowwise: Bool
    var dependsOnSeed: Bool { !isRowwise }
    let variant: InstructionFollowingDifficulty.Variant
    let experience: Int
    let perCluster: Int
    let seed: UInt64

    init(variant: InstructionFollowingDifficulty.Variant, experience: Int, perCluster: Int, seed: UInt64) {
        self.variant = variant
        self.experience = experience
        self.perCluster = perCluster
        self.seed = seed
        isRowwise = experience == 0  // the pre-experienced step looks at the whole pool
    }

    func extract(_ examples: [TokenizedExample], model: (any LanguageModel)?) throws -> Tensor {
        let model = try requireModel(model, for: FeatureSpec.ifd)
        let snapshot = experience > 0 ? model.parameters.snapshot() : nil
        defer { if let snapshot { model.parameters.restore(snapshot) } }
        if experience > 0 { try preExperience(examples, model: model) }
        let conditional = try model.exampleLosses(examples)
        let bos = model.tokenizer.specialTokens.bos
        let unconditional = try model.exampleLosses(examples.map { InstructionFollowingDifficulty.responseOnly($0, bos: bos) })
        let ifd = InstructionFollowingDifficulty.scores(conditional: conditional, unconditional: unconditional, variant: variant)
        let out = Tensor(zeros: [examples.count, 3])
        for i in 0..<examples.count { (out[i, 0], out[i, 1], out[i, 2]) = (conditional[i], unconditional[i], ifd[i]) }
        return out
    }

    /// One epoch of fine-tuning on the middle-perplexity examples of each cluster.
    private func preExperience(_ examples: [TokenizedExample], model: any LanguageModel) throws {
        let width = model.embeddingWidth
        let clusters = try ClusterFeature(clusters: min(experience, examples.count), dimensions: min(32, width), seed: seed)
            .extract(examples, model: model).scalars.map { Int($0) }
        let losses = try model.exampleLosses(examples)
        var chosen = [Int]()
        for cluster in Set(clusters).sorted() {
            let members = clusters.indices.filter { clusters[$0] == cluster }.sorted { (losses[$0], $0) < (losses[$1], $1) }
            let start = max(0, (members.count - perCluster) / 2)
            chosen += members[start..<min(members.count, start + perCluster)]
        }
        var settings = TrainerSettings(schedule: .constant(1e-4))
        settings.weightDecay = 0
        let trainer = ModelTrainer(model: model, settings: settings)
        for start in stride(from: 0, to: chosen.count, by: 8) {
            try trainer.step(chosen[start..<min(start + 8, chosen.count)].map { examples[$0] })
        }
    }
}

/// feature.embedding: mean-pooled hidden states, reduced by PCA to `dimensions` (the same for every run seed).
final class EmbeddingFeature: FeatureExtractor {
    let dimensions: Int
    var featureNames: [String] { (0..<dimensions).map(FeatureColumn.embedding) }
    let dependsOnSeed = false

    init(dimensions: Int) { self.dimensions = dimensions }

    func extract(_ examples: [TokenizedExample], model: (any LanguageModel)?) throws -> Tensor {
        let embeddings = try requireModel(model, for: FeatureSpec.embedding).embeddings(examples)
        guard dimensions <= embeddings.shape[1] else {
            throw RaiseError.invalidArgument(name: FeatureSpec.embedding, detail: "parameter 'dims' = \(dimensions) exceeds the model width \(embeddings.shape[1])")
        }
        // The projection depends on the pool alone (a fixed start, signs fixed), so a RAISE policy trained
        // under one run seed reads the same semantic columns under another.
        return try PCA(fitting: embeddings, components: dimensions, seed: 0).transform(embeddings)
    }
}

/// feature.cluster: the k-means cluster of each PCA-reduced embedding.
final class ClusterFeature: FeatureExtractor {
    let clusters: Int
    let embedding: EmbeddingFeature
    let seed: UInt64
    let featureNames = [FeatureColumn.cluster]

    init(clusters: Int, dimensions: Int, seed: UInt64) {
        self.clusters = clusters
        embedding = EmbeddingFeature(dimensions: dimensions)
        self.seed = seed
    }

    func extract(_ examples: [TokenizedExample], model: (any LanguageModel)?) throws -> Tensor {
        let reduced = try embedding.extract(examples, model: model)
        let clustering = try KMeans(reduced, clusters: clusters, seed: seed)
        return Tensor(shape: [examples.count, 1], values: clustering.assignments.map(Float.init))
    }
}
