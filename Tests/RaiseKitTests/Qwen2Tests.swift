// model.llama with a Qwen2: a tiny Qwen2 with random weights and a 401-token tokenizer, as transformers and
// HF tokenizers save them, and as a GGUF file laid out as llama.cpp's converter does
// (Tests/Fixtures/qwen2/make_tiny_qwen2.py), against what they compute — the pre-tokenizer's words, the token
// ids, the per-token losses and next-token log-probabilities of transformers' Qwen2 — then its weights read
// from shards, a fine-tuned model saved and read back, by raise and as an HF folder, and the fields raise does
// not compute refused by name.
import Foundation
@testable import RaiseKit
import RaiseTestSupport
import XCTest

final class Qwen2Tests: XCTestCase {
    private let folder = fixturesFolder + "/qwen2/tiny-qwen2"
    private let gguf = fixturesFolder + "/qwen2/tiny-qwen2.gguf"

    private func fixture() throws -> TinyModelFixture { try TinyModelFixture("qwen2", reference: "tiny_qwen2_reference.json") }
    private func reference() throws -> JSONObject { try fixture().reference }
    private func ids(_ value: JSONValue?) throws -> [Int32] { try TinyModelFixture.ids(value) }
    private func registry() throws -> PluginRegistry { try TinyModelFixture.registry() }
    private func model(_ registry: PluginRegistry, _ spec: String) throws -> any LanguageModel { try TinyModelFixture.model(registry, spec) }

    /// Qwen2's pattern cuts each text (in NFC) into the words HF tokenizers' Split gives: contractions in any
    /// case, a tab or bracket leading a word, digits one by one, line breaks kept with what precedes them — on
    /// chosen texts and on 600 random strings of the characters the pattern tells apart.
    func testTheQwen2PreTokenizerCutsTheWordsHuggingFaceDoes() throws {
        try fixture().assertWordsMatch(.qwen2)
    }

    /// The tokenizer.json of a Qwen2 folder, and the GGUF file's tokenizer, give HF tokenizers' ids (special
    /// tokens matched as text, the rest in NFC: "Cafe\u{301}" is "Café"), the roles from tokenizer_config.json;
    /// written out again by raise, the tokenizer reads back the same.
    func testAQwen2TokenizerGivesHuggingFaceIds() throws {
        let tokenizer = try BytePairTokenizer(huggingFace: folder + "/tokenizer.json")
        let fromGGUF = try BytePairTokenizer(gguf: GGUFFile(path: gguf))
        let cases = try XCTUnwrap(reference()["cases"]?.arrayValue).compactMap(\.objectValue)
        for case_ in cases {
            let text = try XCTUnwrap(case_["text"]?.stringValue)
            XCTAssertEqual(tokenizer.encode(text), try ids(case_["ids"]), text)
            XCTAssertEqual(fromGGUF.encode(text), try ids(case_["ids"]), "GGUF: \(text)")
        }
        XCTAssertEqual(fromGGUF.specialTokens, tokenizer.specialTokens)
        XCTAssertEqual(tokenizer.specialTokens.eos, tokenizer.specialTokens.byText["<|im_end|>"])
        XCTAssertEqual(tokenizer.specialTokens.pad, tokenizer.specialTokens.byText["<|endoftext|>"])
        XCTAssertNil(tokenizer.specialTokens.bos)
        let toolCall = try XCTUnwrap(tokenizer.specialTokens.byText["<tool_call>"])
        XCTAssertEqual(tokenizer.specialTokens.nonSpecial, [toolCall], "HF's special: false, GGUF's user-defined")

        let saved = try scratchFolder(self)
        try tokenizer.saveHuggingFace(directory: saved, maxLength: 64)
        let again = try BytePairTokenizer(huggingFace: saved + "/tokenizer.json")
        try tokenizer.save(directory: saved + "/raise")
        let raiseFolder = try BytePairTokenizer(directory: saved + "/raise")
        for case_ in cases {
            let text = try XCTUnwrap(case_["text"]?.stringValue)
            XCTAssertEqual(again.encode(text), tokenizer.encode(text), text)
            XCTAssertEqual(raiseFolder.encode(text), tokenizer.encode(text), text)
        }
        XCTAssertEqual(again.specialTokens, tokenizer.specialTokens)
        XCTAssertEqual(raiseFolder.specialTokens, tokenizer.specialTokens)
        let added = try XCTUnwrap(JSONValue.readObject(path: saved + "/tokenizer.json")["added_tokens"]?.arrayValue).compactMap(\.objectValue)
        XCTAssertEqual(added.filter { $0["special"] == .bool(false) }.map { $0["content"] }, [.string("<tool_call>")])
    }

