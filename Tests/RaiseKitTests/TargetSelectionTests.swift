// Target-aware selection: the count sketch keeps inner products within its stated bound; the target-
// similarity and LESS gradient features equal hand-computed cosines on a constructed pool (and leave the
// model as they found it); DSIR's n-gram importance weights equal hand-computed log-likelihood ratios;
// CoLoR-Filter's loss reduction is each record's loss before minus after one copy trained on the target;
// selector.nearest, selector.less and selector.color-filter take the top of their features, selector.dsir
// resamples by its weights in proportion to them; the relevance state group reads and standardises their
// columns; and on a toy pool where only relevant records raise the reward, a policy that sees relevance
// learns to pick them in fewer episodes than one that does not.
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class CountSketchTests: XCTestCase {
    private func unitVector(_ count: Int, _ rng: inout RandomGenerator) -> [Float] {
        let v = (0..<count).map { _ in rng.nextNormal() }
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return v.map { $0 / norm }
    }

    private func dot(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

    func testASketchIsLinearSeededAndAddsInParts() {
        let sketch = CountSketch(dimensions: 16, seed: 7)
        let (a, b): ([Float], [Float]) = ([1, -2, 3, 0, 5], [0, 1, 1, 2, -1])
        XCTAssertEqual(sketch.project(a), sketch.project(a), "the same seed, the same sketch")
        XCTAssertNotEqual(sketch.project(a), CountSketch(dimensions: 16, seed: 8).project(a))
        let sum = sketch.project(zip(a, b).map { 2 * $0 + $1 }), parts = zip(sketch.project(a), sketch.project(b)).map { 2 * $0 + $1 }
        for (x, y) in zip(sum, parts) { XCTAssertEqual(x, y, accuracy: 1e-5) }
        // A one-hot vector lands as ±1 in exactly one bucket.
        let oneHot = sketch.project([0, 0, 1, 0, 0])
        XCTAssertEqual(oneHot.filter { $0 != 0 }.map(abs), [1])
        // Sketched in two parts with offsets, a vector sums to its whole sketch.
        var split = [Float](repeating: 0, count: 16)
        a.withUnsafeBufferPointer { v in
            split.withUnsafeMutableBufferPointer { out in
                sketch.add(v.baseAddress!, count: 2, into: out.baseAddress!)
                sketch.add(v.baseAddress! + 2, count: 3, offset: 2, into: out.baseAddress!)
            }
        }
        XCTAssertEqual(split, sketch.project(a))
    }

    func testCodesDrawnOnceGiveTheHashedSumsToTheLastBit() {
        var rng = RandomGenerator(seed: 3)
        let vector = (0..<5000).map { _ in rng.nextNormal() }
        for (dimensions, scale, offset) in [(64, Float(1), 0), (1000, Float(0.37), 11)] {
            let sketch = CountSketch(dimensions: dimensions, seed: 9)
            let codes = sketch.codes(count: vector.count, offset: offset)
            var (hashed, drawn) = ([Float](repeating: 0, count: dimensions), [Float](repeating: 0, count: dimensions))
            vector.withUnsafeBufferPointer { v in
                hashed.withUnsafeMutableBufferPointer { sketch.add(v.baseAddress!, count: v.count, offset: offset, scale: scale, into: $0.baseAddress!) }
                drawn.withUnsafeMutableBufferPointer { sketch.add(v.baseAddress!, codes: codes, scale: scale, into: $0.baseAddress!) }
            }
            XCTAssertEqual(hashed, drawn)
            XCTAssertTrue(hashed.contains { $0 < 0 } && hashed.contains { $0 > 0 }, "both signs are drawn")
        }
    }

    func testInnerProductsStayWithinTheStatedBound() {
        // 300 pairs of unit vectors in R^4000 sketched to d = 1024: the bound says an error of ε = 0.1 or
        // more happens with probability at most 2 / (d ε²) ≈ 0.195, and the mean squared error is at most 2/d.
        var rng = RandomGenerator(seed: 5)
        let (d, epsilon, pairs) = (1024, 0.1, 300)
        var (failures, squaredError) = (0, 0.0)
        for pair in 0..<pairs {
            let sketch = CountSketch(dimensions: d, seed: UInt64(pair))
            let u = unitVector(4000, &rng)
            // Pairs from orthogonal to strongly aligned.
            let noise = unitVector(4000, &rng), mix = Float(pair % 10) / 10
            let w = zip(u, noise).map { mix * $0 + (1 - mix) * $1 }, norm = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let v = w.map { $0 / norm }
            let error = Double(dot(sketch.project(u), sketch.project(v)) - dot(u, v))
            squaredError += error * error / Double(pairs)
            if abs(error) >= epsilon { failures += 1 }
        }
        XCTAssertLessThanOrEqual(Double(failures) / Double(pairs), CountSketch.failureBound(dimensions: d, error: epsilon))
        XCTAssertLessThan(squaredError, 2.0 / Double(d), "the variance bound")
        XCTAssertGreaterThan(squaredError, 0.2 / Double(d), "a sketch of 4000 numbers into 1024 does lose something")
    }
}

/// A model whose embedding and gradient are fixed vectors chosen by each example's first token, and whose
/// one parameter vector moves with training (so that a warm-up changes it and the restore can be checked).
final class VectorModel: LanguageModel {
    let backendID = "model.vector"
    let configuration = JSONObject()
    let tokenizer: any Tokenizer
    let parameters: ParameterStore
    let contextLength = 8
    let embeddingWidth: Int
    let embeddingTable: [[Float]]
    let gradientTable: [[Float]]

    init(embeddings: [[Float]], gradients: [[Float]]) throws {
        (embeddingTable, gradientTable) = (embeddings, gradients)
        embeddingWidth = embeddings[0].count
        var rng = RandomGenerator(seed: 0)
        parameters = ParameterStore([ParameterSpec("w", [gradients[0].count], .zeros)], rng: &rng)
        tokenizer = try BytePairTrainer.train(texts: ["a"], vocabularySize: 260)
    }

    /// Example `i`: its first token is `i`, followed by `answers` answer tokens.
    static func example(_ i: Int, answers: Int = 2) -> TokenizedExample {
        TokenizedExample(ids: [Int32(i)] + Array(repeating: 1, count: answers), lossMask: [0] + Array(repeating: 1, count: answers))
    }

    func exampleLosses(_ examples: [TokenizedExample]) throws -> [Float] { examples.map { _ in 1 } }

    func embeddings(_ examples: [TokenizedExample], progress: ((_ done: Int) -> Void)?) throws -> Tensor {
        Tensor(shape: [examples.count, embeddingWidth], values: examples.flatMap { embeddingTable[Int($0.ids[0])] })
    }

    /// The gradient of the summed token losses: the example's vector times its answer tokens.
    func accumulateGradients(_ batch: [TokenizedExample]) throws -> (lossSum: Double, tokens: Int) {
        var tokens = 0
        for example in batch {
            let answers = example.answerTokenCount
            for (j, g) in gradientTable[Int(example.ids[0])].enumerated() { parameters.grads.data[j] += g * Float(answers) }
            tokens += answers
        }
        return (Double(tokens), tokens)
    }

    func generate(prompts: [[Int32]], maxNewTokens: [Int], stop: Set<Int32>) throws -> [[Int32]] { prompts.map { _ in [] } }
}

/// A model whose answer loss per token is ½‖w − v‖², w its one parameter vector and v a fixed vector chosen
/// by the example's first token: training on an example pulls w towards its v.
final class QuadraticModel: LanguageModel {
    let backendID = "model.quadratic"
    let configuration = JSONObject()
    let tokenizer: any Tokenizer
    let parameters: ParameterStore
    let contextLength = 8
    let embeddingWidth: Int
    let targets: [[Float]]

    init(targets: [[Float]]) throws {
        self.targets = targets
        embeddingWidth = targets[0].count
        var rng = RandomGenerator(seed: 0)
        parameters = ParameterStore([ParameterSpec("w", [embeddingWidth], .zeros)], rng: &rng)
        tokenizer = try BytePairTrainer.train(texts: ["a"], vocabularySize: 260)
    }

    private func loss(_ example: TokenizedExample) -> Float {
        zip(parameters.values.scalars, targets[Int(example.ids[0])]).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / 2
    }

    func exampleLosses(_ examples: [TokenizedExample]) throws -> [Float] { examples.map(loss) }

    func embeddings(_ examples: [TokenizedExample], progress: ((_ done: Int) -> Void)?) throws -> Tensor {
        Tensor(shape: [examples.count, embeddingWidth], values: examples.flatMap { targets[Int($0.ids[0])] })
    }

    /// The gradient of the summed token losses: (w − v) times the answer tokens.
    func accumulateGradients(_ batch: [TokenizedExample]) throws -> (lossSum: Double, tokens: Int) {
        var (lossSum, tokens) = (0.0, 0)
        let w = parameters.values.scalars
        for example in batch {
            let answers = example.answerTokenCount
            for (j, v) in targets[Int(example.ids[0])].enumerated() { parameters.grads.data[j] += (w[j] - v) * Float(answers) }
            (lossSum, tokens) = (lossSum + Double(loss(example)) * Double(answers), tokens + answers)
        }
        return (lossSum, tokens)
    }

    func generate(prompts: [[Int32]], maxNewTokens: [Int], stop: Set<Int32>) throws -> [[Int32]] { prompts.map { _ in [] } }
}

final class TargetFeatureTests: XCTestCase {
    private func extractor(_ spec: String) throws -> any TargetFeatureExtractor {
        let registry = PluginRegistry()
        try PluginLoader(registry: registry).load(file: builtLibrary("RaisePluginFeatures"))
        return try registry.make(PluginSpec(parsing: spec, option: "--feature"), kind: .feature, seed: 3, as: (any TargetFeatureExtractor).self)
    }

    private func cosine(_ a: [Double], _ b: [Double]) -> Double {
        let dot = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
        return dot / (a.reduce(0) { $0 + $1 * $1 }.squareRoot() * b.reduce(0) { $0 + $1 * $1 }.squareRoot())
    }

    /// Pool examples 0–3, validation examples 4–5.
    private let embeddings: [[Float]] = [[1, 0], [0, 1], [-1, 0], [0.5, 0.5], [2, 0.2], [2, -0.2]]
    private let gradients: [[Float]] = [[1, 0, 0], [0, 1, 0], [-1, 0, 0], [0.6, 0.6, 0.1], [1, 0.1, 0], [1, -0.1, 0.2]]

    func testTargetSimilarityIsTheCosineToTheCentroidOrTheNearest() throws {
        let model = try VectorModel(embeddings: embeddings, gradients: gradients)
        let pool = (0..<4).map { VectorModel.example($0) }, target = [4, 5].map { VectorModel.example($0) }
        // By hand: centre on the pool's mean (0.125, 0.375); the centroid of the validation rows is (2, 0).
        let mean = [0.125, 0.375]
        let centred = embeddings.map { [Double($0[0]) - mean[0], Double($0[1]) - mean[1]] }
        let centroid = [2 - mean[0], 0 - mean[1]]
        let toCentroid = try extractor("target-similarity:dims=0").extract(pool, target: target, model: model)
        for i in 0..<4 { XCTAssertEqual(Double(toCentroid[i, 0]), cosine(centred[i], centroid), accuracy: 1e-5, "record \(i)") }
        XCTAssertEqual(toCentroid.scalars.indices.max { toCentroid.scalars[$0] < toCentroid.scalars[$1] }, 0, "(1, 0) lies towards the target")
        let nearest = try extractor("target-similarity:dims=0,reduce=knn,k=1").extract(pool, target: target, model: model)
        for i in 0..<4 {
            XCTAssertEqual(Double(nearest[i, 0]), max(cosine(centred[i], centred[4]), cosine(centred[i], centred[5])), accuracy: 1e-5)
        }
        assertThrows(["--val"]) { try extractor("target-similarity").extract(pool, model: model) }
    }

    func testWhiteningGivesEveryDirectionOfThePoolTheSameWeight() throws {
        // The pool spreads 4 along x and 1 along y (its principal axes); the target (2, 1) leans to x.
        let vectors: [[Float]] = [[4, 0], [-4, 0], [0, 1], [0, -1], [2, 1]]
        let model = try VectorModel(embeddings: vectors, gradients: vectors.map { $0 + [0] })
        let pool = (0..<4).map { VectorModel.example($0) }, target = [VectorModel.example(4)]
        let plain = try extractor("target-similarity:dims=2").extract(pool, target: target, model: model)
        XCTAssertEqual(Double(plain[0, 0]), cosine([4, 0], [2, 1]), accuracy: 1e-5, "unwhitened, x decides: (4, 0) first")
        XCTAssertEqual(Double(plain[2, 0]), cosine([0, 1], [2, 1]), accuracy: 1e-5)
        // By hand: the pool's variances along x and y are 32/3 and 2/3; each axis divided by its deviation.
        let (sx, sy) = ((32.0 / 3).squareRoot(), (2.0 / 3).squareRoot())
        let whitened = try extractor("target-similarity:dims=2,whiten=true").extract(pool, target: target, model: model)
        for (i, v) in vectors.prefix(4).enumerated() {
            XCTAssertEqual(Double(whitened[i, 0]), cosine([Double(v[0]) / sx, Double(v[1]) / sy], [2 / sx, 1 / sy]), accuracy: 1e-5, "record \(i)")
        }
        XCTAssertGreaterThan(whitened[2, 0], whitened[0, 0], "whitened, y's small spread makes the target's 1 count: (0, 1) first")
        assertThrows(["whiten", "dims > 0"]) { try extractor("target-similarity:dims=0,whiten=true") }
    }

    func testLESSRanksTheGradientAlongTheValidationGradientsFirst() throws {
        let model = try VectorModel(embeddings: embeddings, gradients: gradients)
        let pool = (0..<4).map { VectorModel.example($0, answers: $0 + 1) }, target = [4, 5].map { VectorModel.example($0) }
        // Without warm-up or preconditioning: the mean over the validation examples of the cosine of the gradients
        // (of the mean token loss: the answer count divides out). Three coordinates in 8192 buckets do not collide
        // under this seed, so the sketch keeps them exactly.
        let g = gradients.map { $0.map(Double.init) }
        let scores = try extractor("gradient:warmup=0,adam=false").extract(pool, target: target, model: model)
        for i in 0..<4 {
            XCTAssertEqual(Double(scores[i, 0]), (cosine(g[i], g[4]) + cosine(g[i], g[5])) / 2, accuracy: 1e-5, "record \(i)")
        }
        let largest = try extractor("gradient:warmup=0,adam=false,reduce=max").extract(pool, target: target, model: model)
        for i in 0..<4 { XCTAssertEqual(Double(largest[i, 0]), max(cosine(g[i], g[4]), cosine(g[i], g[5])), accuracy: 1e-5) }

        // Its one pass hands each pool example's score to the journal as it finishes (what the host saves and shows
        // as progress); given the rows a killed run finished, it takes them as they are and computes the rest.
        for reduce in ["mean", "max"] {
            let whole = reduce == "max" ? largest : scores
            var finished = [[Float]]()
            let followed = try extractor("gradient:warmup=0,adam=false,reduce=\(reduce)").extract(pool, target: target, model: model,
                                                                                              journal: RowJournal { finished.append($0) })
            XCTAssertEqual(finished, (0..<4).map { [whole[$0, 0]] }, reduce)
            XCTAssertEqual(followed.scalars, whole.scalars, reduce)
            var after = [[Float]]()
            let earlier: [[Float]] = [[7], [8]]  // not the scores: taken as they are, not computed again
            let resumed = try extractor("gradient:warmup=0,adam=false,reduce=\(reduce)").extract(pool, target: target, model: model,
                                                                                             journal: RowJournal(earlier: earlier) { after.append($0) })
            XCTAssertEqual(resumed.scalars, [7, 8, whole[2, 0], whole[3, 0]], reduce)
            XCTAssertEqual(after, [[whole[2, 0]], [whole[3, 0]]], reduce)
        }

        // With the warm-up and Adam: the model is trained on a slice, then restored; the same seed gives the same scores.
        let warmed = try extractor("gradient:warmup=0.5,epochs=3,lr=0.1").extract(pool, target: target, model: model)
        XCTAssertEqual(model.parameters.values.scalars, [0, 0, 0], "the warm-up's changes are undone")
        XCTAssertEqual(warmed.scalars, try extractor("gradient:warmup=0.5,epochs=3,lr=0.1").extract(pool, target: target, model: model).scalars)
        XCTAssertEqual(warmed.scalars.indices.max { warmed.scalars[$0] < warmed.scalars[$1] }, 0)
        XCTAssertEqual(warmed.scalars.indices.min { warmed.scalars[$0] < warmed.scalars[$1] }, 2, "the opposite gradient ranks last")
    }

    func testLossReductionIsHowMuchTheLossFallsUnderACopyTrainedOnTheTarget() throws {
        // Pool examples 0–3; the validation examples 4–5 lie beside pool example 0 and opposite example 2.
        let targets: [[Float]] = [[1, 0], [0, 1], [-1, 0], [0.5, 0.5], [1.1, 0.1], [0.9, -0.1]]
        let model = try QuadraticModel(targets: targets)
        let pool = (0..<4).map { VectorModel.example($0) }, target = [4, 5].map { VectorModel.example($0) }
        XCTAssertEqual(try model.exampleLosses(pool), [0.5, 0.5, 0.5, 0.25], "½‖v‖² at w = 0")
        let scores = try extractor("loss-reduction:epochs=20,lr=0.05").extract(pool, target: target, model: model)
        XCTAssertEqual(model.parameters.values.scalars, [0, 0], "the fine-tuned copy's changes are undone")
        // The copy moved w from 0 towards the target, so a record's loss fell by ½‖v‖² − ½‖w − v‖² = w·v − c, c = ½‖w‖².
        XCTAssertEqual((0..<4).max { scores[$0, 0] < scores[$1, 0] }, 0, "the record the target resembles gains most")
        XCTAssertGreaterThan(scores[0, 0], 0.2)
        XCTAssertLessThan(scores[2, 0], 0, "the opposite record's loss rises")
        // One trained copy behind every score: w and c recovered from records 0, 1 and 2 predict record 3 and agree.
        let (w1, c) = ((scores[0, 0] - scores[2, 0]) / 2, -(scores[0, 0] + scores[2, 0]) / 2)
        let w2 = scores[1, 0] + c
        XCTAssertGreaterThan(w1, 0.5, "w went most of the way to the target's (1, 0)")
        XCTAssertEqual(scores[3, 0], 0.5 * w1 + 0.5 * w2 - c, accuracy: 1e-5)
        XCTAssertEqual(c, (w1 * w1 + w2 * w2) / 2, accuracy: 1e-5)
        // The order of the fine-tuning is fixed: another run seed gives the same scores, bit for bit.
        let registry = PluginRegistry()
        try PluginLoader(registry: registry).load(file: builtLibrary("RaisePluginFeatures"))
        let reseeded = try registry.make(PluginSpec(parsing: "loss-reduction:epochs=20,lr=0.05", option: "--feature"), kind: .feature, seed: 11,
                                         as: (any TargetFeatureExtractor).self)
        XCTAssertEqual(try reseeded.extract(pool, target: target, model: model).scalars, scores.scalars)
        XCTAssertFalse(reseeded.dependsOnSeed)
        assertThrows(["loss-reduction", "answer"]) {
            try self.extractor("loss-reduction").extract(pool, target: [TokenizedExample(ids: [4, 1], lossMask: [0, 0])], model: model)
        }
    }

    func testNearestLESSAndCoLoRFilterSelectTheTopOfTheirFeature() throws {
        let registry = PluginRegistry()
        try PluginLoader(registry: registry).load(file: builtLibrary("RaisePluginBaselineSelectors"))
        func make(_ spec: String) throws -> any InstructionSelector {
            try registry.make(PluginSpec(parsing: spec, option: "--selector"), kind: .selector, seed: 0, as: (any InstructionSelector).self)
        }
        let nearest = try make("nearest:dims=8,reduce=knn")
        XCTAssertEqual(nearest.requiredFeatures, ["feature.target-similarity:dims=8,k=10,reduce=knn,whiten=false"], "the feature's settings, passed through")
        XCTAssertEqual(try nearest.select(SelectionRequest(poolSize: 4, count: 2, totalSteps: 1,
                                                           features: [FeatureColumn.targetSimilarity: [0.1, 0.9, -0.3, 0.5]])), [1, 3])
        assertThrows(["whiten", "dims > 0"]) { try make("nearest:dims=0,whiten=true") }  // refused when made, not at its first feature
        let less = try make("less:reduce=max")
        XCTAssertEqual(less.requiredFeatures, ["feature.gradient:adam=true,dims=8192,epochs=4,lr=0.001,reduce=max,warmup=0.05"])
        XCTAssertEqual(try less.select(SelectionRequest(poolSize: 3, count: 1, totalSteps: 1,
                                                        features: [FeatureColumn.gradientAlignment: [0.2, -0.1, 0.7]])), [2])
        let color = try make("color-filter:epochs=2")
        XCTAssertEqual(color.requiredFeatures, ["feature.loss-reduction:epochs=2,lr=0.001"])
        XCTAssertEqual(try color.select(SelectionRequest(poolSize: 4, count: 2, totalSteps: 1,
                                                         features: [FeatureColumn.lossReduction: [0.3, -0.2, 0.1, 0.8]])), [3, 0])
    }
}

final class DSIRTests: XCTestCase {
    /// Examples whose ids are `ids` (the first one a prompt token, the rest answer tokens).
    private func example(_ ids: [Int32]) -> TokenizedExample {
        TokenizedExample(ids: ids, lossMask: [0] + Array(repeating: 1, count: ids.count - 1))
    }

    func testImportanceIsTheLogLikelihoodRatioOfTheNGrams() throws {
        // A target of one text (1 2) against a pool of (1 2) and (3 4). Each text has two unigrams and one
        // bigram; 10,000 buckets hold these six n-grams apart under this hash (checked below).
        let buckets = 10_000
        let grams = [[1, 2], [3, 4]].flatMap { HashedNGramImportance.bucketsOfNGrams(in: $0, buckets: buckets, order: 2) }
        XCTAssertEqual(Set(grams).count, 6, "no collision")
        XCTAssertEqual(HashedNGramImportance.bucketsOfNGrams(in: [1, 2], buckets: buckets, order: 1).count, 2, "unigrams only")
        XCTAssertEqual(HashedNGramImportance.bucketsOfNGrams(in: [5, 5, 5], buckets: buckets, order: 3).count, 6, "3 + 2 + 1 n-grams")
        // Unsmoothed (the paper's): the target's n-grams have probability 1/3 there and 1/6 in the pool; the others 0 and 1/6.
        let paper = HashedNGramImportance(target: [[1, 2]], pool: [[1, 2], [3, 4]], buckets: buckets, order: 2, smoothing: 0)
        let seen = log(1.0 / 3 + 1e-8) - log(1.0 / 6 + 1e-8), unseen = log(1e-8) - log(1.0 / 6 + 1e-8)
        XCTAssertEqual(paper.logWeight(of: [1, 2]).sum, 3 * seen, accuracy: 1e-9)
        XCTAssertEqual(paper.logWeight(of: [1, 2]).ngrams, 3)
        XCTAssertEqual(paper.logWeight(of: [3, 4]).sum, 3 * unseen, accuracy: 1e-9)
        XCTAssertEqual(paper.logWeight(of: [1, 2, 1]).sum, 4 * seen, accuracy: 1e-9,
                       "1, 2, 1 and (1 2) are the target's; (2 1) is in neither model, where the two floors cancel")
        // Smoothed by 1 in each of the 10,000 buckets: (1 + 1) / (3 + 10,000) against (1 + 1) / (6 + 10,000), and
        // 1 / (3 + 10,000) against (1 + 1) / (6 + 10,000).
        let smoothed = HashedNGramImportance(target: [[1, 2]], pool: [[1, 2], [3, 4]], buckets: buckets, order: 2, smoothing: 1)
        let p = { (count: Double, total: Double) in log(count / (total + 10_000) + 1e-8) }
        XCTAssertEqual(smoothed.logWeight(of: [1, 2]).sum, 3 * (p(2, 3) - p(2, 6)), accuracy: 1e-9)
        XCTAssertEqual(smoothed.logWeight(of: [3, 4]).sum, 3 * (p(1, 3) - p(2, 6)), accuracy: 1e-9)
    }

    func testTheFeatureNormalisesLengthAndTheSelectorResamplesInProportion() throws {
        let registry = PluginRegistry()
        let loader = PluginLoader(registry: registry)
        try loader.load(file: builtLibrary("RaisePluginFeatures"))
        try loader.load(file: builtLibrary("RaisePluginBaselineSelectors"))
        func feature(_ spec: String) throws -> any TargetFeatureExtractor {
            try registry.make(PluginSpec(parsing: spec, option: "--feature"), kind: .feature, seed: 0, as: (any TargetFeatureExtractor).self)
        }
        // The pool: a target-like text, the same text twice over, and an unrelated one; unigrams, unsmoothed.
        let pool = [example([1, 2]), example([1, 2, 1, 2]), example([3, 4])], target = [example([1, 2])]
        let estimator = HashedNGramImportance(target: target.map(\.ids), pool: pool.map(\.ids), buckets: 10_000, order: 1, smoothing: 0)
        let sums = pool.map { estimator.logWeight(of: $0.ids) }
        XCTAssertEqual(sums[0].sum, 2 * log(4.0 / 3), accuracy: 1e-6, "1 and 2: 1/2 of the target's unigrams, 3/8 of the pool's")
        let summed = try feature("dsir:ngrams=1,smoothing=0,length=sum").extract(pool, target: target, model: nil)
        for i in 0..<3 { XCTAssertEqual(Double(summed[i, 0]), sums[i].sum, accuracy: 1e-4) }
        XCTAssertEqual(summed[1, 0], 2 * summed[0, 0], accuracy: 1e-4, "a sum prefers the longer copy")
        // Normalised: the mean over its n-grams times the pool's mean count, (2 + 4 + 2) / 3.
        let normalised = try feature("dsir:ngrams=1,smoothing=0").extract(pool, target: target, model: nil)
        for i in 0..<3 {
            XCTAssertEqual(Double(normalised[i, 0]), sums[i].sum / Double(sums[i].ngrams) * 8 / 3, accuracy: 1e-4, "record \(i)")
        }
        XCTAssertEqual(normalised[0, 0], normalised[1, 0], accuracy: 1e-5, "the same mix of n-grams scores the same at any length")
        XCTAssertLessThan(normalised[2, 0], -10, "3 and 4 are not the target's")
        assertThrows(["--val"]) { try feature("dsir").extract(pool, model: nil) }

        func selector(_ spec: String, seed: UInt64) throws -> any InstructionSelector {
            try registry.make(PluginSpec(parsing: spec, option: "--selector"), kind: .selector, seed: seed, as: (any InstructionSelector).self)
        }
        let dsir = try selector("dsir:sampling=top,ngrams=1", seed: 0)
        XCTAssertEqual(dsir.requiredFeatures, ["feature.dsir:buckets=10000,length=normalised,ngrams=1,smoothing=0.0"], "the feature's settings, without the selector's own")
        XCTAssertEqual(try dsir.select(SelectionRequest(poolSize: 3, count: 2, totalSteps: 1, features: [FeatureColumn.dsirLogWeight: [0.5, 2, -1]])), [1, 0])
        // Resampling: 1 of 2 examples whose weights are 1 and 3 is the second 3 times in 4; seeded, so the same seed draws the same.
        let request = SelectionRequest(poolSize: 2, count: 1, totalSteps: 1, features: [FeatureColumn.dsirLogWeight: [0, Float(log(3.0))]])
        let draws = try (0..<4000).map { try selector("dsir", seed: UInt64($0)).select(request)[0] }
        XCTAssertEqual(Double(draws.filter { $0 == 1 }.count) / 4000, 0.75, accuracy: 0.03)
        XCTAssertEqual(try selector("dsir", seed: 9).select(request), try selector("dsir", seed: 9).select(request))
        let all = try selector("dsir", seed: 1).select(SelectionRequest(poolSize: 3, count: 3, totalSteps: 1,
                                                                        features: [FeatureColumn.dsirLogWeight: [0.5, 2, -1]]))
        XCTAssertEqual(all.sorted(), [0, 1, 2], "without replacement")
    }
}

final class RelevanceStateTests: XCTestCase {
    func testTheRelevanceGroupReadsAndStandardisesItsColumns() throws {
        let layout = StateLayout(groups: StateGroup.targetAware, semanticDimensions: 1)
        XCTAssertEqual(layout.groups, [.stage, .difficulty, .semantics, .availability, .relevance])
        XCTAssertEqual(layout.columns(of: .relevance), 8..<10)
        XCTAssertTrue(layout.featureSpecs.contains("feature.target-similarity:dims=1") && layout.featureSpecs.contains(FeatureSpec.gradient))
        XCTAssertFalse(StateLayout(groups: StateGroup.paper).featureSpecs.contains(FeatureSpec.gradient), "the paper's state needs no target")
        let whitened = StateLayout(groups: StateGroup.targetAware, semanticDimensions: 1, relevanceSignal: .whitened)
        XCTAssertTrue(whitened.featureSpecs.contains("feature.target-similarity:dims=1,whiten=true"))
        let columns: [String: [Float]] = ["prompt_tokens": [3, 7, 15], "response_tokens": [1, 1, 1], "loss_conditional": [1, 2, 3],
                                          "loss_unconditional": [2, 2, 2], "embedding_0": [0, 1, 2],
                                          "target_similarity": [0.9, 0.5, 0.1], "gradient_alignment": [0, 0, 3]]
        let features = try PoolFeatures(columns: columns, count: 3, layout: layout)
        let state = layout.fusedState(features, TrainingProgress(totalSteps: 2, poolSize: 3))
        XCTAssertEqual(state[0, 8], 1.2247449, accuracy: 1e-5, "0.9 is √1.5 deviations above the mean 0.5")
        XCTAssertEqual(state[1, 8], 0, accuracy: 1e-6)
        XCTAssertEqual(state[2, 9], 1.4142135, accuracy: 1e-5, "3 over (0, 0, 3): √2 deviations above the mean 1")
        var missing = columns
        missing["gradient_alignment"] = nil
        assertThrows(["gradient_alignment"]) { try PoolFeatures(columns: missing, count: 3, layout: layout) }
        // Led by DSIR's weight instead, the group reads that column first (and the similarity not at all).
        let dsir = StateLayout(groups: StateGroup.targetAware, semanticDimensions: 1, relevanceSignal: .dsir)
        XCTAssertTrue(dsir.featureSpecs.contains(FeatureSpec.dsir) && !dsir.featureSpecs.contains { $0.hasPrefix(FeatureSpec.targetSimilarity) })
        var weighted = columns
        weighted["target_similarity"] = nil
        weighted["dsir_log_weight"] = [-2, 4, 1]
        let byWeight = try PoolFeatures(columns: weighted, count: 3, layout: dsir)
        XCTAssertEqual(byWeight.relevance![1, 0], 1.2247449, accuracy: 1e-5, "4 is √1.5 deviations above the mean 1")
        XCTAssertEqual(byWeight.similarity(rank: 1), byWeight.relevance![1, 0], "the prior ranks by it")
        assertThrows(["dsir_log_weight"]) { try PoolFeatures(columns: columns, count: 3, layout: dsir) }
        // Blended, it leads with the mean of the two standardised: (√1.5, 0, −√1.5) and (−√1.5, √1.5, 0)
        // average to (0, 0.61, −0.61), whose deviation is 0.5.
        let blend = StateLayout(groups: StateGroup.targetAware, semanticDimensions: 1, relevanceSignal: .blend)
        XCTAssertTrue(blend.featureSpecs.contains(FeatureSpec.dsir) && blend.featureSpecs.contains("feature.target-similarity:dims=1"))
        weighted["target_similarity"] = columns["target_similarity"]
        let blended = try PoolFeatures(columns: weighted, count: 3, layout: blend)
        for (row, expected) in [Float(0), 1.2247449, -1.2247449].enumerated() {
            XCTAssertEqual(blended.relevance![row, 0], expected, accuracy: 1e-5)
        }
        XCTAssertEqual(blended.relevance![2, 1], 1.4142135, accuracy: 1e-5, "the gradient alignment still follows")
        assertThrows(["dsir_log_weight"]) { try PoolFeatures(columns: columns, count: 3, layout: blend) }
        // The likelihood signal averages DSIR's weight and CoLoR-Filter's loss reduction, standardised, the loss reduction by
        // its normal scores: (−√1.5, √1.5, 0) and, from (0, −0.967, 0.967), (0, −√1.5, √1.5) average to (−0.61, 0, 0.61).
        let likelihood = StateLayout(groups: StateGroup.targetAware, semanticDimensions: 1, relevanceSignal: .likelihood)
        XCTAssertEqual(likelihood.featureSpecs.filter { spec in
                           [FeatureSpec.dsir, FeatureSpec.lossReduction, FeatureSpec.targetSimilarity].contains { spec.hasPrefix($0) }
                       }, [FeatureSpec.dsir, FeatureSpec.lossReduction], "DSIR's weight and the loss reduction, once each, and no similarity")
        weighted["loss_reduction"] = [0.5, 0.1, 0.9]
        let byLikelihood = try PoolFeatures(columns: weighted, count: 3, layout: likelihood)
        for (row, expected) in [Float(-1.2247449), 0, 1.2247449].enumerated() { XCTAssertEqual(byLikelihood.relevance![row, 0], expected, accuracy: 1e-5) }
        // An outlier of the loss reduction counts as its top normal score, no more: (−√1.5, √1.5, 0) and (−√1.5, 0, √1.5)
        // average to (−√1.5, √1.5/2, √1.5/2), the last two level (their standardised values would have put the outlier's
        // record 0.45 deviations ahead).
        weighted["loss_reduction"] = [0.1, 0.2, 100]
        let withOutlier = try PoolFeatures(columns: weighted, count: 3, layout: likelihood)
        for (row, expected) in [Float(-1.4142135), 0.70710677, 0.70710677].enumerated() {
            XCTAssertEqual(withOutlier.relevance![row, 0], expected, accuracy: 1e-5)
        }
        // Normal scores: Φ⁻¹((r + ½)/n), ties at their mean rank — Φ⁻¹(0.75), Φ⁻¹(0.125), Φ⁻¹(0.75), Φ⁻¹(0.375).
        for (score, expected) in zip(RelevanceSignal.normalScores([3, 1, 3, 2]), [Float(0.6744898), -1.1503494, 0.6744898, -0.3186394]) {
            XCTAssertEqual(score, expected, accuracy: 1e-5)
        }
        // DSIR's weight keeps its values, so a rare target's two look-alikes stay apart from the rest: with the loss
        // reduction flat, the signal is half the standardised weight, its gap included (by ranks it would be even steps).
        let flat = try RelevanceSignal.likelihood.values(count: 5) { $0 == FeatureColumn.dsirLogWeight ? [10, 9.5, 0, -0.5, -1] : [0.2, 0.2, 0.2, 0.2, 0.2] }
        for (value, expected) in zip(flat, [Float(0.63569), 0.58603, -0.35758, -0.40724, -0.4569]) { XCTAssertEqual(value, expected, accuracy: 1e-4) }
        weighted["loss_reduction"] = nil
        assertThrows(["loss_reduction"]) { try PoolFeatures(columns: weighted, count: 3, layout: likelihood) }
        // The incremental scores still equal the network on the fused state.
        var settings = PolicySettings(layout: layout)
        settings.hidden = 5
        let policy = SelectionPolicy(settings: settings, seed: 2)
        let progress = TrainingProgress(totalSteps: 2, poolSize: 3)
        for (a, b) in zip(policy.scores(layout.fusedState(features, progress)), policy.scores(features, progress)) {
            XCTAssertEqual(a, b, accuracy: 1e-5)
        }
    }

    func testThePriorStartsRelevantInstructionsAheadAndEvenly() throws {
        // 40 instructions, the first 8 relevant: their similarity is far above the pool's mean.
        let similarity: [Float] = (0..<40).map { i in i < 8 ? 1 + 0.1 * Float(i) : 0.01 * Float(i) }
        var columns = [String: [Float]]()
        columns[FeatureColumn.targetSimilarity] = similarity
        columns[FeatureColumn.gradientAlignment] = (0..<40).map { i in Float((i * 7) % 11) }
        columns[FeatureColumn.embedding(0)] = (0..<40).map { i in Float(i % 5) }
        columns[FeatureColumn.embedding(1)] = (0..<40).map { i in Float(i % 3) }
        let layout = StateLayout(groups: [.stage, .semantics, .availability, .relevance], semanticDimensions: 2)
        let features = try PoolFeatures(columns: columns, count: 40, layout: layout)
        let z = features.relevance!
        XCTAssertEqual(features.similarity(rank: 1), z[7, 0], "the most similar: instruction 7")
        XCTAssertEqual(features.similarity(rank: 8), z[0, 0], "the 8th: instruction 0, the least similar relevant one")
        var settings = PolicySettings(layout: layout)
        settings.relevancePrior = 0
        let plain = SelectionPolicy(settings: settings, seed: 4).scores(features, TrainingProgress(totalSteps: 4, poolSize: 40))
        settings.relevancePrior = 3
        let prior = SelectionPolicy(settings: settings, seed: 4).scores(features, TrainingProgress(totalSteps: 4, poolSize: 40))
        let top = prior.indices.sorted { prior[$0] > prior[$1] }.prefix(8)
        XCTAssertEqual(Set(top), Set(0..<8), "the relevant ones first")
        XCTAssertFalse(Set(plain.indices.sorted { plain[$0] > plain[$1] }.prefix(8)) == Set(0..<8), "a random start does not know them")
        let relevant = top.map { prior[$0] }
        XCTAssertLessThan(relevant.max()! - relevant.min()!, 1.5, "evenly: a ramp, not a line, over the relevant ones")
        XCTAssertGreaterThan(relevant.min()! - prior[8...].max()!, 1, "ahead of every other instruction")
        // A threshold at the most similar instruction's similarity: it alone gets the whole bonus.
        settings.relevanceThreshold = features.similarity(rank: 1)!
        let strict = SelectionPolicy(settings: settings, seed: 4).scores(features, TrainingProgress(totalSteps: 4, poolSize: 40))
        XCTAssertEqual(strict.indices.max { strict[$0] < strict[$1] }, 7)
    }

    /// The state of the prior's tests: one semantic column and the relevance group.
    private let priorLayout = StateLayout(groups: [.stage, .semantics, .availability, .relevance], semanticDimensions: 1)

    /// A pool whose target similarity is `similarity` (the other columns plain), in `priorLayout`.
    private func features(_ similarity: [Float]) throws -> PoolFeatures {
        let count = similarity.count
        return try PoolFeatures(columns: [FeatureColumn.targetSimilarity: similarity, FeatureColumn.gradientAlignment: [Float](repeating: 0, count: count),
                                          FeatureColumn.embedding(0): (0..<count).map { Float($0 % 7) }], count: count, layout: priorLayout)
    }

    /// The prior's ramp: at the budget's subset size-th similarity and one deviation wide when the ranking
    /// falls smoothly; at the edge of the target's look-alikes, and as wide as the fall, when they end within
    /// the subset — then they alone get the bonus.
    func testThePriorMovesToTheEdgeOfARareTargetsLookAlikes() throws {
        // 400 instructions whose similarity falls evenly: no edge, the default ramp.
        let smooth = try features((0..<400).map { Float(400 - $0) / 400 })
        XCTAssertEqual(smooth.relevanceEdge(subset: 120, minimumRecords: 8), RelevanceEdge(threshold: smooth.similarity(rank: 120)!, width: 1))
        // 20 look-alikes far above 380 that fall evenly: the edge is at rank 20, and it is as wide as the fall
        // from there to rank 22 (a tenth more records).
        let similarity: [Float] = (0..<400).map { $0 < 20 ? 3 - 0.001 * Float($0) : Float(400 - $0) / 400 }
        let rare = try features(similarity)
        let edge = try XCTUnwrap(rare.relevanceEdge(subset: 120, minimumRecords: 8))
        XCTAssertEqual(edge.threshold, rare.similarity(rank: 20)!)
        XCTAssertEqual(edge.width, rare.similarity(rank: 20)! - rare.similarity(rank: 22)!, accuracy: 1e-6)
        XCTAssertGreaterThan(edge.width, RelevanceEdge.minimumDrop)
        XCTAssertEqual(rare.relevanceEdge(subset: 10, minimumRecords: 8)?.width, 1, "an edge beyond the subset does not count")
        XCTAssertEqual(rare.relevanceEdge(subset: 120, minimumRecords: 30)?.width, 1, "nor one above the fewest records the prior may keep")
        // A shallow edge counts when it is sharp: 20 look-alikes only a little above the rest (a fall of a third of a
        // deviation, 16 times the subset's mean fall over two records).
        let shallow = try features((0..<400).map { $0 < 20 ? 1.05 - 0.0001 * Float($0) : Float(400 - $0) / 400 })
        let shallowEdge = try XCTUnwrap(shallow.relevanceEdge(subset: 120, minimumRecords: 8))
        XCTAssertEqual(shallowEdge.threshold, shallow.similarity(rank: 20)!)
        XCTAssertLessThan(shallowEdge.width, 0.5)
        // A fall that is steep but even is no edge: 200 instructions falling by a sixth of a deviation every 11
        // records, through the whole subset and beyond it.
        let steep = try features((0..<400).map { $0 < 200 ? 2 - 0.01 * Float($0) : 0 })
        XCTAssertGreaterThan(steep.similarity(rank: 119)! - steep.similarity(rank: 130)!, RelevanceEdge.minimumDrop)
        XCTAssertEqual(steep.relevanceEdge(subset: 120, minimumRecords: 8), RelevanceEdge(threshold: steep.similarity(rank: 120)!, width: 1))
        // A policy built on it gives the 20 the whole bonus and the rest none: raising the prior from 5 to 10
        // (the same random start otherwise) adds 5 to their scores and nothing to the others'.
        var settings = PolicySettings(layout: priorLayout)
        (settings.relevanceThreshold, settings.relevanceWidth) = (edge.threshold, edge.width)
        let progress = TrainingProgress(totalSteps: 4, poolSize: 400)
        let five = SelectionPolicy(settings: settings, seed: 3).scores(rare, progress)
        settings.relevancePrior = 10
        let bonus = zip(SelectionPolicy(settings: settings, seed: 3).scores(rare, progress), five).map { $0 - $1 }
        for i in 0..<20 { XCTAssertEqual(bonus[i], 5, accuracy: 1e-4, "look-alike \(i)") }
        for i in 22..<400 { XCTAssertEqual(bonus[i], 0, accuracy: 1e-4, "instruction \(i)") }
    }

    /// The prior's bonus leaves the records off its ramp a set share of the first draws: on a pool of 20
    /// look-alikes far above 380 others, share = 380 / (20 e^b + 380), so b = ln(380 (1 − s) / (20 s)) — and
    /// with 5 look-alikes, ln(395 (1 − s) / (5 s)): stronger; a pool with a ramp in between holds the share
    /// exactly too; no bonus when the records off the ramp hold no more than the share anyway.
    func testThePriorsBonusLeavesTheRecordsOffItsRampASetShare() throws {
        let twoLevels = try features((0..<400).map { $0 < 20 ? 3 : 0 })
        let edge = RelevanceEdge(threshold: twoLevels.similarity(rank: 1)!, width: 1)  // the 380 lie 4.6 deviations below
        XCTAssertEqual(try XCTUnwrap(twoLevels.relevanceBonus(edge: edge, spill: 0.03)), Float(log(380 * 0.97 / (20 * 0.03))), accuracy: 1e-4)
        XCTAssertEqual(twoLevels.relevanceBonus(edge: edge, spill: 0.96), 0, "380 of 400 hold 95% without a bonus")
        let fewer = try features((0..<400).map { $0 < 5 ? 3 : 0 })
        XCTAssertEqual(try XCTUnwrap(fewer.relevanceBonus(edge: RelevanceEdge(threshold: fewer.similarity(rank: 1)!, width: 1), spill: 0.03)),
                       Float(log(395 * 0.97 / (5 * 0.03))), accuracy: 1e-4, "5 look-alikes instead of 20: a stronger bonus")
        // A smooth ranking: the ramp holds records between 0 and the whole bonus; the share is still the one asked for.
        let smooth = try features((0..<400).map { Float(400 - $0) / 400 })
        let ramp = try XCTUnwrap(smooth.relevanceEdge(subset: 40, minimumRecords: 8))
        let bonus = Double(try XCTUnwrap(smooth.relevanceBonus(edge: ramp)))
        let z = (1...400).map { Double(smooth.similarity(rank: $0)!) }
        let weights = z.map { exp(bonus * min(max(($0 - Double(ramp.threshold)) / Double(ramp.width) + 1, 0), 1)) }
        let off = weights.filter { $0 == 1 }.count
        XCTAssertGreaterThan(off, 100)
        XCTAssertEqual(Double(off) / weights.reduce(0, +), PoolFeatures.defaultPriorSpill, accuracy: 1e-6)
        let paperState = try PoolFeatures(columns: [FeatureColumn.embedding(0): [0, 1, 2]], count: 3,
                                          layout: StateLayout(groups: [.stage, .semantics, .availability], semanticDimensions: 1))
        XCTAssertNil(paperState.relevanceBonus(edge: edge), "no relevance group, no prior")
    }

    /// 96 records in 8 semantic groups whose embeddings barely tell them apart; only the relevant ones (group 0)
    /// raise the reward. The relevance columns are noisy signs of it (as target similarity and gradient
    /// alignment are). Episodes until a policy picks > 90% relevant records.
    private func episodesToLearn(groups: [StateGroup]) throws -> Int {
        var rng = RandomGenerator(seed: 9)
        let members = (0..<96).map { $0 % 8 }
        var columns = [String: [Float]]()
        for d in 0..<4 { columns[FeatureColumn.embedding(d)] = members.map { Float($0 == d ? 0.5 : 0) + rng.nextNormal() } }
        columns[FeatureColumn.targetSimilarity] = members.map { Float($0 == 0 ? 1 : 0) + 0.3 * rng.nextNormal() }
        columns[FeatureColumn.gradientAlignment] = members.map { Float($0 == 0 ? 1 : 0) + 0.5 * rng.nextNormal() }
        let layout = StateLayout(groups: groups, semanticDimensions: 4)
        var policySettings = PolicySettings(layout: layout)
        (policySettings.hidden, policySettings.relevancePrior) = (16, 0)  // what the state alone teaches
        let environment = ToyEnvironment(groups: members)
        let pool = try PolicyPool(columns: columns, count: 96, settings: policySettings, seed: 1)
        var settings = PolicyTrainingSettings(steps: 8, batchSize: 4, seed: 1)
        settings.ppo.learningRate = 1e-2
        let trainer = PolicyTrainer(policy: SelectionPolicy(settings: policySettings, seed: 1), pool: pool, environment: environment, settings: settings)
        for episode in 0..<200 {
            let picks = try trainer.runEpisode(episode).picks
            if Double(picks.filter { members[$0] == 0 }.count) / Double(picks.count) > 0.9 { return episode + 1 }
        }
        return 200
    }

    func testARelevantStateLearnsInFewerEpisodes() throws {
        let withRelevance = try episodesToLearn(groups: [.stage, .semantics, .availability, .relevance])
        let without = try episodesToLearn(groups: [.stage, .semantics, .availability])
        XCTAssertLessThan(withRelevance, 200, "with relevance the policy gets there")
        XCTAssertLessThan(withRelevance, without, "episodes to > 90% relevant picks: \(withRelevance) with relevance, \(without) without")
    }
}
