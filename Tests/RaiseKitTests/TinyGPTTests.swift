// model.tinygpt through the plugin boundary: it overfits one batch, its whole-model gradient matches
// finite differences, checkpoints round-trip bit-exactly, the same seed gives the same loss curve,
// decoding with the key/value cache equals decoding without it (and a batch of prompts decoded together
// equals each alone), next-token log-probabilities from one pass equal each candidate's loss, an evaluation
// in parts scores the batches of one call (its progress counted in tokens, or answers), and `raise pretrain`
// killed and resumed ends where an uninterrupted run ends.
import Foundation
@testable import RaiseKit
import RaiseTestSupport
import XCTest

final class TinyGPTTests: XCTestCase {
    private static let corpus = (0..<60).map { "Add \($0 % 7) and \($0 % 5). The sum is \($0 % 7 + $0 % 5)." }

    /// A tiny model of the plugin, with a tokenizer trained on the corpus and saved to a scratch folder.
    private func model(seed: UInt64 = 1, layers: Int = 2, d: Int = 16, ctx: Int = 32) throws -> (any LanguageModel, PluginRegistry, String) {
        let folder = try scratchFolder(self)
        try BytePairTrainer.train(texts: TinyGPTTests.corpus, vocabularySize: 300).save(directory: folder + "/tok")
        let registry = PluginRegistry()
        try PluginLoader(registry: registry).load(file: builtLibrary("RaisePluginTinyGPT"))
        let spec = try PluginSpec(parsing: "tinygpt:layers=\(layers),heads=2,d=\(d),ctx=\(ctx),tokenizer=\(folder)/tok", option: "--model")
        return (try registry.make(spec, kind: .model, seed: seed, as: (any LanguageModel).self), registry, folder)
    }

    private func examples(_ model: any LanguageModel, count: Int = 4) throws -> [TokenizedExample] {
        try (0..<count).map { i in
            let ids = model.tokenizer.encode(TinyGPTTests.corpus[i])
            return TokenizedExample(ids: ids, lossMask: [0] + Array(repeating: 1, count: ids.count - 1))
        }
    }

    /// Only scored positions reach the vocabulary projection; losses and gradients equal those of the
    /// projection of every position, masked afterwards.
    func testLogitsOnlyAtScoredPositionsGiveTheFullComputation() throws {
        let (model, _, _) = try model(d: 32)
        let decoder = try XCTUnwrap(model as? any DecoderLanguageModel)
        // Prompts of different lengths, one example without answer tokens, and padding (lengths differ).
        let batch = try examples(model, count: 5).enumerated().map { i, example in
            TokenizedExample(ids: example.ids, lossMask: example.lossMask.enumerated().map { t, w in i == 3 || t < 2 + i ? 0 : w })
        }
        let padded = TokenBatch(batch, contextLength: model.contextLength, padID: decoder.padID)
        XCTAssertLessThan(padded.scoredTokens, padded.mask.count / 2 + padded.mask.count / 3)
        func full(recording: Bool) -> (tape: Tape, losses: Variable) {
            let tape = Tape(recording: recording)
            let hidden = decoder.forward(padded.inputs, batch: padded.batch, length: padded.length, position: 0, cache: nil, tape: tape)
            let losses = tape.crossEntropy(decoder.logits(hidden, tape: tape), targets: padded.targets, mask: padded.mask,
                                           reduction: .perExample(rows: Array(repeating: padded.length, count: padded.batch)))
            return (tape, losses)
        }
        assertClose(try model.exampleLosses(batch), full(recording: false).losses.value.scalars, tolerance: 1e-6)
        XCTAssertEqual(try model.exampleLosses(batch)[3], 0)

        model.parameters.zeroGrads()
        let (tape, losses) = full(recording: true)
        let perExampleTokens = (0..<padded.batch).map { b in Float(padded.mask[b * padded.length..<(b + 1) * padded.length].reduce(0, +)) }
        let sum = tape.sum(tape.mul(losses, Variable(Tensor(shape: [padded.batch], values: perExampleTokens))))
        try tape.backward(from: sum)
        let expected = model.parameters.grads.scalars
        model.parameters.zeroGrads()
        let result = try model.accumulateGradients(batch)
        XCTAssertEqual(result.tokens, padded.scoredTokens)
        XCTAssertEqual(result.lossSum, Double(sum.value.scalar), accuracy: 1e-4)
        assertClose(model.parameters.grads.scalars, expected, tolerance: 1e-5)
    }