    /// A tokenizer.json whose normalizer raise would not apply is refused, naming the field: Qwen2's pattern
    /// without its NFC, or GPT-2's ByteLevel after a Lowercase.
    func testANormalizerRaiseDoesNotApplyIsRefused() throws {
        let original = try JSONValue.readObject(path: folder + "/tokenizer.json")
        let scratch = try scratchFolder(self)
        for (normalizer, preTokenizer) in [(JSONValue.null, original["pre_tokenizer"]!),
                                           (.object(JSONObject([("type", .string("Lowercase"))])),
                                            .object(JSONObject([("type", .string("ByteLevel")), ("add_prefix_space", .bool(false))])))] {
            var edited = original
            (edited["normalizer"], edited["pre_tokenizer"]) = (normalizer, preTokenizer)
            try AtomicFile.write(JSONValue.object(edited).serialized, to: scratch + "/tokenizer.json")
            assertThrows([scratch + "/tokenizer.json", "field 'normalizer'", "not supported"]) {
                _ = try BytePairTokenizer(huggingFace: scratch + "/tokenizer.json")
            }
        }
    }

    /// The post-processor decides BOS, as in transformers' fast tokenizers: a template `[BOS] $A` (here in a
    /// Sequence after ByteLevel, as Llama 3 has it) makes that token BOS, whatever tokenizer_config.json says,
    /// and raise writes the template back; one that adds a token after the text, or a processor raise does not
    /// read, is refused naming the field.
    func testTheTemplateThatPutsBOSFirstIsRead() throws {
        let original = try JSONValue.readObject(path: folder + "/tokenizer.json")
        let scratch = try scratchFolder(self)
        try FileManager.default.copyItem(atPath: folder + "/tokenizer_config.json", toPath: scratch + "/tokenizer_config.json")
        func item(_ kind: String, _ id: String) -> JSONValue {
            .object(JSONObject([(kind, .object(JSONObject([("id", .string(id)), ("type_id", .number(0))])))]))
        }
        func read(_ single: [JSONValue], type: String = "TemplateProcessing") throws -> BytePairTokenizer {
            var edited = original
            let template = JSONValue.object(JSONObject([("type", .string(type)), ("single", .array(single))]))
            edited["post_processor"] = .object(JSONObject([("type", .string("Sequence")),
                                                          ("processors", .array([.object(JSONObject([("type", .string("ByteLevel"))])), template]))]))
            try AtomicFile.write(JSONValue.object(edited).serialized, to: scratch + "/tokenizer.json")
            return try BytePairTokenizer(huggingFace: scratch + "/tokenizer.json")
        }
        let plain = try BytePairTokenizer(huggingFace: folder + "/tokenizer.json")
        let endOfText = try XCTUnwrap(plain.specialTokens.byText["<|endoftext|>"])
        let withBOS = try read([item("SpecialToken", "<|endoftext|>"), item("Sequence", "A")])
        XCTAssertNil(plain.specialTokens.bos)
        XCTAssertEqual(withBOS.specialTokens.bos, endOfText)
        XCTAssertEqual(withBOS.specialTokens.eos, plain.specialTokens.eos, "tokenizer_config.json still names EOS")

        let saved = scratch + "/saved"
        try withBOS.saveHuggingFace(directory: saved, maxLength: 64)
        XCTAssertEqual(try BytePairTokenizer(huggingFace: saved + "/tokenizer.json").specialTokens, withBOS.specialTokens)
        try plain.saveHuggingFace(directory: scratch + "/saved-plain", maxLength: 64)
        XCTAssertEqual(try JSONValue.readObject(path: scratch + "/saved-plain/tokenizer.json")["post_processor"], .null)

        for (single, type, message) in [([item("Sequence", "A"), item("SpecialToken", "<|im_end|>")], "TemplateProcessing", "single template of $A"),
                                        ([item("SpecialToken", "<unknown>"), item("Sequence", "A")], "TemplateProcessing", "not one of the added tokens"),
                                        ([item("Sequence", "A")], "RobertaProcessing", "ByteLevel and one TemplateProcessing")] {
            assertThrows([scratch + "/tokenizer.json", "field 'post_processor'", message]) { _ = try read(single, type: type) }
        }
    }

    /// transformers' Qwen2 and raise's give the same per-token losses (the q/k/v biases included) and the same
    /// next-token log-probabilities, read from the HF folder or from the GGUF file; greedy decoding through the
    /// key/value cache agrees with full passes.
    func testLossesAndLogProbabilitiesMatchTransformers() throws {
        let registry = try registry()
        for path in [folder, gguf] { try fixture().assertMatchesTransformers(model(registry, "llama:path=\"\(path)\",ctx=64"), read: path) }
        try fixture().assertCachedDecodingMatchesFullPasses(model(registry, "llama:path=\"\(folder)\",ctx=64"))
    }

