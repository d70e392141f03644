// The user's path (first items): what finetune records and prints, progress in a log file, a warning
// when a reward cannot teach the policy anything, and the benchmark's HTML report, rendered in a headless
// browser when one is installed.
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class UserPathTests: XCTestCase {
    /// metrics.json records the selector's canonical spec (its parameters too), and `--eval-every` prints
    /// each validation loss on a line of its own and saves the curve.
    func testFinetuneRecordsTheCanonicalSelectorAndTheValidationCurve() throws {
        let (folder, model) = try tinySuite(self, size: 200, validation: 8, testSplit: 4)
        let result = try runRaise(["finetune", "--model", model, "--data", folder + "/suite/pool.jsonl", "--val", folder + "/suite/val.jsonl",
                                   "--template", "plain", "--selector", "perplexity:band=low", "--budget", "4", "--batch", "2",
                                   "--eval-every", "2", "--threads", "1", "--out", folder + "/ft"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let metrics = try JSONValue.readObject(path: folder + "/ft/metrics.json")
        XCTAssertEqual(metrics["selector"]?.stringValue, "selector.perplexity:band=low")
        let curve = try XCTUnwrap(metrics["val_curve"]?.arrayValue?.compactMap(\.objectValue))
        XCTAssertEqual(curve.compactMap { $0["step"]?.intValue }, [2, 4])
        XCTAssertEqual(curve.last?["val_loss"]?.numberValue, metrics["val_loss"]?.numberValue)
        for step in [2, 4] { XCTAssertTrue(result.stderr.contains("finetune: step \(step)/4: validation loss "), result.stderr) }
        XCTAssertTrue(result.stdout.contains("finetuned with selector.perplexity:band=low"), result.stdout)
    }

    /// A model folder remembers the template it was trained with and uses it by default; another one given
    /// explicitly wins, with a warning.
    func testAModelFolderRemembersItsTemplate() throws {
        let (folder, model) = try tinySuite(self, size: 200, validation: 8, testSplit: 4)
        let pretrain = try runRaise(["pretrain", "--model", model, "--data", folder + "/suite/pretrain.jsonl", "--template", "plain",
                                     "--steps", "4", "--batch", "4", "--threads", "1", "--quiet", "--out", folder + "/base"])
        XCTAssertEqual(pretrain.status, 0, pretrain.stderr)
        XCTAssertEqual(try JSONValue.readObject(path: folder + "/base/config.json")["prompt_template"]?.stringValue, "plain")
        func finetune(_ extra: [String]) throws -> (loss: Double?, stderr: String) {
            let result = try runRaise(["finetune", "--model", folder + "/base", "--data", folder + "/suite/pool.jsonl", "--val", folder + "/suite/val.jsonl",
                                       "--budget", "2", "--batch", "2", "--threads", "1", "--json"] + extra)
            XCTAssertEqual(result.status, 0, result.stderr)
            let line = try JSONValue.parse(String(result.stdout.split(separator: "\n").last ?? "")).objectValue
            return (line?["val_loss"]?.numberValue, result.stderr)
        }
        let remembered = try finetune([]), explicit = try finetune(["--template", "plain"]), other = try finetune(["--template", "alpaca"])
        XCTAssertEqual(remembered.loss, explicit.loss, "the folder's template is the default")
        XCTAssertNotEqual(other.loss, explicit.loss)
        XCTAssertTrue(other.stderr.contains("{\"event\":\"warning\",\"message\":\"--template alpaca: the model in \(folder)/base was trained "
                                            + "with the plain template\"}"), other.stderr)
        XCTAssertFalse(explicit.stderr.contains("was trained with"), explicit.stderr)
    }

    /// `raise evaluate` measures a model without training it: on a fine-tuned model's folder it gives the
    /// numbers finetune reported (the template the folder remembers), with the greedy answers' progress on
    /// stderr (none with `--quiet`), the test loss alone with `--exact-match-limit 0`, and it needs a split to measure.
    func testEvaluateMeasuresAModelWithoutTrainingIt() throws {
        let (folder, model) = try tinySuite(self, size: 200, validation: 8, testSplit: 4)
        let splits = ["--val", folder + "/suite/val.jsonl", "--test", folder + "/suite/test.jsonl"]
        let finetune = try runRaise(["finetune", "--model", model, "--data", folder + "/suite/pool.jsonl", "--template", "plain", "--budget", "3",
                                     "--batch", "2", "--threads", "1", "--quiet", "--out", folder + "/ft"] + splits)
        XCTAssertEqual(finetune.status, 0, finetune.stderr)
        let evaluate = try runRaise(["evaluate", "--model", folder + "/ft", "--threads", "1", "--json"] + splits)
        XCTAssertEqual(evaluate.status, 0, evaluate.stderr)
        let measured = try XCTUnwrap(JSONValue.parse(evaluate.stdout.trimmingCharacters(in: .whitespacesAndNewlines)).objectValue)
        let metrics = try JSONValue.readObject(path: folder + "/ft/metrics.json")
        for key in ["val_loss", "test_loss", "test_exact_match"] {
            XCTAssertEqual(measured[key]?.numberValue, metrics[key]?.numberValue, key)
        }
        let events = evaluate.stderr.split(separator: "\n").compactMap { (try? JSONValue.parse(String($0)))?.objectValue }
        let lastAnswer = try XCTUnwrap(events.last { $0["task"]?.stringValue == "exact match" }, "the greedy answers show progress: " + evaluate.stderr)
        XCTAssertEqual(lastAnswer["step"]?.numberValue, 4)
        XCTAssertEqual(lastAnswer["total"]?.numberValue, 4, "one step per test record answered")
        let quiet = try runRaise(["evaluate", "--model", folder + "/ft", "--threads", "1", "--quiet"] + splits)
        XCTAssertEqual(quiet.status, 0, quiet.stderr)
        XCTAssertEqual(quiet.stderr, "", "--quiet shows no progress")
        let lossOnly = try runRaise(["evaluate", "--model", folder + "/ft", "--threads", "1", "--exact-match-limit", "0", "--json"] + splits)
        XCTAssertEqual(lossOnly.status, 0, lossOnly.stderr)
        let measuredLossOnly = try XCTUnwrap(JSONValue.parse(lossOnly.stdout.trimmingCharacters(in: .whitespacesAndNewlines)).objectValue)
        XCTAssertEqual(measuredLossOnly["test_loss"]?.numberValue, metrics["test_loss"]?.numberValue, "the loss is over the whole split")
        XCTAssertNil(measuredLossOnly["test_exact_match"], "--exact-match-limit 0 decodes nothing")
        let nothing = try runRaise(["evaluate", "--model", folder + "/ft"])
        XCTAssertEqual(nothing.status, 2)
        XCTAssertTrue(nothing.stderr.contains("--val FILE or --test FILE is required"), nothing.stderr)
    }

    /// `evaluate --answers FILE` writes each test record's greedy answer beside its reference and whether they
    /// match; `--match choice` reads the option letter a multiple-choice answer gives. A model trained to answer
    /// "B. the second" to everything gets the MMLU-style rows whose answer is B right by the letter, none exactly;
    /// `--match choice-likelihood` finds B likeliest. References that give no letter are named, or refused when none does.
    func testAnswersShowWhatExactMatchCountedAndChoiceReadsTheLetter() throws {
        let (folder, tinyModel) = try tinySuite(self, size: 100, validation: 4, testSplit: 4)
        try (0..<40).map { "{\"instruction\":\"Question \($0): which?\",\"output\":\"B. the second\"}\n" }.joined()
            .write(toFile: folder + "/pool.jsonl", atomically: true, encoding: .utf8)
        try "What is 1+1?,1,2,3,4,B\nWhat is 2+1?,1,2,3,4,C\n\"Pick, the second\",x,y,z,w,B\n".write(toFile: folder + "/quiz_test.csv", atomically: true, encoding: .utf8)
        let trained = try runRaise(["finetune", "--model", tinyModel, "--data", folder + "/pool.jsonl", "--template", "plain", "--selector", "full",
                                    "--budget", "100%", "--batch", "4", "--lr", "1e-2", "--threads", "1", "--quiet", "--out", folder + "/ft"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let evaluate = ["evaluate", "--model", folder + "/ft", "--test", folder + "/quiz_test.csv", "--threads", "1", "--json"]
        func exactMatch(_ extra: [String]) throws -> Double? {
            let result = try runRaise(evaluate + extra)
            XCTAssertEqual(result.status, 0, result.stderr)
            return try JSONValue.parse(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)).objectValue?["test_exact_match"]?.numberValue
        }
        func answers(_ path: String) throws -> [JSONObject] {
            try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { try XCTUnwrap(JSONValue.parse(String($0)).objectValue) }
        }
        XCTAssertEqual(try exactMatch(["--match", "choice", "--answers", folder + "/choice.jsonl"]), 2.0 / 3.0)
        let byLetter = try answers(folder + "/choice.jsonl")
        XCTAssertEqual(byLetter.map { $0["id"]?.stringValue }, ["quiz_test.csv:1", "quiz_test.csv:2", "quiz_test.csv:3"])
        XCTAssertEqual(byLetter.map { $0["reference"]?.stringValue }, ["B", "C", "B"])
        XCTAssertEqual(byLetter.map { $0["task"]?.stringValue }, ["quiz", "quiz", "quiz"], "an MMLU file's subject")
        XCTAssertEqual(byLetter.map { $0["match"] }, [.bool(true), .bool(false), .bool(true)])
        XCTAssertTrue(byLetter.allSatisfy { $0["answer"]?.stringValue?.hasPrefix("B.") == true }, "\(byLetter)")
        XCTAssertEqual(try exactMatch(["--match", "choice-likelihood", "--answers", folder + "/likelihood.jsonl"]), 2.0 / 3.0)
        XCTAssertEqual(try answers(folder + "/likelihood.jsonl").map { $0["answer"] }, Array(repeating: .string("B"), count: 3),
                       "the letter it finds likeliest, nothing generated")
        XCTAssertEqual(try exactMatch(["--answers", folder + "/exact.jsonl", "--exact-match-limit", "2"]), 0, "the whole answer is not the letter")
        XCTAssertEqual(try answers(folder + "/exact.jsonl").map { $0["match"] }, [.bool(false), .bool(false)], "the first 2 records only")

        // References that give no letter count as misses, named; a split where none gives one is refused.
        try "{\"instruction\":\"a?\",\"output\":\"B\"}\n{\"instruction\":\"b?\",\"output\":\"forty\"}\n"
            .write(toFile: folder + "/mixed_test.jsonl", atomically: true, encoding: .utf8)
        let mixed = ["evaluate", "--model", folder + "/ft", "--test", folder + "/mixed_test.jsonl", "--threads", "1", "--quiet"]
        let warned = try runRaise(mixed + ["--match", "choice-likelihood"])
        XCTAssertEqual(warned.status, 0, warned.stderr)
        XCTAssertTrue(warned.stderr.contains("--match choice-likelihood: 1 of 2 test references give no option letter their prompt offers"), warned.stderr)
        XCTAssertTrue(warned.stderr.contains("and count as misses (the first: \(folder)/mixed_test.jsonl:2: \"forty\")"), warned.stderr)
        XCTAssertEqual(try runRaise(mixed + ["--match", "choice", "--exact-match-limit", "1"]).stderr, "", "only the records measured are read")
        // By likelihood a reference must be a letter its prompt offers: C, where the prompt labels A and B only, could never match.
        try "{\"instruction\":\"a?\",\"output\":\"B\"}\n{\"instruction\":\"b?\\n(A) x (B) y\",\"output\":\"C\"}\n"
            .write(toFile: folder + "/offered_test.jsonl", atomically: true, encoding: .utf8)
        let offered = try runRaise(["evaluate", "--model", folder + "/ft", "--test", folder + "/offered_test.jsonl", "--threads", "1", "--quiet",
                                    "--match", "choice-likelihood"])
        XCTAssertEqual(offered.status, 0, offered.stderr)
        XCTAssertTrue(offered.stderr.contains("--match choice-likelihood: 1 of 2 test references give no option letter their prompt offers"), offered.stderr)
        XCTAssertTrue(offered.stderr.contains("(the first: \(folder)/offered_test.jsonl:2: \"C\", its prompt offering A–B)"), offered.stderr)
        XCTAssertEqual(try runRaise(["evaluate", "--model", folder + "/ft", "--test", folder + "/offered_test.jsonl", "--threads", "1",
                                     "--quiet", "--match", "choice"]).stderr, "", "a generated answer may give any letter")
        let refused = try runRaise(mixed + ["--match", "final-answer", "--exact-match-limit", "1"])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("--match final-answer: 1 of 1 test references give no final answer (after '####', else a number), "
                                              + "so no answer could match"), refused.stderr)
        let notTrained = try runRaise(["finetune", "--model", tinyModel, "--data", folder + "/pool.jsonl", "--template", "plain", "--budget", "1",
                                       "--batch", "4", "--test", folder + "/mixed_test.jsonl", "--match", "final-answer", "--quiet", "--out", folder + "/ft2"])
        XCTAssertEqual(notTrained.status, 2, "finetune refuses before training")
        XCTAssertTrue(notTrained.stderr.contains("2 of 2 test references give no final answer"), notTrained.stderr)

        for (extra, problem) in [(["--exact-match-limit", "0"], "it needs --test FILE, and an --exact-match-limit other than 0"),
                                 (["--losses", folder + "/same.jsonl"], "--answers and --losses name the same file")] {
            let refused = try runRaise(evaluate + ["--answers", folder + "/same.jsonl"] + extra)
            XCTAssertEqual(refused.status, 2)
            XCTAssertTrue(refused.stderr.contains(problem), refused.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/same.jsonl"))
    }

    /// `--fields` maps the target splits' fields as it maps the pool's, and a record without a mapped field is
    /// read by the usual name: splits laid out as GSM8K's files are (question, answer) give `finetune` and
    /// `evaluate` the numbers of the same splits in the usual layout, beside a pool in the usual layout.
    func testFieldsMapTheTargetSplitsAsWellAsThePool() throws {
        let (folder, model) = try tinySuite(self, size: 200, validation: 8, testSplit: 4)
        for split in ["val", "test"] {
            let lines = try String(contentsOfFile: folder + "/suite/\(split).jsonl", encoding: .utf8).split(separator: "\n")
            let renamed = try lines.map { line -> String in
                var record = try XCTUnwrap(JSONValue.parse(String(line)).objectValue)
                (record["question"], record["answer"]) = (record["instruction"], record["output"])
                (record["instruction"], record["output"]) = (nil, nil)
                return JSONValue.object(record).serialized + "\n"
            }
            try AtomicFile.write(renamed.joined(), to: folder + "/\(split)-renamed.jsonl")
        }
        let usual = ["--val", folder + "/suite/val.jsonl", "--test", folder + "/suite/test.jsonl"]
        let renamed = ["--val", folder + "/val-renamed.jsonl", "--test", folder + "/test-renamed.jsonl"]
        let mapping = ["--fields", "instruction=question,output=answer"]
        func finetune(_ splits: [String], out: String) throws -> JSONObject {
            let result = try runRaise(["finetune", "--model", model, "--data", folder + "/suite/pool.jsonl", "--template", "plain", "--budget", "3",
                                       "--batch", "2", "--threads", "1", "--quiet", "--out", folder + "/" + out] + splits)
            XCTAssertEqual(result.status, 0, result.stderr)
            return try JSONValue.readObject(path: folder + "/" + out + "/metrics.json")
        }
        let expected = try finetune(usual, out: "usual")
        let mapped = try finetune(renamed + mapping, out: "mapped")
        for key in ["val_loss", "test_loss", "test_exact_match"] {
            XCTAssertNotNil(expected[key]?.numberValue, key)
            XCTAssertEqual(mapped[key]?.numberValue, expected[key]?.numberValue, key)
        }
        let evaluate = try runRaise(["evaluate", "--model", folder + "/usual", "--threads", "1", "--json"] + renamed + mapping)
        XCTAssertEqual(evaluate.status, 0, evaluate.stderr)
        let measured = try XCTUnwrap(JSONValue.parse(evaluate.stdout.trimmingCharacters(in: .whitespacesAndNewlines)).objectValue)
        for key in ["val_loss", "test_loss", "test_exact_match"] {
            XCTAssertEqual(measured[key]?.numberValue, expected[key]?.numberValue, key)
        }
        let unmapped = try runRaise(["evaluate", "--model", folder + "/usual", "--threads", "1"] + renamed)
        XCTAssertEqual(unmapped.status, 1)
        XCTAssertTrue(unmapped.stderr.contains("val-renamed.jsonl:1: field 'instruction' missing"), unmapped.stderr)
    }

    /// `--val` and `--test` may each be given several files (MMLU's subjects, one file each): their records make
    /// one split, in order, with the numbers of the same split in one file; a file given twice is refused.
    func testASplitMayBeSeveralFiles() throws {
        let (folder, model) = try tinySuite(self, size: 200, validation: 8, testSplit: 4)
        var parts = [String: [String]]()  // split → its two files
        for split in ["val", "test"] {
            let lines = try String(contentsOfFile: folder + "/suite/\(split).jsonl", encoding: .utf8).split(separator: "\n")
            parts[split] = [folder + "/\(split)-a.jsonl", folder + "/\(split)-b.jsonl"]
            try AtomicFile.write(lines.prefix(lines.count / 2 + 1).map { $0 + "\n" }.joined(), to: parts[split]![0])
            try AtomicFile.write(lines.dropFirst(lines.count / 2 + 1).map { $0 + "\n" }.joined(), to: parts[split]![1])
        }
        let whole = ["--val", folder + "/suite/val.jsonl", "--test", folder + "/suite/test.jsonl"]
        let split = ["val", "test"].flatMap { name in parts[name]!.flatMap { ["--\(name)", $0] } }
        func finetune(_ splits: [String], out: String) throws -> JSONObject {
            let result = try runRaise(["finetune", "--model", model, "--data", folder + "/suite/pool.jsonl", "--template", "plain", "--budget", "3",
                                       "--batch", "2", "--threads", "1", "--quiet", "--out", folder + "/" + out] + splits)
            XCTAssertEqual(result.status, 0, result.stderr)
            return try JSONValue.readObject(path: folder + "/" + out + "/metrics.json")
        }
        let expected = try finetune(whole, out: "whole"), fromParts = try finetune(split, out: "parts")
        let evaluate = try runRaise(["evaluate", "--model", folder + "/whole", "--threads", "1", "--json"] + split)
        XCTAssertEqual(evaluate.status, 0, evaluate.stderr)
        let measured = try XCTUnwrap(JSONValue.parse(evaluate.stdout.trimmingCharacters(in: .whitespacesAndNewlines)).objectValue)
        for key in ["val_loss", "test_loss", "test_exact_match"] {
            XCTAssertNotNil(expected[key]?.numberValue, key)
            XCTAssertEqual(fromParts[key]?.numberValue, expected[key]?.numberValue, key)
            XCTAssertEqual(measured[key]?.numberValue, expected[key]?.numberValue, key)
        }
        let twice = try runRaise(["evaluate", "--model", folder + "/whole", "--val", parts["val"]![0], "--val", parts["val"]![0]])
        XCTAssertEqual(twice.status, 2)
        XCTAssertTrue(twice.stderr.contains("--val \(parts["val"]![0]) is given twice"), twice.stderr)
    }

    /// A benchmark of random and length selection on a 100-record tiny suite (batch 10, one learning rate) in
    /// `folder`/bench; returns the folder.
    private func tinyBench(budgets: String, seeds: Int, evalPoints: Int, context: Int = 48) throws -> String {
        let (folder, tinyModel) = try tinySuite(self, size: 100, validation: 4, testSplit: 4)
        let model = tinyModel.replacingOccurrences(of: "ctx=48", with: "ctx=\(context)")
        let result = try runRaise(["bench", "run", "--model", model, "--data", folder + "/suite/pool.jsonl", "--val", folder + "/suite/val.jsonl",
                                   "--test", folder + "/suite/test.jsonl", "--template", "plain", "--selector", "random", "--selector", "length",
                                   "--lr", "1e-3", "--budgets", budgets, "--seeds", String(seeds), "--batch", "10",
                                   "--eval-points", String(evalPoints), "--threads", "1", "--quiet", "--out", folder + "/bench"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return folder
    }

    /// A benchmark whose target is multiple-choice, scored by the likeliest letter: the report says how its exact
    /// match was measured, and `bench evaluate` on the same test file gives every run's own exact match again.
    func testABenchmarkScoresAMultipleChoiceTargetByLikelihood() throws {
        let (folder, tinyModel) = try tinySuite(self, size: 100, validation: 4, testSplit: 4)
        try "What is 1+1?,1,2,3,4,B\nWhat is 2+1?,1,2,3,4,C\nPick one,x,y,z,w,A\n".write(toFile: folder + "/quiz_test.csv", atomically: true, encoding: .utf8)
        let bench = try runRaise(["bench", "run", "--model", tinyModel, "--data", folder + "/suite/pool.jsonl", "--val", folder + "/suite/val.jsonl",
                                  "--test", folder + "/quiz_test.csv", "--match", "choice-likelihood", "--template", "plain", "--selector", "random",
                                  "--lr", "1e-3", "--budgets", "10%", "--seeds", "2", "--batch", "10", "--eval-points", "1", "--threads", "1",
                                  "--quiet", "--out", folder + "/bench"])
        XCTAssertEqual(bench.status, 0, bench.stderr)
        let report = try String(contentsOfFile: folder + "/bench/report.md", encoding: .utf8)
        XCTAssertTrue(report.contains("exact match of the option letter the model finds likeliest (nothing generated) on the target test split"), report)
        func exactMatches(_ csv: String) throws -> [String] {
            try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[6]) }
        }
        let measured = try exactMatches(folder + "/bench/results.csv")
        XCTAssertEqual(measured.count, 4, "full data and random, 2 seeds each")
        XCTAssertTrue(measured.allSatisfy { ["0.0000", "0.3333", "0.6667", "1.0000"].contains($0) }, "\(measured)")
        XCTAssertTrue(measured.contains { $0 != "0.0000" }, "some letter is right, where exact match of whole answers gives none: \(measured)")
        let again = try runRaise(["bench", "evaluate", "--bench", folder + "/bench", "--test", folder + "/quiz_test.csv", "--quiet"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try exactMatches(folder + "/bench/evaluations/quiz_test/results.csv"), measured)
    }

    /// In the report, a tie (every selector at 0.0% exact match) marks no best; in overlap.md, full data —
    /// which picks every record alike (3 epochs of a pool that divides into batches) — has no rank correlation.
    func testTiesAreNotBoldAndUndefinedCorrelationsAreDashes() throws {
        let folder = try tinyBench(budgets: "10%", seeds: 1, evalPoints: 1)
        let pool = try String(contentsOfFile: folder + "/suite/pool.jsonl", encoding: .utf8).split(separator: "\n").count
        XCTAssertEqual(pool % 10, 0, "the pool divides into batches of 10")
        let report = try String(contentsOfFile: folder + "/bench/report.md", encoding: .utf8)
        let results = try XCTUnwrap(report.components(separatedBy: "## What each entry picked").first)  // the results table, not the picks'
        let rows = results.split(separator: "\n").filter { $0.hasPrefix("| random |") || $0.hasPrefix("| length |") }
        let matches = rows.map { $0.split(separator: "|")[4].trimmingCharacters(in: .whitespaces) }  // entry, steps, val loss, test loss, exact match
        XCTAssertEqual(matches, ["0.0% ± 0.0", "0.0% ± 0.0"], "a tiny model answers nothing exactly: \(rows)")
        let overlap = try String(contentsOfFile: folder + "/bench/overlap.md", encoding: .utf8)
        let randomRow = try XCTUnwrap(overlap.split(separator: "\n").first { $0.hasPrefix("| random |") })
        XCTAssertTrue(randomRow.hasPrefix("| random | — | — |"), "full data's counts are constant: " + randomRow)
    }

    /// The report says, for the pool and each target split, how many records the context cut — and that none
    /// was when the context holds them all.
    func testTheReportSaysWhatTheContextCut() throws {
        let short = try tinyBench(budgets: "10%", seeds: 1, evalPoints: 1, context: 32)
        let cut = try String(contentsOfFile: short + "/bench/report.md", encoding: .utf8)
        XCTAssertTrue(cut.contains("## Records cut to the context\n\nThe model reads 32 tokens."), cut)
        XCTAssertTrue(cut.contains("- the pool: ") && cut.contains(" record(s) are longer than the context of 32 tokens and were cut: "), cut)
        let long = try tinyBench(budgets: "10%", seeds: 1, evalPoints: 1, context: 256)
        let whole = try String(contentsOfFile: long + "/bench/report.md", encoding: .utf8)
        for line in ["- the pool: none of its 100 record(s) is cut", "- the validation split, \(long)/suite/val.jsonl: none of its 4 record(s) is cut",
                     "- the test split, \(long)/suite/test.jsonl: none of its 4 record(s) is cut"] {
            XCTAssertTrue(whole.contains(line), line + " in:\n" + whole)
        }
    }

    /// report.html holds every table of report.md and overlap.md and both charts inline, and needs no other
    /// file. In a headless browser (Chromium, which `make test` installs) every table and both charts take
    /// up space on the page, the charts' lines and bars are drawn, and the console shows no error.
    func testTheHTMLReportIsOnePageThatRenders() throws {
        let folder = try tinyBench(budgets: "10%,20%", seeds: 2, evalPoints: 2)
        let html = try String(contentsOfFile: folder + "/bench/report.html", encoding: .utf8)
        let markdown = try ["report.md", "overlap.md"].map { try String(contentsOfFile: folder + "/bench/" + $0, encoding: .utf8) }.joined()
        let markdownTables = markdown.split(separator: "\n").filter { $0.hasPrefix("|---") }.count
        XCTAssertEqual(markdownTables, 6, "two budgets' results, what was picked at each, and two overlap tables")
        XCTAssertEqual(html.components(separatedBy: "<table>").count - 1, markdownTables)
        XCTAssertEqual(html.components(separatedBy: "<svg ").count - 1, 2, "both charts inline")
        XCTAssertTrue(html.contains("<li>cores: "), "the environment")
        XCTAssertFalse(html.contains(" src=") || html.contains(" href="), "nothing outside the page")

        let browsers = ["chromium-headless-shell", "chromium", "google-chrome"].compactMap { name in
            (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/\(name)" }
                .first { FileManager.default.isExecutableFile(atPath: $0) }
        }
        guard let browser = browsers.first else {
            throw XCTSkip("no headless Chromium on the PATH: `make test` installs chromium-headless-shell (apt)")
        }
        // The page as the user gets it, plus a script that measures what the browser laid out and drew.
        let measure = """
            <script>
            const laidOut = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
            const result = { tables: Array.from(document.querySelectorAll('table')).map(laidOut),
              charts: Array.from(document.querySelectorAll('figure > svg')).map(svg => ({ laidOut: laidOut(svg),
                drawn: Array.from(svg.querySelectorAll('polyline, rect')).filter(e => { const b = e.getBBox(); return b.width > 0 && b.height > 0; }).length })) };
            document.body.insertAdjacentHTML('beforeend', '<pre id="measured">' + JSON.stringify(result) + '</pre>');
            console.log('measured');
            </script>
            """
        try AtomicFile.write(html.replacingOccurrences(of: "</body>", with: measure + "</body>"), to: folder + "/measured.html")
        let rendered = try Subprocess.run(browser, ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                                                    "--virtual-time-budget=2000", "--dump-dom", "file://\(folder)/measured.html"])
        XCTAssertEqual(rendered.status, 0, rendered.errorOutput)
        let json = try XCTUnwrap(rendered.output.components(separatedBy: "<pre id=\"measured\">").last?.components(separatedBy: "</pre>").first,
                                 rendered.output)
        let measured = try XCTUnwrap(JSONValue.parse(json).objectValue, json)
        XCTAssertEqual(measured["tables"], .array(Array(repeating: .bool(true), count: markdownTables)), json)
        let charts = try XCTUnwrap(measured["charts"]?.arrayValue?.compactMap(\.objectValue), json)
        XCTAssertEqual(charts.count, 2, json)
        for chart in charts {
            XCTAssertEqual(chart["laidOut"], .bool(true), json)
            XCTAssertGreaterThan(try XCTUnwrap(chart["drawn"]?.intValue), 4, "lines and bars drawn: \(json)")
        }
        let console = rendered.errorOutput.split(separator: "\n").filter { $0.contains(":CONSOLE") }
        XCTAssertEqual(console.count, 1, "the console shows the measuring script's line and nothing else:\n" + console.joined(separator: "\n"))
        XCTAssertFalse(rendered.errorOutput.contains("Uncaught"), rendered.errorOutput)
    }

    /// With stderr a pipe or a file, progress is whole lines, never carriage-return redraws.
    func testProgressInALogIsWholeLines() throws {
        let (folder, model) = try tinySuite(self, size: 200)
        let result = try runRaise(["pretrain", "--model", model, "--data", folder + "/suite/pretrain.jsonl", "--steps", "20", "--batch", "4",
                                   "--threads", "1", "--out", folder + "/base"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertFalse(result.stderr.contains("\r"), "no redraws in a log")
        XCTAssertTrue(result.stderr.split(separator: "\n").contains { $0.hasPrefix("pretrain: step 20/20") }, result.stderr)
    }

    /// A reward that is the same at every step (exact match at the noise floor of a tiny model) is named.
    func testAConstantRewardIsWarnedAbout() throws {
        let (folder, model) = try tinySuite(self, size: 200, validation: 8, testSplit: 4)
        let result = try runRaise(["train-selector", "--model", model, "--data", folder + "/suite/pool.jsonl", "--val", folder + "/suite/val.jsonl",
                                   "--template", "plain", "--reward", "val-accuracy:limit=2", "--episodes", "1", "--budget", "3", "--batch", "4",
                                   "--semantic-dims", "4", "--hidden", "8", "--threads", "1", "--quiet", "--out", folder + "/policy"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("raise: warning: episode 1: every one of its 3 rewards was 0.0"), result.stderr)
        XCTAssertTrue(result.stderr.contains("val-accuracy:limit=2"), result.stderr)
    }

    /// A model's own chat template sets the default format: a Qwen2 folder carrying SmolLM2's template reads
    /// chats in ChatML opened by SmolLM2's system prompt, and says so; `--system-prompt ""` and `--template`
    /// choose otherwise; a Llama folder carrying Llama 3.1's template opens every chat with its dated system turn;
    /// a template raise does not know leaves alpaca, with a warning; a folder fine-tuned from it
    /// keeps the template and the system prompt, and carries the chat template for transformers — raise's own when
    /// it was trained in another format.
    func testAModelsOwnChatTemplateIsTheDefaultFormat() throws {
        let folder = try scratchFolder(self), model = folder + "/model"
        try FileManager.default.copyItem(atPath: fixturesFolder + "/qwen2/tiny-qwen2", toPath: model)
        let templates = try XCTUnwrap(JSONValue.readObject(path: fixturesFolder + "/chat_templates/chat_templates_reference.json")["templates"]?.arrayValue)
        let smolLM2 = try XCTUnwrap(templates.compactMap(\.objectValue).first { $0["name"]?.stringValue == "SmolLM2-135M-Instruct" }?["source"]?.stringValue)
        try smolLM2.write(toFile: model + "/chat_template.jinja", atomically: true, encoding: .utf8)
        try (0..<4).map { #"{"instruction": "Add \#($0) and 2.", "output": "\#($0 + 2)"}"# }.joined(separator: "\n")
            .write(toFile: folder + "/data.jsonl", atomically: true, encoding: .utf8)
        var runs = 0
        func firstPiece(_ options: [String]) throws -> (text: String, stderr: String) {
            runs += 1
            let losses = folder + "/losses\(runs).jsonl"
            let result = try runRaise(["evaluate", "--val", folder + "/data.jsonl", "--losses", losses, "--threads", "1"] + options)
            XCTAssertEqual(result.status, 0, result.stderr)
            let line = try JSONValue.parse(String(try String(contentsOfFile: losses, encoding: .utf8).split(separator: "\n")[0])).objectValue
            return (try XCTUnwrap(line?["pieces"]?.arrayValue?.first?.objectValue?["text"]?.stringValue), result.stderr)
        }
        let system = "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
        let own = try firstPiece(["--model", "llama:path=\(model)"])
        XCTAssertEqual(own.text, system)
        let record = try JSONValue.parse(String(try String(contentsOfFile: folder + "/losses1.jsonl", encoding: .utf8).split(separator: "\n")[0]))
        XCTAssertEqual(record.objectValue?["messages"], .array([.object(JSONObject([("role", .string("user")), ("content", .string("Add 0 and 2."))])),
                                                               .object(JSONObject([("role", .string("assistant")), ("content", .string("2"))]))]),
                       "the record's own turns, for a chat template to write")
        XCTAssertTrue(own.stderr.contains("records are formatted as the model's chat template (\(model)/chat_template.jinja) writes them: the "
                                          + "chatml template, a chat without a system turn opening with its system prompt"), own.stderr)
        XCTAssertEqual(try firstPiece(["--model", "llama:path=\(model)", "--system-prompt", ""]).text, "<|im_start|>user\nAdd 0 and 2.<|im_end|>\n<|im_start|>assistant\n")
        XCTAssertEqual(try firstPiece(["--model", "llama:path=\(model)", "--system-prompt", "Be brief."]).text, "<|im_start|>system\nBe brief.<|im_end|>\n")
        let alpaca = try firstPiece(["--model", "llama:path=\(model)", "--template", "alpaca"])
        XCTAssertTrue(alpaca.text.hasPrefix("Below is an instruction that describes a task."), alpaca.text)
        XCTAssertFalse(alpaca.stderr.contains("chat template"), alpaca.stderr)

        // Llama 3.1's template: its dated system turn opens every chat.
        let llama31 = folder + "/llama31"
        try FileManager.default.copyItem(atPath: fixturesFolder + "/llama3/tiny-llama3", toPath: llama31)
        try XCTUnwrap(templates.compactMap(\.objectValue).first { $0["name"]?.stringValue == "Llama-3.1-Instruct" }?["source"]?.stringValue)
            .write(toFile: llama31 + "/chat_template.jinja", atomically: true, encoding: .utf8)
        let dated = try firstPiece(["--model", "llama:path=\(llama31)"])
        XCTAssertEqual(dated.text, "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: "
                       + "26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAdd 0 and 2.<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
        XCTAssertTrue(dated.stderr.contains("writes them: the llama3.1 template (--template"), dated.stderr)
        XCTAssertFalse(dated.stderr.contains("leaves out"), dated.stderr)

        let unknown = folder + "/unknown"
        try FileManager.default.copyItem(atPath: fixturesFolder + "/qwen2/tiny-qwen2", toPath: unknown)
        try "{% for message in messages %}[INST] {{ message['content'] }} [/INST]{% endfor %}"
            .write(toFile: unknown + "/chat_template.jinja", atomically: true, encoding: .utf8)
        let other = try firstPiece(["--model", "llama:path=\(unknown)"])
        XCTAssertTrue(other.text.hasPrefix("Below is an instruction that describes a task."), other.text)
        XCTAssertTrue(other.stderr.contains("\(unknown)/chat_template.jinja is a chat template raise does not know"), other.stderr)

        let finetune = try runRaise(["finetune", "--model", "llama:path=\(model)", "--data", folder + "/data.jsonl", "--budget", "2", "--batch", "2",
                                     "--threads", "1", "--quiet", "--out", folder + "/ft"])
        XCTAssertEqual(finetune.status, 0, finetune.stderr)
        let config = try JSONValue.readObject(path: folder + "/ft/config.json")
        XCTAssertEqual(config["prompt_template"]?.stringValue, "chatml")
        XCTAssertEqual(config["default_system_prompt"]?.stringValue, "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        XCTAssertEqual(try JSONValue.readObject(path: folder + "/ft/tokenizer_config.json")["chat_template"]?.stringValue, smolLM2,
                       "saved for transformers' apply_chat_template")
        XCTAssertEqual(try firstPiece(["--model", folder + "/ft"]).text, system)
        XCTAssertEqual(try firstPiece(["--model", folder + "/ft", "--template", "chatml"]).text, system, "the template it was trained with")
        let without = try runRaise(["finetune", "--model", "llama:path=\(model)", "--data", folder + "/data.jsonl", "--budget", "2", "--batch", "2",
                                    "--system-prompt", "", "--threads", "1", "--quiet", "--out", folder + "/ft-without"])
        XCTAssertEqual(without.status, 0, without.stderr)
        XCTAssertNil(try JSONValue.readObject(path: folder + "/ft-without/config.json")["default_system_prompt"])
        let written = try XCTUnwrap(JSONValue.readObject(path: folder + "/ft-without/tokenizer_config.json")["chat_template"]?.stringValue)
        XCTAssertNotEqual(written, smolLM2, "not the format it was trained in: raise's own chatml, without the system prompt")
        XCTAssertEqual(ModelChatTemplate(source: written, origin: "").promptTemplate, .chatml)
        XCTAssertNil(ModelChatTemplate(source: written, origin: "").defaultSystemPrompt)
    }
}