    /// A batch of short and long examples is trained in passes of similar length (MicroBatches); the
    /// step's loss and new weights are those of the examples one at a time (no padding at all), up to rounding.
    func testPassesOfSimilarLengthGiveTheStepOfUnpaddedExamples() throws {
        let lines = try examples(model().0, count: 8)
        let (a, _, _) = try model(d: 32, ctx: 64), (b, _, _) = try model(d: 32, ctx: 64)
        // Lengths from one sentence to four: a single pass would be half padding.
        let batch = lines.indices.map { i in
            let parts = lines[i..<min(lines.count, i + 1 + (i % 4))]
            return TokenizedExample(ids: parts.flatMap(\.ids), lossMask: parts.flatMap(\.lossMask))
        }
        XCTAssertGreaterThan(MicroBatches.split(lengths: batch.map(\.ids.count), maxRows: 16).count, 1)
        var oneAtATime = TrainerSettings(schedule: .constant(1e-2))
        oneAtATime.microBatchSize = 1
        let lossA = try ModelTrainer(model: a, settings: TrainerSettings(schedule: .constant(1e-2))).step(batch)
        let lossB = try ModelTrainer(model: b, settings: oneAtATime).step(batch)
        XCTAssertEqual(lossA, lossB, accuracy: 1e-5)
        assertClose(a.parameters.values.scalars, b.parameters.values.scalars, tolerance: 1e-5)
        XCTAssertNotEqual(a.parameters.values.scalars, try model(d: 32, ctx: 64).0.parameters.values.scalars)  // the step moved them
    }

    func testOverfitsOneBatch() throws {
        let (model, _, _) = try model(d: 32)
        // The token after "Add" differs between the four sentences, so it is prompt; all else is learnable.
        let batch = try examples(model).map { TokenizedExample(ids: $0.ids, lossMask: [0, 0] + $0.lossMask.dropFirst(2)) }
        var settings = TrainerSettings(schedule: .constant(3e-3))
        settings.weightDecay = 0
        let trainer = ModelTrainer(model: model, settings: settings)
        var loss: Float = .infinity
        for _ in 0..<300 { loss = try trainer.step(batch) }
        XCTAssertLessThan(loss, 0.05)
    }

    func testWholeModelGradientMatchesFiniteDifferences() throws {
        let (model, _, _) = try model(layers: 2, d: 8, ctx: 16)
        try assertModelGradientMatchesFiniteDifferences(model, batch: try examples(model, count: 2))
    }

    func testCheckpointRoundTripIsBitExact() throws {
        let (model, registry, folder) = try model()
        try Checkpoint.saveModel(model, to: folder + "/ckpt")
        let loaded = try registry.make(PluginSpec(parsing: "tinygpt:checkpoint=\(folder)/ckpt", option: "--model"), kind: .model, seed: 99,
                                       as: (any LanguageModel).self)
        XCTAssertEqual(loaded.parameters.values.scalars.map(\.bitPattern), model.parameters.values.scalars.map(\.bitPattern))
        XCTAssertEqual(loaded.configuration, model.configuration)
        let batch = try examples(model)
        XCTAssertEqual(try loaded.exampleLosses(batch), try model.exampleLosses(batch))
        assertThrows(["config.json", "cannot open"]) {
            try registry.make(PluginSpec(parsing: "tinygpt:checkpoint=\(folder)/none", option: "--model"), kind: .model, seed: 0,
                              as: (any LanguageModel).self)
        }
    }

    func testSameSeedSameLossCurve() throws {
        func curve() throws -> [Float] {
            let (model, _, _) = try self.model(seed: 7)
            let trainer = ModelTrainer(model: model, settings: TrainerSettings(schedule: .constant(3e-3)))
            let batch = try examples(model)
            return try (0..<5).map { _ in try trainer.step(batch) }
        }
        XCTAssertEqual(try curve(), try curve())
    }

    func testCachedDecodingEqualsFullRecomputation() throws {
        let (model, _, _) = try model(d: 32)
        let trainer = ModelTrainer(model: model, settings: TrainerSettings(schedule: .constant(1e-2)))
        let batch = try examples(model)
        for _ in 0..<40 { try trainer.step(batch) }
        let prompt = Array(batch[0].ids.prefix(4))
        let cached = try model.generate(prompt: prompt, maxNewTokens: 10, stop: [])
        XCTAssertEqual(cached.count, 10)
        // Token k of the cached decoding must be what a fresh forward over prompt + the first k tokens
        // (no cache: the whole prefix is recomputed) predicts first.
        for k in 1..<cached.count {
            XCTAssertEqual(try model.generate(prompt: prompt + cached[..<k], maxNewTokens: 1, stop: []), [cached[k]], "token \(k)")
        }
    }

