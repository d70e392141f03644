// The target-aware feature extractors: each measures every pool example against the target task's
// validation split — by where its embedding lies (feature.target-similarity), by where its training
// gradient points (feature.gradient, LESS), by how much likelier its n-grams are in the split than in
// the pool (feature.dsir) or by how much its loss falls when a copy of the model learns the split
// (feature.loss-reduction, CoLoR-Filter). Each looks at the whole pool and the whole split at once.
import Foundation
import RaiseKit

/// feature.target-similarity: the cosine similarity of each example's embedding to the validation split —
/// to its centroid, or the mean over its `neighbours` most similar validation examples. Embeddings are
/// centred on the pool's mean (mean-pooled hidden states share one large common direction, which would
/// make every cosine close to 1) and, with `dimensions` > 0, reduced by the pool's PCA first (to at most
/// the model's width); with `whitens`, each PCA direction is then scaled to unit variance over the pool,
/// so that the few directions along which the pool varies most do not decide every cosine.
final class TargetSimilarityFeature: TargetFeatureExtractor {
    let featureNames = [FeatureColumn.targetSimilarity]
    let dependsOnSeed = false
    /// PCA dimensions (0: the model's whole width, centred).
    let dimensions: Int
    /// Validation examples each pool example is compared with (0: the centroid).
    let neighbours: Int
    /// Whether the PCA directions are scaled to unit variance over the pool.
    let whitens: Bool

    init(dimensions: Int, neighbours: Int, whitens: Bool) {
        (self.dimensions, self.neighbours, self.whitens) = (dimensions, neighbours, whitens)
    }

    /// One embedding pass over the pool and the split, not row by row: the journal is not used.
    func extract(_ examples: [TokenizedExample], target: [TokenizedExample], model: (any LanguageModel)?,
                 journal: RowJournal?) throws -> Tensor {
        let model = try requireModel(model, for: FeatureSpec.targetSimilarity)
        let pool = try model.embeddings(examples), validation = try model.embeddings(target)  // (N, C), (M, C)
        var p: Tensor, v: Tensor  // (N, S), (M, S)
        if dimensions > 0 {
            let pca = try PCA(fitting: pool, components: min(dimensions, pool.shape[1]), seed: 0)
            (p, v) = (pca.transform(pool), pca.transform(validation))
            if whitens {
                let scales = pca.variances.map { $0 > 0 ? 1 / $0.squareRoot() : 0 }
                (p, v) = (p.scalingColumns(by: scales), v.scalingColumns(by: scales))
            }
        } else {
            let mean = pool.columnMeans()
            (p, v) = (pool.centred(on: mean), validation.centred(on: mean))
        }
        let unitPool = p.unitRows()
        let (n, m) = (examples.count, target.count)
        guard neighbours > 0 else {
            let centroid = Tensor(shape: [1, v.shape[1]], values: v.columnMeans()).unitRows()  // (1, S)
            return unitPool.matmul(centroid, transposeB: true)  // (N, 1)
        }
        let similarities = unitPool.matmul(v.unitRows(), transposeB: true)  // (N, M)
        let k = min(neighbours, m)
        let out = Tensor(zeros: [n, 1])
        for i in 0..<n {
            let nearest = (0..<m).map { similarities.data[i * m + $0] }.sorted(by: >).prefix(k)
            out.data[i] = nearest.reduce(0, +) / Float(k)
        }
        return out
    }
}

/// feature.gradient: LESS (Xia et al., ICML 2024). A copy of the model is warmed up on a random `warmup`
/// share of the pool for `epochs` epochs; then each pool and validation example's gradient of its mean
/// answer loss — over every parameter — is taken alone, projected by a seeded count sketch to `dimensions`
/// numbers and scaled to unit length. A pool example's gradient is first turned into the Adam update the
/// warm-up's optimizer would make of it (`adam`, as the paper does for training examples). Its score is
/// the cosine similarity to the validation gradients: their mean, or the largest (`reduce`). The model's
/// parameters are restored afterwards. Cost: one forward and backward pass per example, plus O(P) for the
/// sketch; docs/SELECTORS.md says why every parameter.
final class GradientFeature: TargetFeatureExtractor {
    let featureNames = [FeatureColumn.gradientAlignment]
    /// Share of the pool the warm-up trains on (0: no warm-up).
    let warmup: Double
    let epochs: Int
    let learningRate: Float
    let sketch: CountSketch
    let adam: Bool
    /// Whether a score is the largest similarity to one validation gradient rather than to their mean.
    let takesMaximum: Bool
    let seed: UInt64

    /// Examples per warm-up step.
    static let warmupBatch = 16

