// IFD against hand-computed values; the score-based selectors pick the right ranks; the feature
// plugins on a tiny model; `raise select` exports a subset in the input's format.
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class ScoreSelectorTests: XCTestCase {
    private func registry() throws -> PluginRegistry {
        let registry = PluginRegistry()
        let loader = PluginLoader(registry: registry)
        try loader.load(file: builtLibrary("RaisePluginBaselineSelectors"))
        try loader.load(file: builtLibrary("RaisePluginFeatures"))
        return registry
    }

    private func choose(_ spec: String, count: Int, features: [String: [Float]]) throws -> [Int] {
        let selector = try registry().make(PluginSpec(parsing: spec, option: "--selector"), kind: .selector, seed: 0, as: (any InstructionSelector).self)
        return try selector.select(SelectionRequest(poolSize: features.values.first!.count, count: count, totalSteps: 1, features: features))
    }

    func testBandsLengthAndIFDPickTheRightRanks() throws {
        // Perplexities 0..9 shuffled: position i holds value order[i].
        let order: [Float] = [5, 2, 9, 0, 7, 3, 8, 1, 6, 4]
        let position = { (value: Float) in order.firstIndex(of: value)! }
        XCTAssertEqual(try choose("perplexity:band=low", count: 3, features: ["perplexity": order]), [0, 1, 2].map { position($0) })
        XCTAssertEqual(try choose("perplexity:band=high", count: 3, features: ["perplexity": order]), [7, 8, 9].map { position($0) })
        XCTAssertEqual(try choose("perplexity:band=middle", count: 4, features: ["perplexity": order]), [3, 4, 5, 6].map { position($0) })
        XCTAssertEqual(try choose("length", count: 2, features: ["response_tokens": order]), [9, 8].map { position($0) })
        // IFD: values ≥ 1 are dropped, the highest of the rest kept first.
        let ifd: [Float] = [0.2, 1.5, 0.9, 1.0, 0.95, 0.1]
        XCTAssertEqual(try choose("ifd", count: 3, features: ["ifd": ifd]), [4, 2, 0])
        XCTAssertEqual(try choose("ifd:threshold=0.5", count: 3, features: ["ifd": ifd]), [0, 5], "fewer remain than asked")
        assertThrows(["selector.ifd", "feature column 'ifd' was not computed", "feature.ifd:variant=loss"]) {
            try choose("ifd", count: 1, features: ["other": [1]])
        }
        let superfiltering = try registry().make(PluginSpec(parsing: "superfiltering", option: "--selector"), kind: .selector, seed: 0,
                                                 as: (any InstructionSelector).self)
        XCTAssertEqual(superfiltering.requiredFeatures, ["feature.ifd:variant=perplexity"])
    }

    func testFeaturePluginsOnATinyModel() throws {
        let folder = try scratchFolder(self)
        let texts = (0..<40).map { "question \($0 % 6) answer \($0 * 7 % 13)" }
        try BytePairTrainer.train(texts: texts, vocabularySize: 300).save(directory: folder + "/tok")
        let registry = try self.registry()
        try PluginLoader(registry: registry).load(file: builtLibrary("RaisePluginTinyGPT"))
        let model = try registry.make(PluginSpec(parsing: "tinygpt:layers=1,heads=2,d=16,ctx=32,tokenizer=\(folder)/tok", option: "--model"),
                                      kind: .model, seed: 1, as: (any LanguageModel).self)
        let examples = texts.map { text -> TokenizedExample in
            let ids = model.tokenizer.encode(text)
            let split = ids.count / 2
            return TokenizedExample(ids: ids, lossMask: Array(repeating: 0, count: split) + Array(repeating: 1, count: ids.count - split))
        }
        func extract(_ spec: String) throws -> (names: [String], table: Tensor) {
            let extractor = try registry.make(PluginSpec(parsing: spec, option: "feature"), kind: .feature, seed: 3, as: (any FeatureExtractor).self)
            return (extractor.featureNames, try extractor.extract(examples, model: model))
        }
        let lengths = try extract("feature.length")
        XCTAssertEqual(lengths.table[0, 1], Float(examples[0].answerTokenCount))
        let ifd = try extract("feature.ifd")
        XCTAssertEqual(ifd.names, ["loss_conditional", "loss_unconditional", "ifd"])
        let losses = try model.exampleLosses(examples)
        for i in 0..<examples.count {
            XCTAssertEqual(ifd.table[i, 0], losses[i])
            XCTAssertEqual(ifd.table[i, 2], ifd.table[i, 0] / ifd.table[i, 1], accuracy: 1e-5)
        }
        // Cherry's pre-experienced step scores with a briefly fine-tuned model, then restores the original.
        let before = model.parameters.values.scalars
        let experienced = try extract("feature.ifd:experience=3,per_cluster=4")
        XCTAssertEqual(model.parameters.values.scalars.map(\.bitPattern), before.map(\.bitPattern), "the model is restored")
        XCTAssertNotEqual(experienced.table.scalars, ifd.table.scalars, "IFD came from the fine-tuned copy")
        XCTAssertEqual(try extract("feature.ifd:experience=3,per_cluster=4").table.scalars, experienced.table.scalars, "seeded")
        let embedding = try extract("feature.embedding:dims=4")
        XCTAssertEqual(embedding.table.shape, [40, 4])
        let clusters = try extract("feature.cluster:clusters=3,dims=4")
        XCTAssertEqual(Set(clusters.table.scalars), [0, 1, 2])
        assertThrows(["feature.loss", "needs a model"]) {
            try registry.make(PluginSpec(parsing: "feature.loss", option: "feature"), kind: .feature, seed: 0, as: (any FeatureExtractor).self)
                .extract(examples, model: nil)
        }
    }

    func testSelectCommandExportsInTheInputFormat() throws {
        let folder = try scratchFolder(self)
        let pool = "[\n" + (0..<30).map { #"{"instruction": "Say \#($0).", "input": "", "response": "\#(String(repeating: "x", count: $0 + 1))"}"# }
            .joined(separator: ",\n") + "\n]"
        try pool.write(toFile: folder + "/pool.json", atomically: true, encoding: .utf8)
        XCTAssertEqual(try runRaise(["tokenizer", "train", "--vocab", "270", "--data", folder + "/pool.json", "--out", folder + "/tok", "--quiet"]).status, 0)
        let result = try runRaise(["select", "--selector", "length", "--budget", "48examples", "--batch", "16", "--data", folder + "/pool.json",
                                   "--model", "tinygpt:layers=1,heads=1,d=8,ctx=64,tokenizer=\(folder)/tok", "--template", "plain",
                                   "--out", folder + "/subset.json", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let (subset, reader) = try InstructionReader.readAll(path: folder + "/subset.json")
        XCTAssertEqual(reader.format, DataFormat(.instruction, .jsonArray), "written back as a JSON array, as read")
        XCTAssertEqual(subset.count, 16, "3 steps of 16 over 3 epochs = 16 examples")
        // The longest responses, counted in tokens: none left out is longer than any chosen.
        let formatter = try PromptFormatter(template: .plain, tokenizer: BytePairTokenizer(directory: folder + "/tok"), maxLength: 65)
        let (all, _) = try InstructionReader.readAll(path: folder + "/pool.json")
        let length = { (record: InstructionRecord) in formatter.example(record)!.answerTokenCount }
        let chosen = Set(subset.map(\.instruction))  // ids come from file positions, so match by content
        XCTAssertGreaterThanOrEqual(subset.map(length).min()!, all.filter { !chosen.contains($0.instruction) }.map(length).max()!)
        let original = try XCTUnwrap(all.first { $0.instruction == subset[0].instruction }).original
        XCTAssertEqual(subset[0].original, original, "each record written as it was read")
        let random = try runRaise(["select", "--selector", "random", "--budget", "3", "--data", folder + "/pool.json", "--out", folder + "/r.json"])
        XCTAssertEqual(random.status, 0, "random needs no model: \(random.stderr)")
    }

    func testSelectCommandWritesFilesOfTwoFormatsAsCanonicalJSONL() throws {
        // A headed CSV pool comes back as CSV with its header; beside a text corpus (no one file holds
        // both as they were) the subset is canonical JSONL, every record readable, with a warning. Before,
        // the text documents were written as bare lines into the JSONL.
        let folder = try scratchFolder(self)
        try ("instruction,output\n" + (0..<20).map { "\"Say \($0), please.\",word \($0)\n" }.joined()).write(toFile: folder + "/pool.csv", atomically: true, encoding: .utf8)
        try (0..<10).map { "document \($0)\n" }.joined(separator: "\n").write(toFile: folder + "/corpus.txt", atomically: true, encoding: .utf8)
        let csv = try runRaise(["select", "--selector", "random", "--budget", "100%", "--batch", "4", "--data", folder + "/pool.csv", "--out", folder + "/subset.csv"])
        XCTAssertEqual(csv.status, 0, csv.stderr)
        let (subset, reader) = try InstructionReader.readAll(path: folder + "/subset.csv")
        XCTAssertEqual(reader.format.columns, ["instruction", "output"])
        XCTAssertEqual(Set(subset.map(\.instruction)), Set((0..<20).map { "Say \($0), please." }))

        let mixed = try runRaise(["select", "--selector", "random", "--budget", "100%", "--batch", "4", "--data", folder + "/pool.csv",
                                  "--data", folder + "/corpus.txt", "--out", folder + "/mixed.jsonl"])
        XCTAssertEqual(mixed.status, 0, mixed.stderr)
        XCTAssertTrue(mixed.stderr.contains("is csv and --data \(folder)/corpus.txt text"), mixed.stderr)
        let (all, allReader) = try InstructionReader.readAll(path: folder + "/mixed.jsonl")
        XCTAssertEqual(allReader.format.container, .jsonLines)
        XCTAssertEqual(all.count, 30)
        XCTAssertEqual(all.filter { $0.turns.count == 1 }.map(\.output).sorted(), (0..<10).map { "document \($0)" }.sorted())
    }

    func testSelectCommandWritesParquetRowsAsJSONLines() throws {
        // A Parquet pool's subset is its rows as JSON lines, every column kept (the id a number, a null input
        // null); a .parquet --out is refused before anything is read, since raise does not write Parquet.
        let folder = try scratchFolder(self)
        let pool = fixturesFolder + "/parquet/alpaca_snappy.parquet"
        let refused = try runRaise(["select", "--selector", "random", "--budget", "100%", "--batch", "4", "--data", pool, "--out", folder + "/subset.parquet"])
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("raise reads Parquet but does not write it"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/subset.parquet"))
        let gzip = try runRaise(["select", "--selector", "random", "--budget", "100%", "--batch", "4", "--data", pool, "--out", folder + "/subset.jsonl.gz"])
        XCTAssertEqual(gzip.status, 2, gzip.stderr)
        XCTAssertTrue(gzip.stderr.contains("writes its subset uncompressed"), gzip.stderr)

        let run = try runRaise(["select", "--selector", "random", "--budget", "100%", "--batch", "4", "--data", pool, "--out", folder + "/subset.jsonl"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let rows = try String(contentsOfFile: folder + "/subset.jsonl", encoding: .utf8).split(separator: "\n").map { try JSONValue.parse(String($0)) }
        let expected = try String(contentsOfFile: fixturesFolder + "/parquet/alpaca_snappy.expected.jsonl", encoding: .utf8)
            .split(separator: "\n").map { try JSONValue.parse(String($0)) }
        XCTAssertEqual(rows.count, 40)
        XCTAssertEqual(Set(rows.map(\.serialized)), Set(expected.map(\.serialized)))
    }
}

final class FeatureCacheTests: XCTestCase {
    func testKeyFollowsSpecModelAndDataAndColumnsRoundTrip() throws {
        let examples = [TokenizedExample(ids: [1, 2, 3], lossMask: [0, 1, 1])]
        let other = [TokenizedExample(ids: [1, 2, 4], lossMask: [0, 1, 1])]
        let (a, b) = (FeatureCache.fingerprint(model: nil, examples: examples), FeatureCache.fingerprint(model: nil, examples: other))
        XCTAssertEqual(a, FeatureCache.fingerprint(model: nil, examples: examples))
        XCTAssertNotEqual(FeatureCache.key(spec: "feature.length", fingerprint: a), FeatureCache.key(spec: "feature.length", fingerprint: b))
        XCTAssertNotEqual(FeatureCache.key(spec: "feature.length", fingerprint: a), FeatureCache.key(spec: "feature.loss", fingerprint: a))
        let cache = FeatureCache(directory: try scratchFolder(self))
        cache.save(["a": [1, 2.5], "b": [-1, 0]], key: "k1")
        XCTAssertEqual(cache.load(key: "k1"), ["a": [1, 2.5], "b": [-1, 0]])
        XCTAssertNil(cache.load(key: "k2"))
    }

    /// A damaged entry — values changed behind its checksum, or non-finite values — is never used: it is
    /// removed, with a message, and computed again; non-finite columns are never cached.
    func testDamagedEntriesAreRemovedAndNonFiniteValuesNeverCached() throws {
        let folder = try scratchFolder(self)
        let cache = FeatureCache(directory: folder)
        cache.save(["a": [1, 2.5]], key: "good")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/good.safetensors"))
        bytes[bytes.count - 1] ^= 0x40  // one bit of the last value
        try bytes.write(to: URL(fileURLWithPath: folder + "/good.safetensors"))
        var messages = [String]()
        XCTAssertNil(cache.load(key: "good") { messages.append($0) })
        XCTAssertTrue(messages.first?.contains("good.safetensors: a damaged cache entry (its checksum does not match its values) was removed") ?? false, "\(messages)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/good.safetensors"))

        let nan: [String: [Float]] = ["a": [1, .nan]]
        try Safetensors.write([(name: "a", tensor: Tensor(shape: [2], values: nan["a"]!))], metadata: ["checksum": FeatureCache.checksum(nan)],
                              to: folder + "/nan.safetensors")
        XCTAssertNil(cache.load(key: "nan") { messages.append($0) })
        XCTAssertTrue(messages.last?.contains("it holds a value that is not a finite number") ?? false, "\(messages)")
        cache.save(["a": [1, .infinity]], key: "inf")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/inf.safetensors"), "not cached")
    }

    /// Past its limit the cache removes the least recently used entries; a load counts as a use.
    func testTheCacheIsBoundedLeastRecentlyUsedFirst() throws {
        let folder = try scratchFolder(self)
        let column = [Float](repeating: 1, count: 1000)  // about 4 KB an entry
        let cache = FeatureCache(directory: folder)
        for (age, key) in [(300.0, "old"), (200, "middle"), (100, "new")] {
            cache.save(["a": column], key: key)
            var times = [timeval(tv_sec: Int(Date().timeIntervalSince1970 - age), tv_usec: 0), timeval(tv_sec: Int(Date().timeIntervalSince1970 - age), tv_usec: 0)]
            XCTAssertEqual(utimes(folder + "/\(key).safetensors", &times), 0)
        }
        XCTAssertEqual(cache.entries().map(\.key), ["new", "middle", "old"])
        XCTAssertNotNil(cache.load(key: "old"))  // now the most recently used
        let size = cache.entries()[0].bytes
        XCTAssertEqual(cache.prune(keepingBytes: 2 * size).map(\.key), ["middle"])
        XCTAssertEqual(Set(cache.entries().map(\.key)), ["old", "new"])

        // The commands, on a cache folder of their own: empty, then holding these two entries.
        let root = try scratchFolder(self)
        let empty = try runRaise(["cache", "info", "--json"], environment: ["RAISE_CACHE_DIR": root])
        XCTAssertEqual(try JSONValue.parse(empty.stdout).objectValue?["entries"]?.intValue, 0, empty.stdout + empty.stderr)
        try FileManager.default.copyItem(atPath: folder, toPath: root + "/features")
        let listed = try runRaise(["cache", "info", "--json"], environment: ["RAISE_CACHE_DIR": root])
        XCTAssertEqual(try JSONValue.parse(listed.stdout).objectValue?["entries"]?.intValue, 2, listed.stdout)
        let pruned = try runRaise(["cache", "prune", "--keep-mb", "0", "--json"], environment: ["RAISE_CACHE_DIR": root])
        XCTAssertEqual(try JSONValue.parse(pruned.stdout).objectValue?["removed"]?.intValue, 2, pruned.stdout)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root + "/features"), [])
    }

    func testScoreWritesEveryColumnAndReusesTheCache() throws {
        let folder = try scratchFolder(self)
        try (0..<12).map { #"{"instruction": "Double \#($0).", "output": "\#($0 * 2)"}"# }.joined(separator: "\n")
            .write(toFile: folder + "/data.jsonl", atomically: true, encoding: .utf8)
        XCTAssertEqual(try runRaise(["tokenizer", "train", "--vocab", "280", "--data", folder + "/data.jsonl", "--out", folder + "/tok", "--quiet"]).status, 0)
        let arguments = ["score", "--model", "tinygpt:layers=1,heads=2,d=16,ctx=48,tokenizer=\(folder)/tok", "--data", folder + "/data.jsonl",
                         "--features", "ifd,perplexity,length", "--template", "plain", "--json"]
        let environment = ["RAISE_CACHE_DIR": folder + "/cache"]
        let first = try runRaise(arguments + ["--out", folder + "/a.jsonl"], environment: environment)
        XCTAssertEqual(first.status, 0, first.stderr)
        let columns = try XCTUnwrap(JSONValue.parse(String(first.stdout.split(separator: "\n").last!)).objectValue?["columns"]?.arrayValue)
        XCTAssertEqual(columns.compactMap(\.stringValue), ["ifd", "loss", "loss_conditional", "loss_unconditional", "perplexity",
                                                           "prompt_tokens", "response_tokens"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder + "/cache/features").count, 3, "one file per feature")
        let second = try runRaise(arguments + ["--out", folder + "/b.jsonl"], environment: environment)
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/a.jsonl")), try Data(contentsOf: URL(fileURLWithPath: folder + "/b.jsonl")))
    }

    /// Target-aware features need the validation split; their cache entry is the target's too: the same
    /// split reads it back, another split scores again. `raise select` with them takes `--val` as well.
    func testTargetAwareFeaturesNeedAndAreCachedByTheValidationSplit() throws {
        let folder = try scratchFolder(self)
        try (0..<16).map { #"{"instruction": "Double \#($0).", "output": "\#($0 * 2)"}"# }.joined(separator: "\n")
            .write(toFile: folder + "/data.jsonl", atomically: true, encoding: .utf8)
        try (20..<24).map { #"{"instruction": "Double \#($0).", "output": "\#($0 * 2)"}"# }.joined(separator: "\n")
            .write(toFile: folder + "/val.jsonl", atomically: true, encoding: .utf8)
        try (30..<34).map { #"{"instruction": "Halve \#($0 * 2).", "output": "\#($0)"}"# }.joined(separator: "\n")
            .write(toFile: folder + "/other.jsonl", atomically: true, encoding: .utf8)
        XCTAssertEqual(try runRaise(["tokenizer", "train", "--vocab", "280", "--data", folder + "/data.jsonl", "--out", folder + "/tok", "--quiet"]).status, 0)
        let model = "tinygpt:layers=1,heads=2,d=16,ctx=48,tokenizer=\(folder)/tok"
        let environment = ["RAISE_CACHE_DIR": folder + "/cache"]
        let arguments = ["score", "--model", model, "--data", folder + "/data.jsonl", "--template", "plain",
                         "--feature", "target-similarity:dims=4", "--feature", "gradient:dims=64", "--threads", "1"]
        let missing = try runRaise(arguments + ["--out", folder + "/none.jsonl"], environment: environment)
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("feature.gradient") && missing.stderr.contains("--val FILE"), missing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/none.jsonl"))

        let first = try runRaise(arguments + ["--val", folder + "/val.jsonl", "--out", folder + "/a.jsonl", "--json"], environment: environment)
        XCTAssertEqual(first.status, 0, first.stderr)
        // Both passes show their progress to the end: the embedding passes over the pool and the split, LESS's rows.
        let events = first.stderr.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)).objectValue }.filter { $0["event"]?.stringValue == "progress" }
        func last(_ task: String, total: Int) -> Double? {
            events.last { $0["task"]?.stringValue == task && $0["total"]?.numberValue == Double(total) }?["step"]?.numberValue
        }
        XCTAssertEqual(last("feature.target-similarity embeddings", total: 16), 16, first.stderr)
        XCTAssertEqual(last("feature.target-similarity embeddings", total: 4), 4, first.stderr)
        XCTAssertEqual(last("feature.gradient", total: 16), 16, first.stderr)
        let again = try runRaise(arguments + ["--val", folder + "/val.jsonl", "--out", folder + "/b.jsonl"], environment: environment)
        XCTAssertEqual(again.stderr.components(separatedBy: "from the cache").count - 1, 2, again.stderr)
        XCTAssertEqual(try String(contentsOfFile: folder + "/a.jsonl", encoding: .utf8), try String(contentsOfFile: folder + "/b.jsonl", encoding: .utf8))
        let other = try runRaise(arguments + ["--val", folder + "/other.jsonl", "--out", folder + "/c.jsonl"], environment: environment)
        XCTAssertEqual(other.status, 0, other.stderr)
        XCTAssertFalse(other.stderr.contains("from the cache"), "another target is scored afresh\n" + other.stderr)
        XCTAssertNotEqual(try String(contentsOfFile: folder + "/a.jsonl", encoding: .utf8), try String(contentsOfFile: folder + "/c.jsonl", encoding: .utf8))

        let select = ["select", "--selector", "nearest:dims=4", "--model", model, "--data", folder + "/data.jsonl", "--template", "plain",
                      "--budget", "1", "--batch", "6", "--threads", "1", "--quiet"]
        let unselected = try runRaise(select + ["--out", folder + "/subset-none.jsonl"], environment: environment)
        XCTAssertEqual(unselected.status, 1)
        XCTAssertTrue(unselected.stderr.contains("--val FILE"), unselected.stderr)
        let selected = try runRaise(select + ["--val", folder + "/val.jsonl", "--out", folder + "/subset.jsonl"], environment: environment)
        XCTAssertEqual(selected.status, 0, selected.stderr)
        XCTAssertEqual(try String(contentsOfFile: folder + "/subset.jsonl", encoding: .utf8).split(separator: "\n").count, 6, "a subset is at least a batch")
        let overlapping = try runRaise(select + ["--val", folder + "/data.jsonl", "--out", folder + "/subset-overlap.jsonl"], environment: environment)
        XCTAssertEqual(overlapping.status, 1, "a validation split inside the pool is refused")
        XCTAssertTrue(overlapping.stderr.contains("also in the pool"), overlapping.stderr)
    }

    /// Losses and lengths do not depend on the run's seed, so another seed reads them from the cache;
    /// k-means clusters do, so each seed has its own entry.
    func testOnlySeedDependentColumnsAreCachedPerSeed() throws {
        let folder = try scratchFolder(self)
        try (0..<12).map { #"{"instruction": "Halve \#($0 * 2).", "output": "\#($0)"}"# }.joined(separator: "\n")
            .write(toFile: folder + "/data.jsonl", atomically: true, encoding: .utf8)
        XCTAssertEqual(try runRaise(["tokenizer", "train", "--vocab", "280", "--data", folder + "/data.jsonl", "--out", folder + "/tok", "--quiet"]).status, 0)
        let pretrain = try runRaise(["pretrain", "--model", "tinygpt:layers=1,heads=2,d=16,ctx=48,tokenizer=\(folder)/tok", "--data", folder + "/data.jsonl",
                                     "--steps", "2", "--out", folder + "/model", "--quiet"])
        XCTAssertEqual(pretrain.status, 0, pretrain.stderr)
        let environment = ["RAISE_CACHE_DIR": folder + "/cache"]
        func score(seed: Int, features: [String]) throws -> String {
            let result = try runRaise(["score", "--model", folder + "/model", "--data", folder + "/data.jsonl", "--seed", String(seed),
                                       "--out", folder + "/s\(seed).jsonl", "--force"] + features, environment: environment)
            XCTAssertEqual(result.status, 0, result.stderr)
            return result.stderr
        }
        XCTAssertFalse(try score(seed: 1, features: ["--features", "loss,length"]).contains("from the cache"))
        let again = try score(seed: 2, features: ["--features", "loss,length"])
        XCTAssertTrue(again.contains("feature.loss: 12 records from the cache") && again.contains("feature.length: 12 records from the cache"), again)
        // The same settings written another way (a default spelled out) share the entry.
        XCTAssertFalse(try score(seed: 1, features: ["--features", "ifd"]).contains("from the cache"))
        XCTAssertTrue(try score(seed: 1, features: ["--feature", "ifd:variant=loss"]).contains("feature.ifd: 12 records from the cache"))
        XCTAssertFalse(try score(seed: 1, features: ["--feature", "cluster:clusters=2,dims=2"]).contains("from the cache"))
        XCTAssertFalse(try score(seed: 2, features: ["--feature", "cluster:clusters=2,dims=2"]).contains("from the cache"), "k-means is seeded")
        XCTAssertTrue(try score(seed: 2, features: ["--feature", "cluster:clusters=2,dims=2"]).contains("from the cache"))
    }
}
