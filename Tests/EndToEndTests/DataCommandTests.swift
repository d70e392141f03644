// The embedded task suite: seeded, composed exactly as documented in docs/DATA.md, held-out splits
// disjoint from the pool, noise that is really wrong, and files the readers accept.
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class DataSplitTests: XCTestCase {
    func testSplitCutsDisjointSeededPartsAsCanonicalJSONL() throws {
        let folder = try scratchFolder(self)
        let lines = (0..<30).map { "{\"question\": \"q\($0)?\", \"answer\": \"a \($0) #### \($0)\", \"status\": \"\($0 % 3 == 0 ? "bad" : "ok")\"}" }
        try (lines.joined(separator: "\n") + "\n").write(toFile: folder + "/raw.jsonl", atomically: true, encoding: .utf8)
        func split(_ out: String, seed: String = "0") throws -> (status: Int32, stdout: String, stderr: String) {
            try runRaise(["data", "split", "--data", folder + "/raw.jsonl", "--fields", "instruction=question,output=answer",
                          "--where", "status=ok", "--parts", "val=5,test=3,pool=rest", "--seed", seed, "--out", out])
        }
        let first = try split(folder + "/a")
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("20 records") && first.stdout.contains("pool.jsonl 12"), first.stdout)
        var seen = Set<String>()
        for (part, count) in [("val", 5), ("test", 3), ("pool", 12)] {
            let (records, _) = try InstructionReader.readAll(path: "\(folder)/a/\(part).jsonl")
            XCTAssertEqual(records.count, count, part)
            for record in records {
                XCTAssertTrue(record.instruction.hasPrefix("q") && record.output.contains("####"), "canonical fields")
                XCTAssertTrue(seen.insert(record.id).inserted, "\(record.id) is in two parts")
                XCTAssertTrue(record.id.hasPrefix("raw.jsonl:"), "the id names where the record came from")
                XCTAssertEqual(record.category, "raw.jsonl", "reports group untagged records by their first file")
            }
        }
        XCTAssertEqual(try split(folder + "/b").status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/a/val.jsonl")),
                       try Data(contentsOf: URL(fileURLWithPath: folder + "/b/val.jsonl")), "the same seed cuts the same parts")
        XCTAssertEqual(try split(folder + "/c", seed: "1").status, 0)
        XCTAssertNotEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/a/val.jsonl")),
                          try Data(contentsOf: URL(fileURLWithPath: folder + "/c/val.jsonl")))

        let tooMany = try runRaise(["data", "split", "--data", folder + "/raw.jsonl", "--fields", "instruction=question,output=answer",
                                    "--parts", "val=25,test=10", "--out", folder + "/d"])
        XCTAssertEqual(tooMany.status, 1)
        XCTAssertTrue(tooMany.stderr.contains("35 records, the data has 30"), tooMany.stderr)
        let badParts = try runRaise(["data", "split", "--data", folder + "/raw.jsonl", "--parts", "val=0", "--out", folder + "/e"])
        XCTAssertEqual(badParts.status, 2)
        XCTAssertTrue(badParts.stderr.contains("--parts 'val=0'"), badParts.stderr)
        let overflow = try runRaise(["data", "split", "--data", folder + "/raw.jsonl", "--parts", "a=\(Int.max),b=\(Int.max)", "--out", folder + "/f"])
        XCTAssertEqual(overflow.status, 2, "once a trap adding the counts")
        XCTAssertTrue(overflow.stderr.contains("--parts: the counts add up to more than"), overflow.stderr)
    }
}