    init(warmup: Double, epochs: Int, learningRate: Float, dimensions: Int, adam: Bool, takesMaximum: Bool, seed: UInt64) {
        (self.warmup, self.epochs, self.learningRate, self.adam, self.takesMaximum, self.seed) = (warmup, epochs, learningRate, adam, takesMaximum, seed)
        sketch = CountSketch(dimensions: dimensions, seed: seed ^ 0x4C45_5353)  // "LESS"
    }

    /// Goes row by row after the warm-up and the validation gradients: takes `journal`'s earlier rows and
    /// hands it each pool example's score as it finishes (a pool the journal already holds needs no warm-up).
    func extract(_ examples: [TokenizedExample], target: [TokenizedExample], model: (any LanguageModel)?,
                 journal: RowJournal?) throws -> Tensor {
        let model = try requireModel(model, for: FeatureSpec.gradient)
        let earlier = journal?.earlier ?? []
        let out = Tensor(shape: [examples.count, 1], values: earlier.prefix(examples.count).map { $0[0] }
                                                            + [Float](repeating: 0, count: max(examples.count - earlier.count, 0)))
        guard earlier.count < examples.count else { return out }
        let snapshot = model.parameters.snapshot()
        defer {
            model.parameters.restore(snapshot)
            model.parameters.zeroGrads()
        }
        let optimizer = try warmUp(model, on: examples)
        let d = sketch.dimensions, codes = sketch.codes(count: model.parameters.count)
        let validation = Tensor(shape: [target.count, d],
                                values: try target.flatMap { try sketchedGradient(of: $0, model: model, codes: codes, preconditioner: nil) })  // (M, d)
        let mean = validation.columnMeans()
        for i in earlier.count..<examples.count {
            let g = try sketchedGradient(of: examples[i], model: model, codes: codes, preconditioner: adam ? optimizer : nil)
            out.data[i] = takesMaximum
                ? Tensor(shape: [1, d], values: g).matmul(validation, transposeB: true).scalars.max() ?? 0
                : zip(g, mean).reduce(0) { $0 + $1.0 * $1.1 }  // the mean of the cosines
            journal?.finish([out.data[i]])
        }
        return out
    }

    /// The warm-up: `epochs` shuffled epochs over a seeded `warmup` share of the pool; its optimizer, whose
    /// moments precondition the pool's gradients (nil without a warm-up).
    private func warmUp(_ model: any LanguageModel, on examples: [TokenizedExample]) throws -> AdamW? {
        let count = min(examples.count, Int((warmup * Double(examples.count)).rounded()))
        guard count > 0, epochs > 0 else { return nil }
        var rng = RandomGenerator(seed: seed ^ 0x7761_726D)  // "warm"
        let slice = rng.sample(count, of: examples.count).filter { examples[$0].answerTokenCount > 0 }
        guard !slice.isEmpty else { return nil }
        return try trainEpochs(model, on: slice.map { examples[$0] }, epochs: epochs, batch: GradientFeature.warmupBatch,
                               learningRate: learningRate, rng: &rng)
    }

    /// The unit-length sketch of `example`'s gradient (of its mean answer loss), as the Adam update
    /// `preconditioner` would make of it when given; zeros for an example without answer tokens. `codes`
    /// are the sketch's, drawn once for every parameter.   -> (d)
    private func sketchedGradient(of example: TokenizedExample, model: any LanguageModel, codes: [UInt32],
                                  preconditioner: AdamW?) throws -> [Float] {
        let parameters = model.parameters
        parameters.zeroGrads()
        var out = [Float](repeating: 0, count: sketch.dimensions)
        let tokens = try model.accumulateGradients([example]).tokens
        guard tokens > 0 else { return out }
        let g = parameters.grads.data
        let scale = 1 / Float(tokens)
        if let adam = preconditioner {
            adam.nextDirection(g, scale: scale)  // Γ = m̂ / (√v̂ + ε) after one more Adam step on this gradient (LESS, eq. 2)
            out.withUnsafeMutableBufferPointer { sketch.add(g, codes: codes, into: $0.baseAddress!) }
        } else {
            out.withUnsafeMutableBufferPointer { sketch.add(g, codes: codes, scale: scale, into: $0.baseAddress!) }
        }
        let norm = out.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? out.map { $0 / norm } : out
    }
}

/// feature.dsir: DSIR's log importance weight of each example (`HashedNGramImportance`): its token n-grams'
/// log-likelihood ratio under a bag-of-hashed-n-grams model of the validation split against one of the
/// pool. Prompt and answer tokens both count, as the paper counts a whole text. With `normalised`
/// lengths a score is the mean over the example's n-grams times the pool's mean n-gram count, so that a
/// long example is not preferred for its length (the paper scores chunks of equal length). It reads the
/// tokens alone: no forward pass. Cost: O(n-grams) over the pool and the split, plus O(buckets).
final class DSIRFeature: TargetFeatureExtractor {
    let featureNames = [FeatureColumn.dsirLogWeight]
    let dependsOnSeed = false
    let buckets: Int
    let order: Int
    let smoothing: Double
    let normalisesLength: Bool

