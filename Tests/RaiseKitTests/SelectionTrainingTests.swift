// The fair-comparison protocol: budgets resolve to steps, static subsets are sized steps × batch / 3 and
// cycled in shuffled epochs, dynamic selectors are asked every step and see the usage counts; and the
// finetune and score commands end to end on a tiny model.
import Foundation
import RaiseKit
import XCTest

final class TrainingBudgetTests: XCTestCase {
    func testBudgetsResolveToSteps() throws {
        // Full data: 3 epochs of 1000 examples in batches of 16 = 188 steps (rounded up).
        XCTAssertEqual(TrainingBudget.fullDataSteps(poolSize: 1000, batchSize: 16), 188)
        XCTAssertEqual(try TrainingBudget(parsing: "10%").steps(poolSize: 1000, batchSize: 16, meanTokensPerExample: 20), 19)
        XCTAssertEqual(try TrainingBudget(parsing: "100%").steps(poolSize: 1000, batchSize: 16, meanTokensPerExample: 20), 188)
        XCTAssertEqual(try TrainingBudget(parsing: "42").steps(poolSize: 10, batchSize: 16, meanTokensPerExample: 20), 42)
        for huge in ["1e300", "1e30steps", "1e300examples", "1e19tokens", "infsteps"] {  // once a trap converting to Int
            assertThrows(["--budget", "'\(huge)'"]) { try TrainingBudget(parsing: huge) }
        }
        XCTAssertEqual(try TrainingBudget(parsing: "42steps").steps(poolSize: 10, batchSize: 16, meanTokensPerExample: 20), 42)
        XCTAssertEqual(try TrainingBudget(parsing: "320examples").steps(poolSize: 10, batchSize: 16, meanTokensPerExample: 20), 20)
        XCTAssertEqual(try TrainingBudget(parsing: "6400tokens").steps(poolSize: 10, batchSize: 16, meanTokensPerExample: 20), 20)
        assertThrows(["--budget", "'0%'"]) { try TrainingBudget(parsing: "0%") }
        assertThrows(["--budget", "'lots'"]) { try TrainingBudget(parsing: "lots") }
        for loose in ["0x10", "0x1p3%", "nan", "1_000"] { assertThrows(["--budget", "'\(loose)'"]) { try TrainingBudget(parsing: loose) } }
        assertThrows(["--budget", "0.01% is less than one training step"]) { try TrainingBudget(parsing: "0.01%").steps(poolSize: 100, batchSize: 16, meanTokensPerExample: 5) }
        assertThrows(["--data", "the pool is empty"]) { try TrainingBudget(parsing: "1%").steps(poolSize: 0, batchSize: 16, meanTokensPerExample: 5) }
    }
}

/// A dynamic selector for tests: picks the least-used examples and records what it was told.
private final class LeastUsedSelector: InstructionSelector {
    let mode = SelectionMode.everyStep
    var requests: [SelectionRequest] = []
    func select(_ request: SelectionRequest) throws -> [Int] {
        requests.append(request)
        return Array((0..<request.poolSize).sorted { (request.timesSelected[$0], $0) < (request.timesSelected[$1], $1) }.prefix(request.count))
    }
}

/// A static selector for tests: the first `count` indices.
private final class FirstSelector: InstructionSelector {
    let mode = SelectionMode.once
    var calls = 0
    func select(_ request: SelectionRequest) throws -> [Int] { calls += 1; return Array(0..<request.count) }
}

final class SelectionTrainingTests: XCTestCase {
    private func setup() throws -> (ModelTrainer, [TokenizedExample]) {
        let folder = try scratchFolder(self)
        let texts = (0..<40).map { "item \($0) is \($0 * 3)" }
        let tokenizer = try BytePairTrainer.train(texts: texts, vocabularySize: 280)
        try tokenizer.save(directory: folder + "/tok")
        let registry = PluginRegistry()
        try PluginLoader(registry: registry).load(file: builtLibrary("RaisePluginTinyGPT"))
        let model = try registry.make(PluginSpec(parsing: "tinygpt:layers=1,heads=2,d=16,ctx=32,tokenizer=\(folder)/tok", option: "--model"),
                                      kind: .model, seed: 1, as: (any LanguageModel).self)
        let pool = texts.map { text -> TokenizedExample in
            let ids = tokenizer.encode(text)
            return TokenizedExample(ids: ids, lossMask: [0] + Array(repeating: 1, count: ids.count - 1))
        }
        return (ModelTrainer(model: model, settings: TrainerSettings(schedule: .constant(1e-3))), pool)
    }

