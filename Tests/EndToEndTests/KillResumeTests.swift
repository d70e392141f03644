// Kill and resume: `pretrain`, `score`, `train-selector` and `bench run` are each run whole, then run
// again elsewhere and killed with SIGKILL at seeded random moments over the whole run's duration, and
// resumed after each kill. After every kill each output present must be whole (it parses completely);
// at the end the outputs must equal the uninterrupted run's, and no temporary file may be left.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import RaiseKit
import RaiseTestSupport
import XCTest

final class KillResumeTests: XCTestCase {
    func testPretrainKilledAnywhereResumesToTheSameModel() throws {
        let (folder, model) = try tinySuite(self, size: 4000)
        try killAndResume(in: folder, seed: 1, resume: ["--resume"], compare: ["base/model.safetensors", "base/resume.safetensors", "base/config.json", "base/run-settings.json"]) {
            ["pretrain", "--model", model, "--data", folder + "/suite/pretrain.jsonl", "--steps", "1200", "--batch", "8",
             "--checkpoint-every", "50", "--threads", "1", "--quiet", "--out", $0 + "/base"]
        }
    }

    func testScoreKilledAnywhereResumesToTheSameScores() throws {
        let (folder, model) = try tinySuite(self, size: 4000)
        // A kill after the scores are written leaves a finished result: the same command again needs --force.
        try killAndResume(in: folder, seed: 2, resume: ["--force"], compare: ["scores.jsonl"]) {
            ["score", "--model", model, "--data", folder + "/suite/pool.jsonl", "--template", "plain", "--features", "ifd,length",
             "--threads", "1", "--quiet", "--out", $0 + "/scores.jsonl"]
        }
    }

    func testTrainSelectorKilledAnywhereResumesToTheSamePolicy() throws {
        let (folder, model) = try tinySuite(self, size: 4000)
        try killAndResume(in: folder, seed: 3, resume: ["--resume"],
                          compare: ["policy/policy.safetensors", "policy/config.json", "policy/episodes.jsonl"]) {
            ["train-selector", "--model", model, "--data", folder + "/suite/pool.jsonl", "--val", folder + "/suite/val.jsonl",
             "--template", "plain", "--episodes", "30", "--budget", "5", "--batch", "8", "--clusters", "2", "--semantic-dims", "8",
             "--hidden", "16", "--threads", "1", "--quiet", "--out", $0 + "/policy"]
        }
    }

    func testBenchRunKilledAnywhereResumesToTheSameResults() throws {
        let (folder, model) = try tinySuite(self, size: 600)
        try killAndResume(in: folder, seed: 4, resume: [], compare: ["bench/results.csv"]) {
            ["bench", "run", "--model", model, "--data", folder + "/suite/pool.jsonl", "--val", folder + "/suite/val.jsonl",
             "--test", folder + "/suite/test.jsonl", "--template", "plain", "--selector", "random", "--selector", "ifd",
             "--selector", "raise", "--episodes", "2", "--budgets", "5%", "--seeds", "2", "--batch", "8", "--eval-points", "2",
             "--threads", "1", "--quiet", "--out", $0 + "/bench"]
        }
    }

    /// Runs `command(root)` whole under `folder`/whole, then under `folder`/killed with three kills at random
    /// moments (seeded) and `resume` added to every later run; checks outputs after each kill and at the end.
    private func killAndResume(in folder: String, seed: UInt64, resume: [String], compare: [String],
                               file: StaticString = #filePath, line: UInt = #line, _ command: (String) -> [String]) throws {
        let (whole, killed) = (folder + "/whole", folder + "/killed")
        let clock = Date()
        let reference = try runRaise(command(whole), environment: ["RAISE_CACHE_DIR": whole + "/cache"])
        XCTAssertEqual(reference.status, 0, reference.stderr, file: file, line: line)
        let duration = Date().timeIntervalSince(clock)

        var rng = RandomGenerator(seed: seed)
        var kills = 0
        for attempt in 0..<3 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: buildFolder + "/raise")
            process.arguments = command(killed) + (attempt == 0 ? [] : resume)
            process.environment = ProcessInfo.processInfo.environment.merging(["RAISE_CACHE_DIR": killed + "/cache"]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(duration * Double(0.05 + 0.6 * rng.nextFloat()))
            while process.isRunning && Date() < deadline { usleep(1000) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExit()
            try assertEveryOutputIsWhole(in: killed, file: file, line: line)
        }
        XCTAssertGreaterThan(kills, 0, "no kill landed before the run ended", file: file, line: line)
        let resumed = try runRaise(command(killed) + resume, environment: ["RAISE_CACHE_DIR": killed + "/cache"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr, file: file, line: line)
        for output in compare {
            XCTAssertEqual(try withoutTimings(whole + "/" + output), try withoutTimings(killed + "/" + output),
                           "\(output) differs from the uninterrupted run's after \(kills) kills", file: file, line: line)
        }
        let leftovers = try allFiles(in: killed).filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [], "temporary files left behind", file: file, line: line)
    }

    /// Every file under `folder`, relative paths, sorted.
    private func allFiles(in folder: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: folder) else { return [] }
        return (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? []).filter { path in
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: folder + "/" + path, isDirectory: &isFolder) && !isFolder.boolValue
        }.sorted()
    }

    /// Fails for any output under `folder` that does not read completely: safetensors that do not decode,
    /// JSON that does not parse, JSON lines or CSV not ending in a whole line, SVG that is not XML.
    private func assertEveryOutputIsWhole(in folder: String, file: StaticString, line: UInt) throws {
        for relative in try allFiles(in: folder) where !relative.contains(".tmp-") {
            let path = folder + "/" + relative
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let text = String(decoding: data, as: UTF8.self)
            let whole: Bool
            switch URL(fileURLWithPath: path).pathExtension {
            case "safetensors": whole = (try? Safetensors.read(path: path)) != nil
            case "json": whole = (try? JSONValue.parse([UInt8](data))) != nil
            case "jsonl": whole = text.isEmpty || text.hasSuffix("\n") && text.split(separator: "\n").allSatisfy { (try? JSONValue.parse(String($0))) != nil }
            case "svg": whole = (try? XMLSummary(text)) != nil
            default: whole = text.isEmpty || text.hasSuffix("\n")
            }
            XCTAssertTrue(whole, "\(relative) is not whole after a kill", file: file, line: line)
        }
    }

    /// A file's text without what measures time (JSON keys naming seconds, CSV columns ending in `_s`): the rest
    /// must be the same in every run with the same seed.
    private func withoutTimings(_ path: String) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        switch URL(fileURLWithPath: path).pathExtension {
        case "jsonl":
            return String(decoding: data, as: UTF8.self).split(separator: "\n").map { line in
                guard let object = try? JSONValue.parse(String(line)).objectValue else { return String(line) }
                return JSONValue.object(JSONObject(object.keys.filter { !$0.contains("seconds") }.map { ($0, object[$0]!) })).serialized
            }.joined(separator: "\n")
        case "csv":
            let rows = String(decoding: data, as: UTF8.self).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
            let kept = rows.first.map { header in header.indices.filter { !header[$0].hasSuffix("_s") } } ?? []
            return rows.map { row in kept.map { $0 < row.count ? String(row[$0]) : "" }.joined(separator: ",") }.joined(separator: "\n")
        default:
            return data.base64EncodedString()
        }
    }
}
