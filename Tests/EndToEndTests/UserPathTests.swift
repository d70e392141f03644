// The user's path (first items): what finetune records and prints, progress in a log file, and a
// warning when a reward cannot teach the policy anything.
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
        XCTAssertTrue(other.stderr.contains("raise: warning: --template alpaca: the model in \(folder)/base was trained with the plain template"),
                      other.stderr)
        XCTAssertFalse(explicit.stderr.contains("warning: --template"), explicit.stderr)
    }

    /// `raise evaluate` measures a model without training it: on a fine-tuned model's folder it gives the
    /// numbers finetune reported (the template the folder remembers), and it needs a split to measure.
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
        let nothing = try runRaise(["evaluate", "--model", folder + "/ft"])
        XCTAssertEqual(nothing.status, 2)
        XCTAssertTrue(nothing.stderr.contains("--val FILE or --test FILE is required"), nothing.stderr)
    }

    /// In the report, a tie (every selector at 0.0% exact match) marks no best; in overlap.md, full data —
    /// which picks every record alike (3 epochs of a pool that divides into batches) — has no rank correlation.
    func testTiesAreNotBoldAndUndefinedCorrelationsAreDashes() throws {
        let (folder, model) = try tinySuite(self, size: 100, validation: 4, testSplit: 4)
        let pool = try String(contentsOfFile: folder + "/suite/pool.jsonl", encoding: .utf8).split(separator: "\n").count
        XCTAssertEqual(pool % 10, 0, "the pool divides into batches of 10")
        let result = try runRaise(["bench", "run", "--model", model, "--data", folder + "/suite/pool.jsonl", "--val", folder + "/suite/val.jsonl",
                                   "--test", folder + "/suite/test.jsonl", "--template", "plain", "--selector", "random", "--selector", "length",
                                   "--lr", "1e-3", "--budgets", "10%", "--seeds", "1", "--batch", "10", "--eval-points", "1", "--threads", "1",
                                   "--quiet", "--out", folder + "/bench"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try String(contentsOfFile: folder + "/bench/report.md", encoding: .utf8)
        let rows = report.split(separator: "\n").filter { $0.hasPrefix("| random |") || $0.hasPrefix("| length |") }
        let matches = rows.map { $0.split(separator: "|")[4].trimmingCharacters(in: .whitespaces) }  // entry, steps, val loss, test loss, exact match
        XCTAssertEqual(matches, ["0.0% ± 0.0", "0.0% ± 0.0"], "a tiny model answers nothing exactly: \(rows)")
        let overlap = try String(contentsOfFile: folder + "/bench/overlap.md", encoding: .utf8)
        let randomRow = try XCTUnwrap(overlap.split(separator: "\n").first { $0.hasPrefix("| random |") })
        XCTAssertTrue(randomRow.hasPrefix("| random | — | — |"), "full data's counts are constant: " + randomRow)
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
}