    func testStaticSubsetIsSizedForThreeEpochsAndCycled() throws {
        let (trainer, pool) = try setup()
        let selector = FirstSelector()
        let run = SelectionTraining(trainer: trainer, pool: pool, selector: selector, steps: 6, batchSize: 4, seed: 0)
        XCTAssertEqual(run.staticSubsetSize, 8, "6 steps × 4 / 3 epochs")
        var seen = [Int]()
        for step in 0..<6 { seen += try run.step(step).indices }
        XCTAssertEqual(selector.calls, 1, "a static selector is asked once")
        XCTAssertEqual(Set(seen), Set(0..<8))
        XCTAssertEqual(run.timesSelected.prefix(8).allSatisfy { $0 == 3 }, true, "each subset example seen 3 times")
        XCTAssertEqual(Set(seen[0..<8]), Set(0..<8), "the first epoch covers the subset before any repeat")
    }

    func testDynamicSelectorIsAskedEveryStepWithUsageCounts() throws {
        let (trainer, pool) = try setup()
        let selector = LeastUsedSelector()
        let run = SelectionTraining(trainer: trainer, pool: pool, selector: selector, steps: 5, batchSize: 8, seed: 0)
        var seen = [Int]()
        for step in 0..<5 { seen += try run.step(step).indices }
        XCTAssertEqual(selector.requests.map(\.step), [0, 1, 2, 3, 4])
        XCTAssertEqual(selector.requests.map(\.totalSteps), [5, 5, 5, 5, 5])
        XCTAssertEqual(Set(seen), Set(0..<40), "least-used first covers the pool")
        XCTAssertEqual(selector.requests[4].timesSelected.reduce(0, +), 32)
    }

    func testSelectorAnswersAreChecked() throws {
        final class OutOfRange: InstructionSelector {
            let mode = SelectionMode.everyStep
            func select(_ request: SelectionRequest) throws -> [Int] { Array(repeating: request.poolSize, count: request.count) }
        }
        let (trainer, pool) = try setup()
        let run = SelectionTraining(trainer: trainer, pool: pool, selector: OutOfRange(), steps: 2, batchSize: 2, seed: 0)
        assertThrows(["step 0", "index 40 is outside the pool of 40"]) { try run.step(0) }
    }
}

