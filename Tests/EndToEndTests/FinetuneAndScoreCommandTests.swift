// The fair-comparison protocol: budgets resolve to steps, static subsets are sized steps × batch / 3 and
// cycled in shuffled epochs, dynamic selectors are asked every step and see the usage counts; and the
// finetune and score commands end to end on a tiny model.
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class FinetuneCommandTests: XCTestCase {
    func testFinetuneAndScoreEndToEnd() throws {
        let (folder, model) = try tinySuite(self, size: 400, validation: 20, testSplit: 10, pretrain: 400)
        let finetune = try runRaise(["finetune", "--model", model, "--data", folder + "/suite/pool.jsonl", "--template", "plain",
                                     "--val", folder + "/suite/val.jsonl", "--test", folder + "/suite/test.jsonl", "--selector", "random",
                                     "--budget", "10%", "--out", folder + "/ft", "--json", "--threads", "1"])
        XCTAssertEqual(finetune.status, 0, finetune.stderr)
        let result = try XCTUnwrap(JSONValue.parse(String(finetune.stdout.split(separator: "\n").last ?? "")).objectValue)
        XCTAssertEqual(result["steps"]?.intValue, 8, "10% of 3 epochs × 400 / 16 = 75 steps")
        XCTAssertEqual(result["selector"]?.stringValue, "selector.random:stream=0", "the canonical spec, defaults filled in")
        XCTAssertNotNil(result["val_loss"]?.numberValue)
        XCTAssertNotNil(result["test_exact_match"]?.numberValue)
        let log = try String(contentsOfFile: folder + "/ft/selection.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(log.count, 8)
        // Long free-form answers never match exactly: --exact-match-limit 0 decodes none, the losses unchanged.
        let lossesOnly = try runRaise(["finetune", "--model", model, "--data", folder + "/suite/pool.jsonl", "--template", "plain",
                                       "--val", folder + "/suite/val.jsonl", "--test", folder + "/suite/test.jsonl", "--selector", "random",
                                       "--budget", "10%", "--exact-match-limit", "0", "--json", "--threads", "1"])
        XCTAssertEqual(lossesOnly.status, 0, lossesOnly.stderr)
        let losses = try XCTUnwrap(JSONValue.parse(String(lossesOnly.stdout.split(separator: "\n").last ?? "")).objectValue)
        XCTAssertNil(losses["test_exact_match"])
        XCTAssertEqual(losses["test_loss"], result["test_loss"])
        XCTAssertEqual(losses["val_loss"], result["val_loss"])
        XCTAssertFalse(lossesOnly.stderr.contains("\"task\":\"exact match\""), "nothing decoded")

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
        let (folder, _) = try tinySuite(self, size: 2000, validation: 10, testSplit: 10, pretrain: 300)
        let resumedAt = try killAndResume(folder: folder, ["--features", "ifd"])
        XCTAssertTrue(resumedAt > 0 && resumedAt < 2000 && resumedAt % 256 == 0, "after a saved chunk of 256 records: \(resumedAt)")
    }

    /// The same for LESS's pass, which is not row-wise (a warm-up and the validation gradients come first) but
    /// goes row by row after them: it resumes after the last 32 rows it saved.
    func testKilledLESSPassResumesToTheSameOutput() throws {
        let (folder, _) = try tinySuite(self, size: 1500, validation: 10, testSplit: 10, pretrain: 300)
        let resumedAt = try killAndResume(folder: folder, ["--feature", "gradient:dims=64", "--val", folder + "/suite/val.jsonl"])
        XCTAssertTrue(resumedAt > 0 && resumedAt < 1500 && resumedAt % 32 == 0, "after a saved journal of 32 rows: \(resumedAt)")
    }

    /// Scores the suite's pool with `features` once whole; once killed as soon as a partial cache entry is saved, then
    /// run again: the two outputs are the same bytes. Returns the record the second run said it resumed at.
    private func killAndResume(folder: String, _ features: [String]) throws -> Int {
        func arguments(_ out: String) -> [String] {
            ["score", "--model", "tinygpt:layers=2,heads=2,d=64,ctx=48,tokenizer=\(folder)/tok", "--data", folder + "/suite/pool.jsonl",
             "--template", "plain", "--threads", "1", "--quiet", "--out", out] + features
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

        // Not quiet: where it resumed is information, shown in human mode only.
        let resumed = try runRaise(arguments(folder + "/resumed.jsonl").filter { $0 != "--quiet" }, environment: ["RAISE_CACHE_DIR": folder + "/cache-b"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/whole.jsonl")),
                       try Data(contentsOf: URL(fileURLWithPath: folder + "/resumed.jsonl")))
        return resumed.stderr.components(separatedBy: "resuming a feature at record ").dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) } ?? -1
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