    /// A model's settings name its family only when it is not LLaMA, so that a LLaMA's read as before Qwen2 was
    /// added and the features cached under them stay valid; a checkpoint without a family is a LLaMA.
    func testOnlyAQwen2NamesItsFamilyInItsSettings() throws {
        let registry = try registry()
        XCTAssertEqual(try model(registry, "llama:path=\"\(folder)\",ctx=64").configuration["model_type"], .string("qwen2"))
        let asLlama = try scratchFolder(self)
        for file in ["model.safetensors", "tokenizer.json", "tokenizer_config.json"] {
            try FileManager.default.copyItem(atPath: folder + "/" + file, toPath: asLlama + "/" + file)
        }
        var config = try JSONValue.readObject(path: folder + "/config.json")
        config["model_type"] = .string("llama")
        try AtomicFile.write(JSONValue.object(config).serialized, to: asLlama + "/config.json")
        let llama = try model(registry, "llama:path=\"\(asLlama)\",ctx=64")  // the biases left unread
        XCTAssertNil(llama.configuration["model_type"])
        XCTAssertNotEqual(FeatureCache.settingsFingerprint(of: llama),
                          FeatureCache.settingsFingerprint(of: try model(registry, "llama:path=\"\(folder)\",ctx=64")))
    }

    /// A folder whose weights are sharded as the Hub ships large models (model.safetensors.index.json and the
    /// shards its weight_map names) loads to the same model; a parameter the map leaves out, or maps outside
    /// the folder, is an error naming the index and the parameter.
    func testShardedWeightsLoadAsOneFile() throws {
        let registry = try registry()
        let whole = try model(registry, "llama:path=\"\(folder)\",ctx=64")
        let sharded = try scratchFolder(self)
        for file in ["config.json", "tokenizer.json", "tokenizer_config.json"] {
            try FileManager.default.copyItem(atPath: folder + "/" + file, toPath: sharded + "/" + file)
        }
        let tensors = Checkpoint.named(whole.parameters)
        let half = tensors.count / 2
        var weightMap = JSONObject()
        for (shard, part) in [("model-00001-of-00002.safetensors", tensors[..<half]), ("model-00002-of-00002.safetensors", tensors[half...])] {
            try Safetensors.write(Array(part), to: sharded + "/" + shard)
            for (name, _) in part { weightMap[name] = .string(shard) }
        }
        func writeIndex(_ map: JSONObject) throws {
            try AtomicFile.write(JSONValue.object(JSONObject([("weight_map", .object(map))])).serialized, to: sharded + "/model.safetensors.index.json")
        }
        try writeIndex(weightMap)
        let chat = try ids(XCTUnwrap(reference()["chat"]?.objectValue)["ids"])
        let example = [TokenizedExample(ids: chat, lossMask: chat.indices.map { $0 == 0 ? 0 : 1 })]
        XCTAssertEqual(try model(registry, "llama:path=\"\(sharded)\",ctx=64").exampleLosses(example), try whole.exampleLosses(example))

        let name = tensors[half].name
        for shard in [JSONValue.null, .string("../model-00002-of-00002.safetensors")] {
            var broken = weightMap
            broken[name] = shard
            try writeIndex(broken)
            assertThrows([sharded + "/model.safetensors.index.json", name, "weight_map"]) {
                _ = try self.model(registry, "llama:path=\"\(sharded)\",ctx=64")
            }
        }
    }

    /// Fine-tuned, a Qwen2 model saves as raise's checkpoint and as a Qwen2 HF folder (model_type, the biases
    /// among the weights, the tokenizer's NFC), and both read back to the same losses; a family, or a
    /// sliding window, raise does not compute is refused by name.
    func testAFineTunedQwen2SavesAndReloads() throws {
        let registry = try registry()
        let model = try model(registry, "llama:path=\"\(folder)\",ctx=64")
        let batch = try TinyModelFixture.fineTune(model, template: .chatml)

        let saved = try scratchFolder(self) + "/ckpt"
        try Checkpoint.saveModel(model, to: saved)
        let reloaded = try self.model(registry, "llama:checkpoint=\(saved)")
        XCTAssertEqual(try reloaded.exampleLosses(batch), try model.exampleLosses(batch))
        let config = try JSONValue.readObject(path: saved + "/config.json")
        XCTAssertEqual(config["model_type"], .string("qwen2"))
        XCTAssertEqual(config["architectures"], .array([.string("Qwen2ForCausalLM")]))
        try FileManager.default.moveItem(atPath: saved + "/tokenizer", toPath: saved + "-raise-tokenizer")
        XCTAssertEqual(try JSONValue.readObject(path: saved + "/tokenizer.json")["normalizer"], .object(JSONObject([("type", .string("NFC"))])))
        let fromHF = try self.model(registry, "llama:path=\(saved),ctx=64")
        XCTAssertEqual(try fromHF.exampleLosses(batch), try model.exampleLosses(batch), "the biases saved and read back")

        for (field, value, message) in [("model_type", JSONValue.string("mistral"), "llama, qwen2 and qwen3 families"),
                                        ("use_sliding_window", .bool(true), "whole context"),
                                        ("layer_types", .array([.string("sliding_attention"), .string("full_attention")]), "every layer")] {
            var bad = config
            bad[field] = value
            try AtomicFile.write(JSONValue.object(bad).serialized, to: saved + "/config.json")
            assertThrows([saved + "/config.json", "field '\(field)'", message]) { _ = try self.model(registry, "llama:path=\(saved),ctx=64") }
        }
    }
}