    /// Prompts of different lengths decoded together (left-padded, finished ones leaving the batch) give
    /// what each gives alone; answers end at their own limit, a stop token or the context's end.
    func testBatchedDecodingEqualsDecodingEachPromptAlone() throws {
        let (model, _, _) = try model(d: 32, ctx: 24)
        let trainer = ModelTrainer(model: model, settings: TrainerSettings(schedule: .constant(1e-2)))
        let batch = try examples(model, count: 6)
        for _ in 0..<40 { try trainer.step(batch) }
        let prompts = batch.enumerated().map { i, example in Array(example.ids.prefix(1 + 3 * i)) }
        let limits = [12, 5, 30, 1, 9, 30]
        let alone = try zip(prompts, limits).map { try model.generate(prompt: $0, maxNewTokens: $1, stop: []) }
        XCTAssertEqual(try model.generate(prompts: prompts, maxNewTokens: limits, stop: []), alone)
        XCTAssertEqual(alone.map(\.count), zip(prompts, limits).map { min($1, 24 - $0.count) }, "each answer ends at its limit or the context's end")
        // A stop token ends the answers that produce it, and is kept.
        let stop = try XCTUnwrap(alone[0].first)
        let stopped = try model.generate(prompts: prompts, maxNewTokens: limits, stop: [stop])
        for (answer, full) in zip(stopped, alone) {
            let end = full.firstIndex(of: stop).map { $0 + 1 } ?? full.count
            XCTAssertEqual(answer, Array(full[..<end]))
        }
        XCTAssertEqual(stopped[0], [stop])
    }

    /// The next-token log-probabilities read from one pass over each prompt are a distribution over the
    /// vocabulary, and each is minus the loss of the prompt followed by that token — also for a prompt
    /// longer than the context, cut as an example is — which is what the protocol's default computes.
    func testNextTokenLogProbabilitiesAreMinusTheLossOfEachCandidate() throws {
        let (model, _, _) = try model(d: 32, ctx: 16)
        let trainer = ModelTrainer(model: model, settings: TrainerSettings(schedule: .constant(1e-2)))
        let batch = try examples(model, count: 6)
        for _ in 0..<40 { try trainer.step(batch) }
        let prompts = batch.enumerated().map { i, example in Array(example.ids.prefix(2 + 3 * i)) } + [batch[0].ids + batch[1].ids]
        XCTAssertGreaterThan(prompts.last!.count, 16, "one prompt is cut to the context")
        let vocabulary = (0..<Int32(model.tokenizer.vocabularySize)).map { $0 }
        let all = try model.nextTokenLogProbabilities(prompts: prompts, candidates: vocabulary)
        for (n, row) in all.enumerated() {
            XCTAssertEqual(row.reduce(0.0) { $0 + exp(Double($1)) }, 1, accuracy: 1e-4, "prompt \(n)")
        }
        let candidates: [Int32] = [5, 77, 260]
        let losses = try model.exampleLosses(try TokenizedExample.nextToken(candidates, after: prompts, backend: "test"))
        let some = try model.nextTokenLogProbabilities(prompts: prompts, candidates: candidates)
        for n in prompts.indices {
            for (k, candidate) in candidates.enumerated() {
                XCTAssertEqual(some[n][k], -losses[n * candidates.count + k], accuracy: 1e-5, "prompt \(n), token \(candidate)")
                XCTAssertEqual(some[n][k], all[n][Int(candidate)], accuracy: 1e-6)
            }
        }
        assertThrows(["model.tinygpt", "prompt 1 is empty"]) { try model.nextTokenLogProbabilities(prompts: [[1], []], candidates: [1]) }
    }

