// model.llama with a Llama 3: a tiny Llama 3 with random weights, Llama 3's RoPE scaling and a 403-token
// tokenizer of Llama 3's layout, as transformers and HF tokenizers save them, and as a GGUF file laid out as
// llama.cpp's converter does (Tests/Fixtures/llama3/make_tiny_llama3.py), against what they compute — the
// pre-tokenizer's words, the token ids (whole words before merges), the scaling's divisors, the per-token
// losses and next-token log-probabilities of transformers' Llama, the chat template's text — then a fine-tuned
// model saved and read back, by raise and as an HF folder, and scalings raise does not compute refused by name.
import Foundation
@testable import RaiseKit
import RaiseTestSupport
import XCTest

final class Llama3Tests: XCTestCase {
    private let folder = fixturesFolder + "/llama3/tiny-llama3"
    private let gguf = fixturesFolder + "/llama3/tiny-llama3.gguf"

    private func fixture() throws -> TinyModelFixture { try TinyModelFixture("llama3", reference: "tiny_llama3_reference.json") }
    private func reference() throws -> JSONObject { try fixture().reference }
    private func ids(_ value: JSONValue?) throws -> [Int32] { try TinyModelFixture.ids(value) }
    private func registry() throws -> PluginRegistry { try TinyModelFixture.registry() }
    private func model(_ registry: PluginRegistry, _ spec: String) throws -> any LanguageModel { try TinyModelFixture.model(registry, spec) }

    /// Llama 3's pattern cuts each text into the words HF tokenizers' Split gives: Qwen2's cuts, but digits in
    /// runs of up to three and no normalization — on chosen texts and on 600 random strings.
    func testTheLlama3PreTokenizerCutsTheWordsHuggingFaceDoes() throws {
        try fixture().assertWordsMatch(.llama3)
    }

    /// The tokenizer.json of a Llama 3 folder, and the GGUF file's tokenizer, give HF tokenizers' ids — a word
    /// that is a token of its own is that token (`ignore_merges`), which plain BPE does not reach — with BOS
    /// from the post-processor; written out again by raise, both forms read back the same.
    func testALlama3TokenizerGivesHuggingFaceIds() throws {
        let tokenizer = try BytePairTokenizer(huggingFace: folder + "/tokenizer.json")
        let fromGGUF = try BytePairTokenizer(gguf: GGUFFile(path: gguf))
        XCTAssertEqual(tokenizer.preTokenizer, .llama3)
        XCTAssertTrue(tokenizer.ignoresMerges)
        XCTAssertTrue(fromGGUF.ignoresMerges, "llama.cpp's llama-bpe ignores merges")
        let cases = try XCTUnwrap(reference()["cases"]?.arrayValue).compactMap(\.objectValue)
        for case_ in cases {
            let text = try XCTUnwrap(case_["text"]?.stringValue)
            XCTAssertEqual(tokenizer.encode(text), try ids(case_["ids"]), text)
            XCTAssertEqual(fromGGUF.encode(text), try ids(case_["ids"]), "GGUF: \(text)")
        }
        let fine = try XCTUnwrap(tokenizer.encode(" fine").first)
        XCTAssertEqual(tokenizer.encode(" fine"), [fine])
        var merged = try JSONValue.readObject(path: folder + "/tokenizer.json")
        var model = try XCTUnwrap(merged["model"]?.objectValue)
        model["ignore_merges"] = .bool(false)
        merged["model"] = .object(model)
        let scratch = try scratchFolder(self)
        try AtomicFile.write(JSONValue.object(merged).serialized, to: scratch + "/tokenizer.json")
        XCTAssertNotEqual(try BytePairTokenizer(huggingFace: scratch + "/tokenizer.json").encode(" fine"), [fine],
                          "without ignore_merges the added word is out of reach")
        model["ignore_merges"] = .string("yes")
        merged["model"] = .object(model)
        try AtomicFile.write(JSONValue.object(merged).serialized, to: scratch + "/tokenizer.json")
        assertThrows([scratch + "/tokenizer.json", "field 'model.ignore_merges'"]) { _ = try BytePairTokenizer(huggingFace: scratch + "/tokenizer.json") }
        // ByteLevel that adds a space before the text, or that splits by GPT-2's pattern again after Llama 3's.
        let original = try JSONValue.readObject(path: folder + "/tokenizer.json")
        let steps = try XCTUnwrap(original["pre_tokenizer"]?.objectValue?["pretokenizers"]?.arrayValue)
        for (key, value, message) in [("add_prefix_space", JSONValue.bool(true), "add_prefix_space"), ("use_regex", .bool(true), "without its regex")] {
            var byteLevel = try XCTUnwrap(steps[1].objectValue), edited = original
            byteLevel[key] = value
            edited["pre_tokenizer"] = .object(JSONObject([("type", .string("Sequence")), ("pretokenizers", .array([steps[0], .object(byteLevel)]))]))
            try AtomicFile.write(JSONValue.object(edited).serialized, to: scratch + "/tokenizer.json")
            assertThrows([scratch + "/tokenizer.json", "field 'pre_tokenizer'", message]) { _ = try BytePairTokenizer(huggingFace: scratch + "/tokenizer.json") }
        }

        let roles = tokenizer.specialTokens
        XCTAssertEqual(roles.bos, roles.byText["<|begin_of_text|>"], "the post-processor's template")
        XCTAssertEqual(roles.eos, roles.byText["<|eot_id|>"])
        XCTAssertEqual(fromGGUF.specialTokens.bos, roles.bos)
        XCTAssertEqual(fromGGUF.specialTokens.eos, roles.eos)

        try tokenizer.saveHuggingFace(directory: scratch + "/hf", maxLength: 64)
        try tokenizer.save(directory: scratch + "/raise")
        for again in [try BytePairTokenizer(huggingFace: scratch + "/hf/tokenizer.json"), try BytePairTokenizer(directory: scratch + "/raise")] {
            XCTAssertTrue(again.ignoresMerges)
            XCTAssertEqual(again.preTokenizer, .llama3)
            XCTAssertEqual(again.specialTokens, tokenizer.specialTokens)
            for case_ in cases {
                let text = try XCTUnwrap(case_["text"]?.stringValue)
                XCTAssertEqual(again.encode(text), tokenizer.encode(text), text)
            }
        }
        XCTAssertEqual(try JSONValue.readObject(path: scratch + "/hf/tokenizer.json")["normalizer"], .null)
    }

