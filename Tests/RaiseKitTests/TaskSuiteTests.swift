// The embedded task suite: seeded, composed exactly as documented in docs/DATA.md, held-out splits
// disjoint from the pool, noise that is really wrong, and files the readers accept.
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class TaskSuiteTests: XCTestCase {
    private func suite(_ preset: TaskSuitePreset = .standard, size: Int = 4000, seed: UInt64 = 3) throws -> TaskSuite {
        var configuration = TaskSuiteConfiguration()
        configuration.preset = preset
        configuration.poolSize = size
        configuration.pretrainSize = size
        configuration.seed = seed
        return try TaskSuite(configuration)
    }

    private func tags(_ value: JSONValue) -> JSONObject { value.objectValue!["hidden_tags"]!.objectValue! }
    private func field(_ value: JSONValue, _ name: String) -> String { value.objectValue![name]!.stringValue! }
    private func count(_ records: [JSONValue], _ predicate: (JSONObject) -> Bool) -> Int { records.filter { predicate(tags($0)) }.count }

    func testSameSeedSameSuite() throws {
        let (a, b, c) = (try suite(seed: 5), try suite(seed: 5), try suite(seed: 6))
        XCTAssertEqual(a.pool, b.pool)
        XCTAssertEqual(a.pretrain, b.pretrain)
        XCTAssertNotEqual(a.pool, c.pool)
    }

    func testCompositionMatchesThePresets() throws {
        for (preset, targets, noisy) in [(TaskSuitePreset.standard, 600, 200), (.rareTarget, 120, 48)] {
            let pool = try suite(preset).pool
            XCTAssertEqual(pool.count, 4000)
            let originals = pool.filter { tags($0)["duplicate"]?.stringValue == "none" }
            XCTAssertEqual(count(originals) { $0["target"]?.stringValue == "true" }, targets, "\(preset): target share")
            XCTAssertEqual(count(originals) { $0["target"]?.stringValue == "true" && $0["noisy"]?.stringValue == "true" }, noisy,
                           "\(preset): target noise")
            XCTAssertEqual(count(pool) { $0["duplicate"]?.stringValue == "exact" }, 120)
            XCTAssertEqual(count(pool) { $0["duplicate"]?.stringValue == "near" }, 120)
            XCTAssertEqual(count(pool) { $0["family"]?.stringValue == "junk" }, 200)
            let otherNoise = Double(count(originals) { $0["target"]?.stringValue == "false" && $0["family"]?.stringValue != "junk" && $0["noisy"]?.stringValue == "true" })
                / Double(count(originals) { $0["target"]?.stringValue == "false" && $0["family"]?.stringValue != "junk" })
            XCTAssertEqual(otherNoise, TaskSuiteConfiguration.otherNoise, accuracy: 0.02)
        }
    }

    func testLabelsAreRightOrReallyWrong() throws {
        for record in try suite().pool where tags(record)["family"]?.stringValue == "addition" {
            let operands = field(record, "input").split(separator: "+").map { Int($0.filter(\.isNumber))! }
            let right = String(operands[0] + operands[1]) == field(record, "output")
            XCTAssertEqual(right, tags(record)["noisy"]?.stringValue == "false", "\(record.serialized)")
        }
        var rng = RandomGenerator(seed: 1)
        for family in TaskFamily.allCases {
            for _ in 0..<300 {
                let instance = family.instance(&rng)
                XCTAssertNotEqual(family.wrongAnswer(instance, &rng), instance.output, "\(family)")
            }
        }
    }

    func testHeldOutSplitsAreCleanTargetAndDisjoint() throws {
        let s = try suite()
        XCTAssertEqual(s.validation.count, 200)
        XCTAssertEqual(s.test.count, 500)
        let normalized = { (record: JSONValue) in self.field(record, "input").split(separator: " ").joined(separator: " ") }
        let poolQuestions = Set(s.pool.map(normalized))
        let pretrainQuestions = Set(s.pretrain.map(normalized))
        let validation = Set(s.validation.map(normalized)), test = Set(s.test.map(normalized))
        XCTAssertTrue(validation.isDisjoint(with: test))
        XCTAssertTrue(validation.union(test).isDisjoint(with: poolQuestions))
        XCTAssertTrue(validation.union(test).isDisjoint(with: pretrainQuestions))
        XCTAssertTrue((s.validation + s.test).allSatisfy { tags($0)["target"]?.stringValue == "true" && tags($0)["noisy"]?.stringValue == "false" })
    }

    func testPretrainingCorpusIsClean() throws {
        let pretrain = try suite().pretrain
        XCTAssertEqual(count(pretrain) { $0["noisy"]?.stringValue == "true" || $0["duplicate"]?.stringValue != "none" }, 0)
        XCTAssertEqual(count(pretrain) { $0["family"]?.stringValue == "junk" }, 0)
        XCTAssertEqual(count(pretrain) { $0["target"]?.stringValue == "true" }, 80, "2% of 4000")
    }

    func testSynthCommandWritesReadableFiles() throws {
        let folder = try scratchFolder(self)
        let result = try runRaise(["data", "synth", "--out", folder, "--seed", "2", "--size", "1000", "--val-size", "50", "--test-size", "60"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let (pool, _) = try InstructionReader.readAll(path: folder + "/pool.jsonl")
        XCTAssertEqual(pool.count, 1000)
        XCTAssertNotNil(pool[0].hiddenTags["family"])
        XCTAssertEqual(try InstructionReader.readAll(path: folder + "/val.jsonl").records.count, 50)
        let stats = try runRaise(["data", "stats", "--json", folder + "/pool.jsonl"])
        XCTAssertEqual(stats.status, 0, stats.stderr)
        let object = try XCTUnwrap(JSONValue.parse(stats.stdout.trimmingCharacters(in: .whitespacesAndNewlines)).objectValue)
        XCTAssertEqual(object["records"]?.intValue, 1000)
        XCTAssertEqual(object["hidden_tags"]?.objectValue?["duplicate"]?.objectValue?["exact"]?.intValue, 30)
        XCTAssertGreaterThanOrEqual(object["exact_duplicates"]?.intValue ?? 0, 30, "every exact copy is found, with natural repeats")
        let bad = try runRaise(["data", "synth", "--out", folder, "--preset", "hard"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("--preset 'hard'"))
    }
}

final class DataStatisticsTests: XCTestCase {
    func testCountsLengthsDuplicatesAndInvalidRecords() throws {
        let path = try scratchFolder(self) + "/d.jsonl"
        try """
        {"instruction": "ab", "output": "cde"}
        {"instruction": "ab", "output": "cde"}
        {"instruction": "x"}
        {"instruction": "abcd", "input": "ef", "output": "g", "task": "t1", "hidden_tags": {"family": "f"}, "id": "d.jsonl:1"}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let stats = try DataStatistics(path: path, options: ReadOptions(), tokenizer: nil)
        XCTAssertEqual(stats.records, 3)
        XCTAssertEqual(stats.exactDuplicates, 1)
        XCTAssertEqual(stats.repeatedIDs, 1, "the last record's own id is the first's, made of its file and line")
        XCTAssertTrue(stats.report.contains("repeated ids      1; first: 'd.jsonl:1' at lines 1 and 4"), stats.report)
        XCTAssertEqual(stats.json["repeated_ids"]?.intValue, 1)
        XCTAssertEqual(stats.skipped.map(\.line), [3])
        XCTAssertEqual(stats.promptLengths, [2, 2, 7], "instruction, newline, input: in bytes")
        XCTAssertEqual(stats.responseLengths, [3, 3, 1])
        XCTAssertEqual(stats.tasks, ["t1": 1])
        XCTAssertEqual(stats.tags, ["family": ["f": 1]])
        XCTAssertEqual(DataStatistics.summary([5, 1, 3, 2, 4]).map(\.1), [1, 3, 3, 5, 5, 5])
    }
}