    /// An evaluation that reports its progress scores its examples in parts, yet forms the batches of one
    /// call: the same loss to the bit, over examples of many lengths in no order. The loss pass counts the
    /// examples' tokens (it goes shortest first), the answers pass by likelihood the prompts' tokens, greedy
    /// decoding the answers; each pass ends at its total.
    func testAnEvaluationReportingProgressGivesTheLossOfOneCall() throws {
        let (model, _, _) = try model(d: 32)
        let examples = (0..<300).map { i -> TokenizedExample in
            let ids = Array(model.tokenizer.encode(TinyGPTTests.corpus[i % 60]).prefix(3 + (i * 7) % 11))
            let prompt = 1 + i % 2
            return TokenizedExample(ids: ids, lossMask: Array(repeating: 0, count: prompt) + Array(repeating: 1, count: ids.count - prompt))
        }
        var passes = [(task: String, total: Int, unit: String, reporter: ProgressReporter)]()
        func progress(_ task: String, _ total: Int, _ unit: String) -> ProgressReporter {
            passes.append((task, total, unit, ProgressReporter(label: task, total: total, mode: .quiet, unit: unit)))
            return passes.last!.reporter
        }
        let reported = try TargetEvaluation(model: model, examples: examples, progress: progress)
        XCTAssertEqual(reported.loss.bitPattern, try TargetEvaluation(model: model, examples: examples).loss.bitPattern)
        let tokens = examples.reduce(0) { $0 + $1.ids.count }
        XCTAssertEqual(passes.map(\.task), ["loss"])
        XCTAssertEqual(passes.map(\.total), [tokens])
        XCTAssertEqual(passes.map(\.unit), ["token"])
        XCTAssertEqual(passes[0].reporter.shown.step, tokens)

        for (match, total, unit) in [(AnswerMatch.choiceLikelihood, 15, "token"), (.exact, 10, "answer")] {  // prompts of 1 and 2 tokens
            passes = []
            _ = try TargetEvaluation(model: model, examples: examples, answers: Array(repeating: "A", count: 10), match: match, progress: progress)
            XCTAssertEqual(passes.map(\.task), ["loss", "answers"], "\(match)")
            XCTAssertEqual(passes[1].total, total, "\(match)")
            XCTAssertEqual(passes[1].unit, unit, "\(match)")
            XCTAssertEqual(passes[1].reporter.shown.step, total, "\(match)")
        }
    }

    func testNonFiniteLossStopsBeforeAnyUpdate() throws {
        let (model, _, _) = try model()
        let batch = try examples(model)
        let trainer = ModelTrainer(model: model, settings: TrainerSettings(schedule: .constant(1e30)))
        try trainer.step(batch)  // an absurd learning rate: the weights blow up
        let before = model.parameters.values.scalars
        assertThrows(["step 1", "the loss is", "stopped before updating"]) { try trainer.step(batch) }
        XCTAssertEqual(model.parameters.values.scalars.map(\.bitPattern), before.map(\.bitPattern), "nothing was updated")
    }

    /// Scoring batches examples by length: each loss and embedding still lands at its example's position
    /// and equals the example scored alone, whatever the lengths around it.
    func testScoringInLengthOrderKeepsEachExamplesPlace() throws {
        let (model, _, _) = try model()
        let lengths = (0..<40).map { i in 3 + (i * 7) % 30 }  // more than one batch, lengths out of order
        let pool = lengths.enumerated().map { i, length in
            let ids = (0..<length).map { Int32(($0 * 13 + i * 5) % model.tokenizer.vocabularySize) }
            return TokenizedExample(ids: ids, lossMask: [0] + Array(repeating: 1, count: length - 1))
        }
        let (losses, embeddings) = (try model.exampleLosses(pool), try model.embeddings(pool))
        // The embedding pass reports the examples done after each batch, up to all of them, with the same values.
        var reported = [Int]()
        XCTAssertEqual(try model.embeddings(pool, progress: { reported.append($0) }).scalars, embeddings.scalars)
        XCTAssertEqual(reported, Array(stride(from: ScoringOrder.batchSize, to: 40, by: ScoringOrder.batchSize)) + [40])
        for i in [0, 1, 17, 39] {
            assertClose([losses[i]], try model.exampleLosses([pool[i]]), tolerance: 1e-5)
            assertClose(embeddings.row(i).scalars, try model.embeddings([pool[i]]).row(0).scalars, tolerance: 1e-5)
        }
    }

    func testEmbeddingsArePooledPerExample() throws {
        let (model, _, _) = try model()
        let batch = try examples(model, count: 3)
        let together = try model.embeddings(batch)
        XCTAssertEqual(together.shape, [3, 16])
        let alone = try model.embeddings([batch[1]])
        assertClose(together.row(1).scalars, alone.row(0).scalars, tolerance: 1e-5)
    }
}