    /// Llama 3's scaling divides each frequency as transformers does (the converter's `rope_freqs.weight`);
    /// from those divisors, rounded to Float32, the four numbers come back — for the fixture and for Llama 3.2's
    /// own (factor 32, bounds 1 and 4, context 8192, 64-wide heads, base 500 000); divisors no scaling gives, or
    /// with fewer than two blended, are none.
    func testTheLlama3ScalingIsRecoveredFromItsDivisors() throws {
        let fixture = Llama3RoPEScaling(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 8, originalContext: 256)
        let frequencies = RoPE.frequencies(headDim: 16, base: 500_000)
        let expected = try XCTUnwrap(reference()["rope_factors"]?.arrayValue).map { $0.numberValue! }
        for (divisor, wanted) in zip(fixture.divisors(of: frequencies), expected) { XCTAssertEqual(divisor, wanted, accuracy: 1e-6 * wanted) }
        XCTAssertEqual(Llama3RoPEScaling(divisors: expected.map { Double(Float($0)) }, of: frequencies), fixture)

        let llama32 = Llama3RoPEScaling(factor: 32, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalContext: 8192)
        let wide = RoPE.frequencies(headDim: 64, base: 500_000)
        let stored = llama32.divisors(of: wide).map { Double(Float($0)) }
        XCTAssertEqual(stored.filter { $0 > 1 && $0 < 32 }.count, 3)
        XCTAssertEqual(Llama3RoPEScaling(divisors: stored, of: wide), llama32)
        for (i, value) in zip(llama32.scaled(wide).indices, llama32.scaled(wide)) { XCTAssertEqual(value * stored[i], wide[i], accuracy: 1e-6 * wide[i]) }

        var bent = stored
        bent[16] *= 1.01
        XCTAssertNil(Llama3RoPEScaling(divisors: bent, of: wide), "a blended divisor off the line")
        bent = stored
        bent[2] = 2
        XCTAssertNil(Llama3RoPEScaling(divisors: bent, of: wide), "a high frequency divided")
        XCTAssertNil(Llama3RoPEScaling(divisors: stored.map { $0 == 1 ? 1 : 32 }, of: wide), "no blended band")
    }