    init(buckets: Int, order: Int, smoothing: Double, normalisesLength: Bool) {
        (self.buckets, self.order, self.smoothing, self.normalisesLength) = (buckets, order, smoothing, normalisesLength)
    }

    /// One pass over the tokens, not row by row: the journal is not used.
    func extract(_ examples: [TokenizedExample], target: [TokenizedExample], model: (any LanguageModel)?,
                 journal: RowJournal?) throws -> Tensor {
        let hash = { (example: TokenizedExample) in HashedNGramImportance.bucketsOfNGrams(in: example.ids, buckets: self.buckets, order: self.order) }
        let pool = examples.map(hash)  // hashed once: for the pool's model and for the scores
        let estimator = HashedNGramImportance(targetBuckets: target.map(hash), poolBuckets: pool, buckets: buckets, order: order, smoothing: smoothing)
        let weights = pool.map(estimator.logWeight(ofBuckets:))
        let meanCount = Double(weights.reduce(0) { $0 + $1.ngrams }) / Double(max(weights.count, 1))
        return Tensor(shape: [examples.count, 1], values: weights.map { weight in
            guard normalisesLength else { return Float(weight.sum) }
            return weight.ngrams > 0 ? Float(weight.sum / Double(weight.ngrams) * meanCount) : 0
        })
    }
}

/// feature.loss-reduction: CoLoR-Filter's conditional loss reduction (Brandfonbrener et al., NeurIPS 2024).
/// Each example's mean answer loss under the model, minus its loss under a copy of the model fine-tuned on
/// the validation split for `epochs` shuffled epochs (batches of 16, warm-up then cosine decay to peak
/// `lr`): how much likelier the target's own data made the example, which estimates the log ratio of its
/// likelihood under the target to that under the pool — what DSIR estimates with n-gram counts, here with
/// the model itself. The fine-tuning's order is fixed, so the score does not depend on the run's seed; the
/// model's parameters are restored afterwards. Cost: two loss passes over the pool and the fine-tuning.
final class LossReductionFeature: TargetFeatureExtractor {
    let featureNames = [FeatureColumn.lossReduction]
    let dependsOnSeed = false
    let epochs: Int
    let learningRate: Float

    /// Examples per fine-tuning step.
    static let batch = 16

    init(epochs: Int, learningRate: Float) {
        (self.epochs, self.learningRate) = (epochs, learningRate)
    }

    /// The two loss passes are whole-pool calls: the journal is not used.
    func extract(_ examples: [TokenizedExample], target: [TokenizedExample], model: (any LanguageModel)?,
                 journal: RowJournal?) throws -> Tensor {
        let model = try requireModel(model, for: FeatureSpec.lossReduction)
        let before = try model.exampleLosses(examples)
        let snapshot = model.parameters.snapshot()
        defer {
            model.parameters.restore(snapshot)
            model.parameters.zeroGrads()
        }
        try fineTune(model, on: target)
        let after = try model.exampleLosses(examples)
        return Tensor(shape: [examples.count, 1], values: zip(before, after).map { $0 - $1 })
    }

    /// `epochs` epochs over the target's examples that have an answer, each in a seeded shuffled order.
    private func fineTune(_ model: any LanguageModel, on target: [TokenizedExample]) throws {
        let answered = target.filter { $0.answerTokenCount > 0 }
        guard !answered.isEmpty else {
            throw RaiseError.invalidArgument(name: FeatureSpec.lossReduction, detail: "the validation split has no example with an answer")
        }
        var rng = RandomGenerator(seed: 0x436F_4C6F_52)  // "CoLoR"
        _ = try trainEpochs(model, on: answered, epochs: epochs, batch: LossReductionFeature.batch, learningRate: learningRate, rng: &rng)
    }
}

/// Trains `model` on `examples` (not empty) for `epochs` epochs, each in a new order shuffled by `rng`, in batches of
/// `batch`, with the trainer every selector gets (warm-up, then cosine decay from peak `learningRate`) over all the
/// steps; the trainer's optimizer. LESS's warm-up and CoLoR-Filter's copy both train this way.
func trainEpochs(_ model: any LanguageModel, on examples: [TokenizedExample], epochs: Int, batch: Int, learningRate: Float,
                 rng: inout RandomGenerator) throws -> AdamW {
    var order = Array(examples.indices)
    let stepsPerEpoch = (examples.count + batch - 1) / batch
    let trainer = ModelTrainer(model: model, settings: .fineTuning(peak: learningRate, steps: stepsPerEpoch * epochs))
    for _ in 0..<epochs {
        rng.shuffle(&order)
        for start in stride(from: 0, to: order.count, by: batch) {
            try trainer.step(order[start..<min(start + batch, order.count)].map { examples[$0] })
        }
    }
    return trainer.optimizer
}
