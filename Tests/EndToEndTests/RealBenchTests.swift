// The real-data benchmark's pieces on a few dozen real records (skipped, with a message, without the shared
// data): splits checked disjoint by id and by content, a base pretrained on its own part, every entry of
// `make bench-real` end to end with the oracle from the target's source file, and `bench evaluate` giving the
// run's own test numbers back from the rebuilt models.
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class RealBenchTests: XCTestCase {
    /// `data disjoint` passes files that share nothing and names both places of a shared record — the same
    /// content under another id and file name, or the same id — with exit status 1.
    func testDisjointFilesAreCheckedByIdAndByContent() throws {
        let folder = try scratchFolder(self)
        let gsm8k = try sharedData("gsm8k/train.jsonl")
        let split = try runRaise(["data", "split", "--data", gsm8k, "--fields", "instruction=question,output=answer",
                                  "--parts", "a=5,b=5,unused=rest", "--out", folder])
        XCTAssertEqual(split.status, 0, split.stderr)
        let clean = try runRaise(["data", "disjoint", folder + "/a.jsonl", folder + "/b.jsonl"])
        XCTAssertEqual(clean.status, 0, clean.stderr)
        XCTAssertTrue(clean.stdout.contains("2 files, 10 records: no record in two files"), clean.stdout)

        let lines = try String(contentsOfFile: folder + "/a.jsonl", encoding: .utf8).split(separator: "\n")
        var copy = try XCTUnwrap(JSONValue.parse(String(lines[2])).objectValue)
        copy["id"] = .string("renamed")
        copy["instruction"] = .string("  " + (copy["instruction"]?.stringValue ?? "") + "\n")  // white space does not make a record new
        try AtomicFile.write(JSONValue.object(copy).serialized + "\n", to: folder + "/copy.jsonl")
        let shared = try runRaise(["data", "disjoint", folder + "/a.jsonl", "--data", folder + "/b.jsonl", "--data", folder + "/copy.jsonl"])
        XCTAssertEqual(shared.status, 1)
        XCTAssertTrue(shared.stderr.contains("\(folder)/copy.jsonl:1 and \(folder)/a.jsonl:3: the same content"), shared.stderr)
        let stats = try runRaise(["data", "stats", "--data", folder + "/copy.jsonl", "--json"])  // --data as the other commands take it
        XCTAssertEqual(stats.status, 0, stats.stderr)
        XCTAssertEqual(try JSONValue.parse(stats.stdout.trimmingCharacters(in: .newlines)).objectValue?["records"]?.intValue, 1)

        var sameID = try XCTUnwrap(JSONValue.parse(String(lines[0])).objectValue)
        sameID["output"] = .string("another answer")
        sameID["instruction"] = .string("another question")
        try AtomicFile.write(JSONValue.object(sameID).serialized + "\n", to: folder + "/same-id.jsonl")
        let id = try XCTUnwrap(sameID["id"]?.stringValue)
        let sharedID = try runRaise(["data", "disjoint", folder + "/a.jsonl", folder + "/same-id.jsonl"])
        XCTAssertEqual(sharedID.status, 1)
        XCTAssertTrue(sharedID.stderr.contains("the same id '\(id)'"), sharedID.stderr)
    }

    /// A tiny version of `make bench-real-gsm8k`: a base pretrained on its own part of the general records,
    /// a pool of other general records and GSM8K problems, every entry (full data, the oracle from the GSM8K
    /// file, random, perplexity, IFD, nearest, LESS, RAISE with and without the relevance state), exact match
    /// on the first test records only. Then
    /// `bench evaluate` on the same test file (matching answers and splitting products over threads as the
    /// benchmark did) rebuilds every model and
    /// gives the run's own test numbers — also from the test problems laid out as GSM8K's files are, read
    /// with `--fields` —, and refuses a test file that overlaps the pool.
    func testATinyRealBenchmarkRunsEveryEntryAndEvaluatesAgain() throws {
        let folder = try scratchFolder(self)
        func split(_ arguments: [String], parts: String, out: String) throws {
            let result = try runRaise(["data", "split"] + arguments + ["--parts", parts + ",unused=rest", "--out", folder + "/" + out])
            XCTAssertEqual(result.status, 0, result.stderr)
        }
        try split(["--data", try sharedData("gsm8k/train.jsonl"), "--fields", "instruction=question,output=answer"], parts: "val=6,test=6,pool=16", out: "gsm8k")
        try split(["--data", try sharedData("alpaca-libre/alpaca_libre_tasks_v1.jsonl"), "--where", "status=ok", "--skip-invalid"],
                  parts: "pool=12,base=150", out: "alpaca")
        try split(["--data", try sharedData("gpteacher/codegen-instruct.json")], parts: "pool=12,base=150", out: "gpteacher")
        let disjoint = try runRaise(["data", "disjoint"] + ["alpaca/base", "gpteacher/base", "alpaca/pool", "gpteacher/pool", "gsm8k/pool", "gsm8k/val",
                                                            "gsm8k/test"].map { "\(folder)/\($0).jsonl" })
        XCTAssertEqual(disjoint.status, 0, disjoint.stderr)
        XCTAssertEqual(try runRaise(["tokenizer", "train", "--vocab", "400", "--data", folder + "/alpaca/base.jsonl", "--data", folder + "/gpteacher/base.jsonl",
                                     "--out", folder + "/tok", "--quiet"]).status, 0)
        let pretrain = try runRaise(["pretrain", "--model", "tinygpt:layers=1,heads=2,d=32,ctx=96,tokenizer=\(folder)/tok", "--data", folder + "/alpaca/base.jsonl",
                                     "--data", folder + "/gpteacher/base.jsonl", "--steps", "30", "--batch", "8", "--threads", "1", "--quiet", "--out", folder + "/base"])
        XCTAssertEqual(pretrain.status, 0, pretrain.stderr)

        let gsm8kPool = folder + "/gsm8k/pool.jsonl"
        let entries = ["random", "perplexity", "ifd", "nearest:dims=4", "less:dims=64", "raise", "raise:groups=stage+difficulty+semantics+availability"]
        let bench = try runRaise(["bench", "run", "--model", folder + "/base", "--data", gsm8kPool, "--data", folder + "/alpaca/pool.jsonl",
                                  "--data", folder + "/gpteacher/pool.jsonl", "--oracle-data", gsm8kPool, "--val", folder + "/gsm8k/val.jsonl",
                                  "--test", folder + "/gsm8k/test.jsonl", "--match", "final-answer", "--exact-match-limit", "3", "--budgets", "10%", "--seeds", "1", "--batch", "4",
                                  "--lr", "1e-3", "--episodes", "1", "--eval-points", "1", "--threads", "1", "--quiet", "--out", folder + "/bench"]
                                 + entries.flatMap { ["--selector", $0] })
        XCTAssertEqual(bench.status, 0, bench.stderr)
        let report = try String(contentsOfFile: folder + "/bench/report.md", encoding: .utf8)
        for entry in ["full data", "oracle (reference)"] + entries {
            XCTAssertTrue(report.contains("| \(entry) |"), "\(entry) in the report:\n" + report)
        }
        XCTAssertTrue(report.contains("The oracle trains on the pool's records from \(gsm8kPool)"), report)
        XCTAssertTrue(report.contains("greedy exact match of the final answer on the target test split's first 3 records"), report)
        XCTAssertTrue(report.contains("## Records cut to the context\n\nThe model reads 96 tokens."), report)
        XCTAssertTrue(report.contains("- the test split, \(folder)/gsm8k/test.jsonl: 6 of 6 record(s) are longer than the context of 96 tokens"), report)
        let oracleRow = try XCTUnwrap(report.split(separator: "\n").first { $0.hasPrefix("| oracle (reference) |") })
        XCTAssertTrue(oracleRow.contains("| 100% |"), "the oracle trains on GSM8K problems only: " + oracleRow)

        // No --threads: the benchmark's own count (1) is used, as a bit-for-bit rebuild needs.
        let evaluate = try runRaise(["bench", "evaluate", "--bench", folder + "/bench", "--test", folder + "/gsm8k/test.jsonl", "--quiet"])
        XCTAssertEqual(evaluate.status, 0, evaluate.stderr)
        func rows(_ path: String) throws -> [String] {
            // budget, entry, kind, seed, val_loss, test_loss, test_exact_match: the rest is timing
            try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
                $0.split(separator: ",", omittingEmptySubsequences: false).prefix(7).joined(separator: ",")
            }
        }
        XCTAssertEqual(try rows(folder + "/bench/evaluations/test/results.csv"), try rows(folder + "/bench/results.csv"))

        // The same test problems as GSM8K's own files lay them out (question, answer; no id): read with --fields.
        let problems = try String(contentsOfFile: folder + "/gsm8k/test.jsonl", encoding: .utf8).split(separator: "\n").map { line -> String in
            let record = try XCTUnwrap(JSONValue.parse(String(line)).objectValue)
            return JSONValue.object(JSONObject([("question", record["instruction"]!), ("answer", record["output"]!)])).serialized + "\n"
        }
        try AtomicFile.write(problems.joined(), to: folder + "/gsm8k-layout.jsonl")
        let unmapped = try runRaise(["bench", "evaluate", "--bench", folder + "/bench", "--test", folder + "/gsm8k-layout.jsonl", "--quiet"])
        XCTAssertEqual(unmapped.status, 1)
        XCTAssertTrue(unmapped.stderr.contains("gsm8k-layout.jsonl:1: field 'instruction' missing"), unmapped.stderr)
        let mapped = try runRaise(["bench", "evaluate", "--bench", folder + "/bench", "--test", folder + "/gsm8k-layout.jsonl",
                                   "--fields", "instruction=question,output=answer", "--quiet"])
        XCTAssertEqual(mapped.status, 0, mapped.stderr)
        XCTAssertEqual(try rows(folder + "/bench/evaluations/gsm8k-layout/results.csv"), try rows(folder + "/bench/results.csv"))
        let evaluationReport = try String(contentsOfFile: folder + "/bench/evaluations/gsm8k-layout/report.md", encoding: .utf8)
        XCTAssertTrue(evaluationReport.contains("- the test split, \(folder)/gsm8k-layout.jsonl: 6 of 6 record(s)"), evaluationReport)

        // Exact match on another share of the test split than the benchmark's: none here, the same losses.
        let lossOnly = try runRaise(["bench", "evaluate", "--bench", folder + "/bench", "--test", folder + "/gsm8k/test.jsonl",
                                     "--exact-match-limit", "0", "--name", "loss-only", "--quiet"])
        XCTAssertEqual(lossOnly.status, 0, lossOnly.stderr)
        let withoutMatch = try rows(folder + "/bench/results.csv").map { row -> String in
            var fields = row.split(separator: ",", omittingEmptySubsequences: false)
            if fields[6] != "test_exact_match" { fields[6] = "" }  // the header kept
            return fields.joined(separator: ",")
        }
        XCTAssertEqual(try rows(folder + "/bench/evaluations/loss-only/results.csv"), withoutMatch)
        let lossOnlyReport = try String(contentsOfFile: folder + "/bench/evaluations/loss-only/report.md", encoding: .utf8)
        XCTAssertTrue(lossOnlyReport.contains("(no exact match: `--exact-match-limit 0`)"), lossOnlyReport)

        let overlapping = try runRaise(["bench", "evaluate", "--bench", folder + "/bench", "--test", folder + "/alpaca/pool.jsonl", "--threads", "1"])
        XCTAssertNotEqual(overlapping.status, 0)
        XCTAssertTrue(overlapping.stderr.contains("is also in the pool"), overlapping.stderr)
    }
}