    /// transformers' Llama with Llama 3's scaling and raise's give the same per-token losses and next-token
    /// log-probabilities, read from the HF folder or from the GGUF file, whose divisors give back the config's
    /// scaling (plain RoPE would not); greedy decoding through the key/value cache agrees with full passes.
    func testLossesAndLogProbabilitiesMatchTransformers() throws {
        let registry = try registry()
        let fromFolder = try model(registry, "llama:path=\"\(folder)\",ctx=128")
        let fromGGUF = try model(registry, "llama:path=\"\(gguf)\",ctx=128")
        let scaling = JSONValue.object(JSONObject([("rope_type", .string("llama3")), ("factor", .number(8)), ("low_freq_factor", .number(1)),
                                                   ("high_freq_factor", .number(8)), ("original_max_position_embeddings", .number(256))]))
        XCTAssertEqual(fromFolder.configuration["rope_scaling"], scaling)
        XCTAssertEqual(fromGGUF.configuration["rope_scaling"], scaling)
        for (model, path) in [(fromFolder, folder), (fromGGUF, gguf)] { try checkAgainstTransformers(model, read: path) }
        try fixture().assertCachedDecodingMatchesFullPasses(fromGGUF)

        let plain = try scratchFolder(self)
        for file in ["model.safetensors", "tokenizer.json", "tokenizer_config.json"] {
            try FileManager.default.copyItem(atPath: folder + "/" + file, toPath: plain + "/" + file)
        }
        var config = try JSONValue.readObject(path: folder + "/config.json")
        config["rope_parameters"] = .object(JSONObject([("rope_type", .string("default")), ("rope_theta", .number(500_000))]))
        try AtomicFile.write(JSONValue.object(config).serialized, to: plain + "/config.json")
        let chat = try ids(XCTUnwrap(reference()["chat"]?.objectValue)["ids"])
        let example = [TokenizedExample(ids: chat, lossMask: chat.indices.map { $0 == 0 ? 0 : 1 })]
        XCTAssertGreaterThan(abs(try model(registry, "llama:path=\(plain),ctx=128").exampleLosses(example)[0] - fromFolder.exampleLosses(example)[0]),
                             1e-3, "the scaling changes the model")
    }

    /// A GGUF file whose `rope_freqs.weight` is no Llama 3 scaling, or that rotates part of each head, is
    /// refused, naming the tensor or the key.
    func testAGGUFScalingRaiseDoesNotComputeIsRefused() throws {
        let scratch = try scratchFolder(self)
        func refusedAfterPatching(_ pattern: [UInt8], at offset: Int, with bytes: [UInt8], _ fragments: [String]) throws {
            let path = try TinyModelFixture.patchedCopy(of: gguf, replacing: pattern, at: offset, with: bytes, in: scratch)
            assertThrows([path] + fragments) { _ = try self.model(self.registry(), "llama:path=\(path),ctx=64") }
        }
        let divisors = try XCTUnwrap(reference()["rope_factors"]?.arrayValue).map { Float($0.numberValue!) }
        let stored = divisors.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        let bent = withUnsafeBytes(of: (divisors[2] * 1.1).bitPattern.littleEndian, Array.init)
        try refusedAfterPatching(stored, at: 8, with: bent, ["rope_freqs.weight", "not Llama 3's RoPE scaling"])
        let key = Array("llama.rope.dimension_count".utf8)
        try refusedAfterPatching(key, at: key.count + 4, with: [8, 0, 0, 0], ["'llama.rope.dimension_count'", "whole heads"])
    }

    private func checkAgainstTransformers(_ model: any LanguageModel, read path: String) throws {
        let chat = try XCTUnwrap(reference()["chat"]?.objectValue)
        XCTAssertEqual([model.tokenizer.specialTokens.bos!] + model.tokenizer.encode(try XCTUnwrap(chat["text"]?.stringValue)), try ids(chat["ids"]))
        try fixture().assertMatchesTransformers(model, read: path)
    }

