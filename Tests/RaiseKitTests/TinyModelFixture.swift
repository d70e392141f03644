// TinyModelFixture: a tiny model of random weights that a fixture script made with transformers and HF
// tokenizers (Tests/Fixtures/qwen2, Tests/Fixtures/llama3), with what they computed: each text's words under
// the pre-tokenizer, the token ids, and a chat's per-token losses and first logits. The checks the Qwen2 and
// Llama 3 tests share live here.
import Foundation
@testable import RaiseKit
import RaiseTestSupport
import XCTest

/// One tiny-model fixture folder and its reference JSON.
struct TinyModelFixture {
    /// The fixture's folder under Tests/Fixtures (`qwen2`, `llama3`).
    let name: String
    /// The reference the fixture script wrote.
    let reference: JSONObject

    /// The fixture `Tests/Fixtures/NAME`, with its `reference` file read.
    init(_ name: String, reference file: String) throws {
        self.name = name
        let data = try XCTUnwrap(FileManager.default.contents(atPath: fixturesFolder + "/\(name)/\(file)"))
        reference = try XCTUnwrap(JSONValue.parse([UInt8](data)).objectValue)
    }

    /// A path inside the fixture's folder.
    func path(_ file: String) -> String { fixturesFolder + "/\(name)/\(file)" }

    /// A JSON array of token ids.
    static func ids(_ value: JSONValue?) throws -> [Int32] { try XCTUnwrap(value?.arrayValue).map { Int32($0.intValue!) } }

    /// A registry with the Llama plugin loaded.
    static func registry() throws -> PluginRegistry {
        let registry = PluginRegistry()
        try PluginLoader(registry: registry).load(file: builtLibrary("RaisePluginLlama"))
        return registry
    }

    /// The model a `--model` spec names.
    static func model(_ registry: PluginRegistry, _ spec: String) throws -> any LanguageModel {
        try registry.make(PluginSpec(parsing: spec, option: "--model"), kind: .model, seed: 0, as: (any LanguageModel).self)
    }