final class ParallelKernelTests: XCTestCase {
    private static let texts = (0..<64).map { "sample \($0): \(String(repeating: "ab", count: $0 % 9))" }

    /// A registry with TinyGPT loaded and a tokenizer for `texts`, in a scratch folder.
    private func setUp(_ folder: String) throws -> PluginRegistry {
        try BytePairTrainer.train(texts: ParallelKernelTests.texts, vocabularySize: 300).save(directory: folder + "/tok")
        let registry = PluginRegistry()
        try PluginLoader(registry: registry).load(file: builtLibrary("RaisePluginTinyGPT"))
        return registry
    }

    /// `texts` as `model` reads them, the first `prompt` tokens of each unscored.
    private func examples(_ model: any LanguageModel, prompt: Int) -> [TokenizedExample] {
        ParallelKernelTests.texts.map { text in
            let ids = model.tokenizer.encode(text)
            return TokenizedExample(ids: ids, lossMask: Array(repeating: 0, count: prompt) + Array(repeating: 1, count: ids.count - prompt))
        }
    }

    /// Runs `body` once at each thread count up to the machine's cores (at most 4) and returns what each
    /// run gave; skipped on one core, where there is no other count to compare with.
    private func atThreadCounts<Result>(_ body: () throws -> Result) throws -> [Result] {
        let counts = Array(1...min(ProcessEnvironment.coreCount, 4))
        guard counts.count > 1 else { throw XCTSkip("one core: there is no other thread count to compare with") }
        let saved = BLAS.threads
        defer { BLAS.threads = saved }
        return try counts.map { threads in
            BLAS.threads = threads
            return try body()
        }
    }

    /// The parallel paths (row blocks, head groups, split products) compute the serial ones' bits: a large
    /// product is cut into the same blocks whatever the thread count.
    func testThreadCountsGiveTheSameLossesAndGradients() throws {
        let folder = try scratchFolder(self)
        let registry = try setUp(folder)
        let runs = try atThreadCounts { () -> (losses: [UInt32], grads: [UInt32]) in
            let model = try registry.make(PluginSpec(parsing: "tinygpt:layers=2,heads=4,d=64,ctx=64,tokenizer=\(folder)/tok", option: "--model"),
                                          kind: .model, seed: 5, as: (any LanguageModel).self)
            let batch = examples(model, prompt: 1)
            model.parameters.zeroGrads()
            _ = try model.accumulateGradients(batch)
            return (try model.exampleLosses(batch).map(\.bitPattern), model.parameters.grads.scalars.map(\.bitPattern))
        }
        for (threads, run) in runs.enumerated().dropFirst() {
            XCTAssertEqual(run.losses, runs[0].losses, "losses at \(threads + 1) threads")
            XCTAssertTrue(run.grads == runs[0].grads, "gradients differ at \(threads + 1) threads")
        }
    }

    /// Fine-tuning (forward, backward, gradient norm and clipping, AdamW) ends with the same weights, bit
    /// for bit, at every thread count up to the machine's cores (the products' cut follows the cores), for
    /// full fine-tuning and for low-rank adapters.
    func testThreadCountsTrainTheSameWeights() throws {
        let folder = try scratchFolder(self)
        let registry = try setUp(folder)
        for adapters in ["", ",lora=4"] {
            let runs = try atThreadCounts { () -> (curve: [UInt32], weights: [UInt32]) in
                let model = try registry.make(PluginSpec(parsing: "tinygpt:layers=2,heads=4,d=64,ctx=64,tokenizer=\(folder)/tok\(adapters)",
                                                         option: "--model"), kind: .model, seed: 5, as: (any LanguageModel).self)
                let pool = examples(model, prompt: 2)
                let trainer = ModelTrainer(model: model, settings: .fineTuning(peak: 3e-3, steps: 4))
                let curve = try (0..<4).map { step in try trainer.step(Array(pool[step * 16..<(step + 1) * 16])).bitPattern }
                return (curve, model.parameters.values.scalars.map(\.bitPattern))
            }
            for (threads, run) in runs.enumerated().dropFirst() {
                XCTAssertEqual(run.curve, runs[0].curve, "losses at \(threads + 1) threads\(adapters)")
                XCTAssertTrue(run.weights == runs[0].weights, "weights differ at \(threads + 1) threads\(adapters)")
            }
        }
    }
}