    /// The llama3 template renders a chat as Llama 3 Instruct's chat template does in transformers (BOS first,
    /// each turn's text trimmed), trains on the answers and their <|eot_id|>, and generation stops there.
    func testTheLlama3TemplateIsLlama3InstructsChatTemplate() throws {
        let tokenizer = try BytePairTokenizer(huggingFace: folder + "/tokenizer.json")
        let chat = try XCTUnwrap(reference()["chat_template"]?.objectValue)
        let roles: [String: ChatRole] = ["system": .system, "user": .user, "assistant": .assistant]
        let turns = try XCTUnwrap(chat["messages"]?.arrayValue).compactMap(\.objectValue).map {
            ChatTurn(roles[$0["role"]!.stringValue!]!, $0["content"]!.stringValue!)
        }
        let record = InstructionRecord(id: "chat", turns: turns, source: SourceLocation(file: "t", line: 1), original: .text(""))
        let pieces = PromptTemplate.llama3.pieces(record, endOfResponse: "<|eot_id|>")
        XCTAssertEqual(pieces.map(\.text).joined(), try XCTUnwrap(chat["text"]?.stringValue))
        XCTAssertEqual(pieces.filter(\.trained).map(\.text), ["It is 42.<|eot_id|>", "It is 43.<|eot_id|>"])

        let example = try XCTUnwrap(PromptFormatter(template: .llama3, tokenizer: tokenizer, maxLength: 256).example(record))
        XCTAssertEqual(example.ids.first, tokenizer.specialTokens.bos)
        XCTAssertEqual(example.ids.filter { $0 == tokenizer.specialTokens.bos }.count, 1, "BOS once, from the template")
        let eot = try XCTUnwrap(tokenizer.specialTokens.byText["<|eot_id|>"])
        let trained = zip(example.ids, example.lossMask).filter { $0.1 == 1 }.map(\.0)
        XCTAssertEqual(trained.filter { $0 == eot }.count, 2)
        XCTAssertTrue(GreedyAnswers.stopTokens(tokenizer).contains(eot))

        let chatml = try BytePairTokenizer(huggingFace: fixturesFolder + "/qwen2/tiny-qwen2/tokenizer.json")
        assertThrows(["template llama3", "<|begin_of_text|>"]) { _ = try PromptFormatter(template: .llama3, tokenizer: chatml, maxLength: 64) }
    }

    /// Fine-tuned from the GGUF file, a Llama 3 saves as raise's checkpoint and as an HF folder with its scaling
    /// (transformers 5.x's rope_parameters and 4.x's rope_scaling), and both read back to the same losses; a
    /// scaling field out of range, or a GGUF scaling raise does not compute, is refused by name.
    func testAFineTunedLlama3SavesAndReloads() throws {
        let registry = try registry()
        let model = try model(registry, "llama:path=\"\(gguf)\",ctx=64")
        let batch = try TinyModelFixture.fineTune(model, template: .llama3)

        let saved = try scratchFolder(self) + "/ckpt"
        try Checkpoint.saveModel(model, template: .llama3, to: saved)
        XCTAssertEqual(try self.model(registry, "llama:checkpoint=\(saved)").exampleLosses(batch), try model.exampleLosses(batch))
        let config = try JSONValue.readObject(path: saved + "/config.json")
        XCTAssertEqual(config["rope_parameters"]?.objectValue?["rope_type"], .string("llama3"))
        XCTAssertEqual(config["rope_parameters"]?.objectValue?["original_max_position_embeddings"], .number(256))
        XCTAssertEqual(config["rope_scaling"]?.objectValue?["factor"], .number(8))
        try FileManager.default.moveItem(atPath: saved + "/tokenizer", toPath: saved + "-raise-tokenizer")
        XCTAssertEqual(try self.model(registry, "llama:path=\(saved),ctx=64").exampleLosses(batch), try model.exampleLosses(batch),
                       "the HF folder reads back with its scaling")
        var only5x = config
        only5x["rope_scaling"] = nil
        try AtomicFile.write(JSONValue.object(only5x).serialized, to: saved + "/config.json")
        XCTAssertEqual(try self.model(registry, "llama:path=\(saved),ctx=64").exampleLosses(batch), try model.exampleLosses(batch),
                       "rope_parameters alone, as transformers 5.x writes it")

        let scaling = try XCTUnwrap(config["rope_scaling"]?.objectValue)
        for (key, value, message) in [("high_freq_factor", JSONValue.number(0.5), "above low_freq_factor"),
                                      ("original_max_position_embeddings", .number(12.5), "a positive integer"),
                                      ("original_max_position_embeddings", .number(1e300), "a positive integer"), ("factor", .null, "1 or more")] {
            var bad = config, badScaling = scaling
            badScaling[key] = value
            bad["rope_scaling"] = .object(badScaling)
            try AtomicFile.write(JSONValue.object(bad).serialized, to: saved + "/config.json")
            assertThrows([saved + "/config.json", "field 'rope_scaling.\(key)'", message]) { _ = try self.model(registry, "llama:path=\(saved),ctx=64") }
        }
        var yarn = config
        yarn["rope_scaling"] = nil
        yarn["rope_parameters"] = .object(JSONObject([("rope_type", .string("yarn")), ("factor", .number(4))]))
        try AtomicFile.write(JSONValue.object(yarn).serialized, to: saved + "/config.json")
        assertThrows([saved + "/config.json", "field 'rope_parameters.rope_type'", "Llama 3's scaling"]) {
            _ = try self.model(registry, "llama:path=\(saved),ctx=64")
        }
    }
}