    /// A copy of the file at `path`, written into `folder` as `patched.gguf`, whose first occurrence of
    /// `pattern` has `bytes` written over it from `offset` on (a metadata value after its key, a tensor's data).
    static func patchedCopy(of path: String, replacing pattern: [UInt8], at offset: Int, with bytes: [UInt8], in folder: String) throws -> String {
        var patched = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: path)))
        let start = try XCTUnwrap((0...(patched.count - pattern.count)).first { patched[$0..<($0 + pattern.count)].elementsEqual(pattern) })
        patched.replaceSubrange((start + offset)..<(start + offset + bytes.count), with: bytes)
        let copy = folder + "/patched.gguf"
        try Data(patched).write(to: URL(fileURLWithPath: copy))
        return copy
    }

    /// Trains `model` for three steps on two chats of `template` (lr 3e-3, no weight decay), checks that the loss
    /// fell, and returns the chats' examples.
    static func fineTune(_ model: any LanguageModel, template: PromptTemplate, file: StaticString = #filePath,
                         line: UInt = #line) throws -> [TokenizedExample] {
        let formatter = try PromptFormatter(template: template, tokenizer: model.tokenizer, maxLength: 64)
        let records = [("Add 17 and 25.", "42"), ("Add 30 and 12.", "42")].map {
            InstructionRecord(id: $0.0, turns: [ChatTurn(.user, $0.0), ChatTurn(.assistant, $0.1)], source: SourceLocation(file: "t", line: 1),
                              original: .text(""))
        }
        let batch = formatter.examples(records).examples
        let before = try model.exampleLosses(batch).reduce(0, +)
        var settings = TrainerSettings(schedule: .constant(3e-3))
        settings.weightDecay = 0
        let trainer = ModelTrainer(model: model, settings: settings)
        for _ in 0..<3 { try trainer.step(batch) }
        XCTAssertLessThan(try model.exampleLosses(batch).reduce(0, +), before, "training lowers the loss", file: file, line: line)
        return batch
    }

    /// `preTokenizer` cuts every text of the reference (its `cases` and `random` strings) into the words HF
    /// tokenizers' Split gave.
    func assertWordsMatch(_ preTokenizer: PreTokenizer, file: StaticString = #filePath, line: UInt = #line) throws {
        let texts = try XCTUnwrap(reference["cases"]?.arrayValue) + XCTUnwrap(reference["random"]?.arrayValue)
        XCTAssertEqual(texts.count, 626, file: file, line: line)
        for case_ in texts.compactMap(\.objectValue) {
            let text = try XCTUnwrap(case_["text"]?.stringValue)
            let scalars = preTokenizer.normalized(Array(text.unicodeScalars)[...])
            let words = preTokenizer.words(scalars).map { range in
                var word = String.UnicodeScalarView()
                word.append(contentsOf: scalars[range])
                return String(word)
            }
            XCTAssertEqual(words, try XCTUnwrap(case_["words"]?.arrayValue).map { $0.stringValue! }, text, file: file, line: line)
        }
    }

    /// `model` gives the reference chat's per-token losses (within 1e-4 + 1e-4 relative) and the log-softmax of
    /// its first three logit rows (within 1e-4), as transformers computed them.
    func assertMatchesTransformers(_ model: any LanguageModel, read path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let chat = try XCTUnwrap(reference["chat"]?.objectValue)
        let ids = try TinyModelFixture.ids(chat["ids"])
        let expected = try XCTUnwrap(chat["losses"]?.arrayValue).map { $0.numberValue! }
        let examples = (1..<ids.count).map { t in TokenizedExample(ids: ids, lossMask: (0..<ids.count).map { $0 == t ? 1 : 0 }) }
        for (t, (actual, wanted)) in zip(try model.exampleLosses(examples), expected).enumerated() {
            XCTAssertEqual(Double(actual), wanted, accuracy: 1e-4 + 1e-4 * abs(wanted), "\(path): position \(t + 1)", file: file, line: line)
        }
        let vocabulary = (0..<Int32(model.tokenizer.vocabularySize)).map { $0 }
        let logProbabilities = try model.nextTokenLogProbabilities(prompts: (1...3).map { Array(ids.prefix($0)) }, candidates: vocabulary)
        for (row, logits) in try XCTUnwrap(chat["first_logits"]?.arrayValue).enumerated() {
            let values = try XCTUnwrap(logits.arrayValue).map { $0.numberValue! }
            let top = values.max()!
            let logSum = top + log(values.reduce(0) { $0 + exp($1 - top) })
            for (id, value) in values.enumerated() {
                XCTAssertEqual(Double(logProbabilities[row][id]), value - logSum, accuracy: 1e-4, "\(path): row \(row), token \(id)",
                               file: file, line: line)
            }
        }
    }

    /// Greedy decoding with the key/value cache — two prompts of different lengths in one left-padded batch —
    /// gives, token by token, the likeliest next token of a full pass over the prompt and the answer so far.
    func assertCachedDecodingMatchesFullPasses(_ model: any LanguageModel, file: StaticString = #filePath, line: UInt = #line) throws {
        let ids = try TinyModelFixture.ids(reference["chat"]?.objectValue?["ids"])
        let prompts = [Array(ids.prefix(5)), Array(ids.prefix(11))]
        let answers = try model.generate(prompts: prompts, maxNewTokens: [8, 8], stop: [])
        let vocabulary = (0..<Int32(model.tokenizer.vocabularySize)).map { $0 }
        for (prompt, answer) in zip(prompts, answers) {
            XCTAssertEqual(answer.count, 8, file: file, line: line)
            for k in answer.indices {
                let logProbabilities = try model.nextTokenLogProbabilities(prompts: [prompt + answer[..<k]], candidates: vocabulary)[0]
                let likeliest = Int32(logProbabilities.indices.max { logProbabilities[$0] < logProbabilities[$1] }!)
                XCTAssertEqual(answer[k], likeliest, "token \(k) after a prompt of \(prompt.count)", file: file, line: line)
            }
        }
    }
}