final class FinetuneCommandTests: XCTestCase {
    func testFinetuneAndScoreEndToEnd() throws {
        let folder = try scratchFolder(self)
        XCTAssertEqual(try runRaise(["data", "synth", "--out", folder + "/suite", "--size", "400", "--val-size", "20", "--test-size", "10",
                                     "--pretrain-size", "400"]).status, 0)
        XCTAssertEqual(try runRaise(["tokenizer", "train", "--vocab", "300", "--data", folder + "/suite/pretrain.jsonl", "--out", folder + "/tok",
                                     "--quiet"]).status, 0)
        let model = "tinygpt:layers=1,heads=2,d=32,ctx=48,tokenizer=\(folder)/tok"
        let finetune = try runRaise(["finetune", "--model", model, "--data", folder + "/suite/pool.jsonl", "--template", "plain",
                                     "--val", folder + "/suite/val.jsonl", "--test", folder + "/suite/test.jsonl", "--selector", "random",
                                     "--budget", "10%", "--out", folder + "/ft", "--json", "--threads", "1"])
        XCTAssertEqual(finetune.status, 0, finetune.stderr)
        let result = try XCTUnwrap(JSONValue.parse(String(finetune.stdout.split(separator: "\n").last ?? "")).objectValue)
        XCTAssertEqual(result["steps"]?.intValue, 8, "10% of 3 epochs × 400 / 16 = 75 steps")
        XCTAssertEqual(result["selector"]?.stringValue, "random")
        XCTAssertNotNil(result["val_loss"]?.numberValue)
        XCTAssertNotNil(result["test_exact_match"]?.numberValue)
        let log = try String(contentsOfFile: folder + "/ft/selection.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(log.count, 8)

        let score = try runRaise(["score", "--model", folder + "/ft", "--data", folder + "/suite/val.jsonl", "--template", "plain",
                                  "--out", folder + "/scores.jsonl", "--json"])
        XCTAssertEqual(score.status, 0, score.stderr)
        let lines = try String(contentsOfFile: folder + "/scores.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 20)
        let first = try XCTUnwrap(JSONValue.parse(String(lines[0])).objectValue)
        XCTAssertEqual(first["id"]?.stringValue, "val-0")
        XCTAssertGreaterThan(first["scores"]?.objectValue?["loss"]?.numberValue ?? 0, 0)

        let dynamic = try runRaise(["finetune", "--model", folder + "/ft", "--data", folder + "/suite/pool.jsonl", "--template", "plain",
                                    "--selector", "sspl", "--budget", "3", "--val", folder + "/suite/val.jsonl", "--json"])
        XCTAssertEqual(dynamic.status, 0, dynamic.stderr)
        XCTAssertEqual(try JSONValue.parse(String(dynamic.stdout.split(separator: "\n").last ?? "")).objectValue?["steps"]?.intValue, 3)
        let noReference = try runRaise(["finetune", "--model", folder + "/ft", "--data", folder + "/suite/pool.jsonl", "--selector", "rho-loss",
                                        "--budget", "3"])
        XCTAssertEqual(noReference.status, 2)
        XCTAssertTrue(noReference.stderr.contains("--reference-model"), noReference.stderr)

        let bad = try runRaise(["finetune", "--model", model, "--data", folder + "/suite/pool.jsonl", "--budget", "0.001%"])
        XCTAssertEqual(bad.status, 2, "a budget that gives no step is a usage error")
        XCTAssertTrue(bad.stderr.contains("--budget"), bad.stderr)
        let unknown = try runRaise(["finetune", "--model", model, "--data", folder + "/suite/pool.jsonl", "--selector", "magic"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains("unknown selector 'magic'"), unknown.stderr)
    }
}

final class ScoreResumeTests: XCTestCase {
    /// `kill -9` while a row-wise feature is being scored, then the same command again: it resumes after
    /// the last saved chunk, and the output equals an uninterrupted run's.
    func testKilledScoreResumesToTheSameOutput() throws {
        let folder = try scratchFolder(self)
        XCTAssertEqual(try runRaise(["data", "synth", "--out", folder + "/suite", "--size", "2000", "--val-size", "10", "--test-size", "10",
                                     "--pretrain-size", "300"]).status, 0)
        XCTAssertEqual(try runRaise(["tokenizer", "train", "--vocab", "300", "--data", folder + "/suite/pretrain.jsonl", "--out", folder + "/tok",
                                     "--quiet"]).status, 0)
        func arguments(_ out: String) -> [String] {
            ["score", "--model", "tinygpt:layers=2,heads=2,d=64,ctx=48,tokenizer=\(folder)/tok", "--data", folder + "/suite/pool.jsonl",
             "--template", "plain", "--features", "ifd", "--threads", "1", "--quiet", "--out", out]
        }
        let whole = try runRaise(arguments(folder + "/whole.jsonl"), environment: ["RAISE_CACHE_DIR": folder + "/cache-a"])
        XCTAssertEqual(whole.status, 0, whole.stderr)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: buildFolder + "/raise")
        process.arguments = arguments(folder + "/resumed.jsonl")
        process.environment = ProcessInfo.processInfo.environment.merging(["RAISE_CACHE_DIR": folder + "/cache-b"]) { $1 }
        process.standardError = FileHandle.nullDevice
        try process.run()
        func partialExists() -> Bool {
            // The renamed file, not the temporary one being written beside it.
            ((try? FileManager.default.contentsOfDirectory(atPath: folder + "/cache-b/features")) ?? []).contains { $0.hasSuffix(".partial.safetensors") }
        }
        while !partialExists() && process.isRunning { usleep(2000) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal, "killed while scoring")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/resumed.jsonl"), "no half-written output")

        let resumed = try runRaise(arguments(folder + "/resumed.jsonl"), environment: ["RAISE_CACHE_DIR": folder + "/cache-b"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        // It resumes after a saved chunk of 256 records, not from the start.
        let resumedAt = resumed.stderr.components(separatedBy: "resuming a feature at record ").dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) }
        XCTAssertTrue(resumedAt.map { $0 > 0 && $0 < 2000 && $0 % 256 == 0 } ?? false, resumed.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/whole.jsonl")),
                       try Data(contentsOf: URL(fileURLWithPath: folder + "/resumed.jsonl")))
    }
}

final class ScoreWindowTests: XCTestCase {
    /// Row-wise features are scored a window at a time (memory bounded by the window): any window gives the
    /// bytes of one pass over the pool. A pool-wide feature (PCA over every embedding) ignores the window.
    func testWindowsScoreTheSameAsOnePassAndPoolWideFeaturesReadEverything() throws {
        let (folder, model) = try tinySuite(self, size: 700, pretrain: 200)
        func score(_ out: String, _ extra: [String]) throws -> Data {
            let result = try runRaise(["score", "--model", model, "--data", folder + "/suite/pool.jsonl", "--template", "plain", "--threads", "1",
                                       "--quiet", "--out", folder + "/" + out] + extra, environment: ["RAISE_CACHE_DIR": folder + "/cache-" + out])
            XCTAssertEqual(result.status, 0, result.stderr)
            return try Data(contentsOf: URL(fileURLWithPath: folder + "/" + out))
        }
        let rowwise = ["--features", "ifd,length"]
        let whole = try score("whole.jsonl", rowwise + ["--window", "100000"])
        XCTAssertEqual(String(decoding: whole, as: UTF8.self).split(separator: "\n").count, 700)
        XCTAssertEqual(try score("windows.jsonl", rowwise + ["--window", "100"]), whole, "3 windows of 256 records")
        let poolWide = ["--features", "length", "--feature", "embedding:dims=4"]
        XCTAssertEqual(try score("pool-windows.jsonl", poolWide + ["--window", "100"]), try score("pool-whole.jsonl", poolWide))
    }
}
