// RAISE end to end on a tiny model: train-selector writes a usable policy and its episode log, a run
// killed after an episode and resumed ends with the same policy as an uninterrupted one, 3 episodes go
// to a PPO update by default, a policy check keeps the trained policy or its start, finetune with selector.raise logs scores and clusters, explain reports, a
// validation split that overlaps the pool is refused, and so is a benchmark's `episodes` outside a
// benchmark; the reward plugins and answer matching on their own.
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class RaiseCommandTests: XCTestCase {
    private func trainSelector(_ folder: String, _ model: String, out: String, extra: [String] = []) -> [String] {
        ["train-selector", "--model", model, "--data", folder + "/suite/pool.jsonl", "--val", folder + "/suite/val.jsonl",
         "--template", "plain", "--episodes", "6", "--budget", "6", "--batch", "8", "--clusters", "2", "--semantic-dims", "8",
         "--hidden", "16", "--threads", "1", "--quiet", "--out", out] + extra
    }

    func testTrainSelectorFinetuneExplainAndResume() throws {
        let (folder, model) = try tinySuite(self, size: 400, validation: 16, testSplit: 10)
        let cache = ["RAISE_CACHE_DIR": folder + "/cache"]
        let straight = try runRaise(trainSelector(folder, model, out: folder + "/policy"), environment: cache)
        XCTAssertEqual(straight.status, 0, straight.stderr)
        let episodes = try String(contentsOfFile: folder + "/policy/episodes.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(episodes.count, 6)
        let first = try XCTUnwrap(JSONValue.parse(String(episodes[0])).objectValue)
        XCTAssertEqual(first["clusters"]?.arrayValue?.compactMap(\.intValue).reduce(0, +), 48, "6 steps of 8 picks")
        for key in ["return", "final", "seconds", "target_share", "noisy_share"] { XCTAssertNotNil(first[key]?.numberValue, key) }
        XCTAssertEqual(first["return"]!.numberValue!, first["final"]!.numberValue! - first["base"]!.numberValue!, accuracy: 1e-9,
                       "the return telescopes to P(M_T) − P(M_0)")

        // The prior is 5, or where 5 would leave the records off its ramp more than 3% of the first draws, just
        // strong enough to leave them 3% — on the pool's target similarity as `raise score` computes it. A bonus
        // given by hand is kept, and a wrong one refused.
        let scored = try runRaise(["score", "--model", model, "--data", folder + "/suite/pool.jsonl", "--template", "plain",
                                   "--val", folder + "/suite/val.jsonl", "--feature", "target-similarity:dims=8",
                                   "--out", folder + "/similarity.jsonl", "--threads", "1", "--quiet"], environment: cache)
        XCTAssertEqual(scored.status, 0, scored.stderr)
        let similarity = try String(contentsOfFile: folder + "/similarity.jsonl", encoding: .utf8).split(separator: "\n")
            .map { try XCTUnwrap(JSONValue.parse(String($0)).objectValue?["scores"]?.objectValue?["target_similarity"]?.numberValue) }
        let zeros = [Float](repeating: 0, count: similarity.count)
        let features = try PoolFeatures(columns: [FeatureColumn.targetSimilarity: similarity.map { Float($0) }, FeatureColumn.gradientAlignment: zeros,
                                                  FeatureColumn.embedding(0): zeros],
                                        count: similarity.count, layout: StateLayout(groups: [.semantics, .relevance], semanticDimensions: 1))
        let saved = try PolicyFolder(folder + "/policy").savedSettings()
        let bonus = try XCTUnwrap(features.relevanceBonus(edge: RelevanceEdge(threshold: saved.relevanceThreshold, width: saved.relevanceWidth)))
        XCTAssertGreaterThan(bonus, 5, "on this pool 5 would leave the records off the ramp more than 3%")
        XCTAssertEqual(saved.relevancePrior, bonus)
        var oneEpisode = trainSelector(folder, model, out: folder + "/given", extra: ["--relevance-prior", "2.5"])
        oneEpisode[oneEpisode.firstIndex(of: "--episodes")! + 1] = "1"
        let given = try runRaise(oneEpisode, environment: cache)
        XCTAssertEqual(given.status, 0, given.stderr)
        XCTAssertEqual(try PolicyFolder(folder + "/given").savedSettings().relevancePrior, 2.5)
        // No episode: the policy as it starts is saved — the prior the trained one started from, and a fresh policy's weights.
        var noEpisode = trainSelector(folder, model, out: folder + "/untrained")
        noEpisode[noEpisode.firstIndex(of: "--episodes")! + 1] = "0"
        let untrained = try runRaise(noEpisode.filter { $0 != "--quiet" }, environment: cache)
        XCTAssertEqual(untrained.status, 0, untrained.stderr)
        XCTAssertTrue(untrained.stdout.contains("wrote the untrained RAISE policy (0 episodes)"), untrained.stdout)
        let start = PolicyFolder(folder + "/untrained")
        XCTAssertEqual(try start.episodesDone(), 0)
        XCTAssertEqual(try String(contentsOfFile: start.episodesPath, encoding: .utf8), "", "no episode, no line")
        XCTAssertEqual(try start.savedSettings(), saved, "the same prior as the trained policy's start")
        let fresh = SelectionPolicy(settings: saved, seed: 0)
        let written = Checkpoint.named(try start.loadPolicy().parameters)
        XCTAssertEqual(written.map(\.name), Checkpoint.named(fresh.parameters).map(\.name))
        XCTAssertEqual(written.map(\.tensor.scalars), Checkpoint.named(fresh.parameters).map(\.tensor.scalars), "the initial weights of seed 0")
        XCTAssertNotEqual(written.map(\.tensor.scalars), Checkpoint.named(try PolicyFolder(folder + "/policy").loadPolicy().parameters)
                            .map(\.tensor.scalars), "6 episodes of PPO moved the trained one")
        let wrong = try runRaise(trainSelector(folder, model, out: folder + "/wrong", extra: ["--relevance-prior", "strong"]), environment: cache)
        XCTAssertEqual(wrong.status, 2, wrong.stderr)
        XCTAssertTrue(wrong.stderr.contains("--relevance-prior 'strong': expected auto or a number"), wrong.stderr)

        // Killed after its first episode, then resumed: the same policy as the uninterrupted run.
        let ended = try runRaiseUntil(folder + "/killed/config.json", trainSelector(folder, model, out: folder + "/killed"), environment: cache)
        XCTAssertEqual(ended, .uncaughtSignal, "killed during training")
        let resumed = try runRaise(trainSelector(folder, model, out: folder + "/killed", extra: ["--resume"]).filter { $0 != "--quiet" },
                                   environment: cache)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resuming after episode"), resumed.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/killed/policy.safetensors")),
                       try Data(contentsOf: URL(fileURLWithPath: folder + "/policy/policy.safetensors")))
        XCTAssertEqual(try String(contentsOfFile: folder + "/killed/episodes.jsonl", encoding: .utf8).split(separator: "\n").count, 6)
        var otherBatch = trainSelector(folder, model, out: folder + "/killed", extra: ["--resume"])
        otherBatch[otherBatch.firstIndex(of: "--batch")! + 1] = "4"
        let otherRun = try runRaise(otherBatch, environment: cache)
        XCTAssertEqual(otherRun.status, 1)
        XCTAssertTrue(otherRun.stderr.contains("batch was 8, is now 4"), otherRun.stderr)

        // Killed between the last update's writes (config.json goes last, so it still counts 5 episodes) and
        // mid-write of one: the state file's 6th episode is taken, the folder rewritten whole, the orphan removed.
        let torn = folder + "/torn"
        try FileManager.default.copyItem(atPath: folder + "/policy", toPath: torn)
        var config = try JSONValue.readObject(path: torn + "/config.json")
        config["episodes_done"] = .number(5)
        try (JSONValue.object(config).serialized + "\n").write(toFile: torn + "/config.json", atomically: false, encoding: .utf8)
        try (episodes.prefix(5).joined(separator: "\n") + "\n").write(toFile: torn + "/episodes.jsonl", atomically: false, encoding: .utf8)
        let orphan = torn + "/.config.json.tmp-raise-0123456789abcdef"
        XCTAssertTrue(FileManager.default.createFile(atPath: orphan, contents: Data("{\"kind\"".utf8)))
        let mended = try runRaise(trainSelector(folder, model, out: torn, extra: ["--resume"]).filter { $0 != "--quiet" }, environment: cache)
        XCTAssertEqual(mended.status, 0, mended.stderr)
        XCTAssertTrue(mended.stderr.contains("resuming after episode 6 of 6"), mended.stderr)
        for name in ["config.json", "episodes.jsonl", "policy.safetensors", "training-state.safetensors"] {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: torn + "/" + name)),
                           try Data(contentsOf: URL(fileURLWithPath: folder + "/policy/" + name)), name)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: orphan), "the killed write's temporary file is removed")

        // Fine-tuning with the policy: every step's picks with their scores and clusters.
        let finetune = try runRaise(["finetune", "--model", model, "--data", folder + "/suite/pool.jsonl", "--template", "plain",
                                     "--selector", "raise:policy=\(folder)/policy", "--budget", "5", "--batch", "8",
                                     "--val", folder + "/suite/val.jsonl", "--out", folder + "/ft", "--threads", "1", "--quiet"],
                                    environment: cache)
        XCTAssertEqual(finetune.status, 0, finetune.stderr)
        let log = try String(contentsOfFile: folder + "/ft/selection.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(log.count, 5)
        let step = try XCTUnwrap(JSONValue.parse(String(log[0])).objectValue)
        XCTAssertEqual(step["ids"]?.arrayValue?.count, 8)
        XCTAssertEqual(step["scores"]?.arrayValue?.count, 8)
        XCTAssertEqual(Set(step["clusters"]?.arrayValue?.compactMap(\.intValue) ?? []).count, 2, "both clusters contribute")

        // A nucleus too small to hold more than each cluster's quota draws the top scores: the picks of choice=top.
        func pickedSets(_ spec: String) throws -> [Set<String>] {
            let run = try runRaise(["finetune", "--model", model, "--data", folder + "/suite/pool.jsonl", "--template", "plain",
                                    "--selector", "raise:policy=\(folder)/policy," + spec, "--budget", "5", "--batch", "8",
                                    "--val", folder + "/suite/val.jsonl", "--out", folder + "/ft-" + spec, "--threads", "1", "--quiet"],
                                   environment: cache)
            XCTAssertEqual(run.status, 0, run.stderr)
            return try String(contentsOfFile: folder + "/ft-" + spec + "/selection.jsonl", encoding: .utf8).split(separator: "\n").map {
                Set(try JSONValue.parse(String($0)).objectValue?["ids"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            }
        }
        let (smallest, top) = (try pickedSets("nucleus=0.01"), try pickedSets("choice=top"))
        XCTAssertEqual(top.map(\.count), [8, 8, 8, 8, 8])
        XCTAssertEqual(smallest, top)

        // The same picks, chosen ahead of training, for another trainer: `raise select` exports the schedule.
        let schedule = try runRaise(["select", "--selector", "raise:policy=\(folder)/policy", "--model", model, "--data", folder + "/suite/pool.jsonl",
                                     "--template", "plain", "--budget", "5", "--batch", "8", "--val", folder + "/suite/val.jsonl",
                                     "--out", folder + "/schedule.jsonl", "--threads", "1", "--quiet"], environment: cache)
        XCTAssertEqual(schedule.status, 0, schedule.stderr)
        let lines = try String(contentsOfFile: folder + "/schedule.jsonl", encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONValue.parse(String($0)).objectValue }
        XCTAssertEqual(lines.count, 5 * 8, "5 steps of 8")
        for (i, line) in lines.enumerated() {
            XCTAssertEqual(line["step"]?.intValue, i / 8)
            XCTAssertEqual(line["position"]?.intValue, i % 8)
            XCTAssertEqual(line["record"]?.objectValue?["id"], line["id"], "the record as it was read")
        }
        for (t, stepLine) in log.enumerated() {
            let trained = try XCTUnwrap(JSONValue.parse(String(stepLine)).objectValue?["ids"]?.arrayValue)
            XCTAssertEqual(trained, lines[(t * 8)..<(t * 8 + 8)].compactMap { $0["id"] }, "step \(t): the schedule is what finetune trained on")
        }

        let explainArguments = ["explain", folder + "/policy", "--model", model, "--data", folder + "/suite/pool.jsonl",
                                    "--template", "plain", "--budget", "6", "--batch", "8", "--threads", "1", "--quiet"]
        let withoutTarget = try runRaise(explainArguments, environment: cache)
        XCTAssertEqual(withoutTarget.status, 1, "the relevance group measures the pool against the target")
        XCTAssertTrue(withoutTarget.stderr.contains("--val FILE"), withoutTarget.stderr)
        let explain = try runRaise(explainArguments + ["--val", folder + "/suite/val.jsonl"], environment: cache)
        XCTAssertEqual(explain.status, 0, explain.stderr)
        for fragment in ["## What the scores depend on", "| early | 1 |", "relevance", "### task family", "| addition |", "### noisy"] {
            XCTAssertTrue(explain.stdout.contains(fragment), fragment + "\n" + explain.stdout)
        }
    }

    /// A schedule can be exported only when the picks do not depend on the model being trained: a policy
    /// reading the current loss, and a selector asking for the current losses, are refused by name.
    func testASelectorThatReadsTheLiveModelHasNoSchedule() throws {
        let (folder, model) = try tinySuite(self, size: 200, validation: 8, testSplit: 4)
        let cache = ["RAISE_CACHE_DIR": folder + "/cache"]
        let trained = try runRaise(["train-selector", "--model", model, "--data", folder + "/suite/pool.jsonl", "--val", folder + "/suite/val.jsonl",
                                    "--template", "plain", "--episodes", "1", "--budget", "2", "--batch", "4", "--semantic-dims", "4",
                                    "--groups", "stage,semantics,availability,current-loss", "--threads", "1", "--quiet", "--out", folder + "/policy"],
                                   environment: cache)
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let select = ["select", "--model", model, "--data", folder + "/suite/pool.jsonl", "--template", "plain", "--budget", "2", "--batch", "4",
                      "--threads", "1", "--quiet"]
        let raise = try runRaise(select + ["--selector", "raise:policy=\(folder)/policy", "--out", folder + "/a.jsonl"], environment: cache)
        XCTAssertEqual(raise.status, 1)
        XCTAssertTrue(raise.stderr.contains("'current-loss'") && raise.stderr.contains("raise finetune"), raise.stderr)
        let online = try runRaise(select + ["--selector", "online-loss", "--out", folder + "/b.jsonl"], environment: cache)
        XCTAssertEqual(online.status, 1)
        XCTAssertTrue(online.stderr.contains("selector.online-loss") && online.stderr.contains("current model's losses"), online.stderr)
        for name in ["a.jsonl", "b.jsonl"] { XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/" + name), "nothing written") }
        // A relevance signal for a state without the relevance group would change nothing: refused.
        let signal = try runRaise(["train-selector", "--model", model, "--data", folder + "/suite/pool.jsonl", "--val", folder + "/suite/val.jsonl",
                                   "--groups", "stage,semantics", "--relevance-signal", "dsir", "--quiet", "--out", folder + "/signal"], environment: cache)
        XCTAssertEqual(signal.status, 2)
        XCTAssertTrue(signal.stderr.contains("--relevance-signal: the relevance group is off"), signal.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/signal"), "nothing written")
    }

    /// By default train-selector runs 3 episodes with one policy before each PPO update: its policy is the one
    /// `--episodes-per-update 3` gives, not the one of an update after every episode, and its config.json says so.
    func testThreeEpisodesGoToAnUpdateByDefault() throws {
        let (folder, model) = try tinySuite(self, size: 200, validation: 8, testSplit: 4)
        let cache = ["RAISE_CACHE_DIR": folder + "/cache"]
        func policy(_ name: String, _ extra: [String]) throws -> Data {
            let trained = try runRaise(["train-selector", "--model", model, "--data", folder + "/suite/pool.jsonl", "--val", folder + "/suite/val.jsonl",
                                        "--template", "plain", "--episodes", "3", "--budget", "2", "--batch", "4", "--semantic-dims", "4",
                                        "--hidden", "8", "--threads", "1", "--quiet", "--out", folder + "/" + name] + extra, environment: cache)
            XCTAssertEqual(trained.status, 0, trained.stderr)
            return try Data(contentsOf: URL(fileURLWithPath: folder + "/\(name)/policy.safetensors"))
        }
        let byDefault = try policy("default", [])
        XCTAssertEqual(byDefault, try policy("three", ["--episodes-per-update", "3"]))
        XCTAssertNotEqual(byDefault, try policy("one", ["--episodes-per-update", "1"]))
        let config = try JSONValue.readObject(path: folder + "/default/config.json")
        XCTAssertEqual(config["training"]?.objectValue?["episodes_per_update"]?.intValue, 3)
    }

    /// With `--policy-check 2` the reward sees half the validation split; every episode scores the other half,
    /// two more episodes score the trained policy there, and the folder's policy is the one the check keeps:
    /// the trained weights (still in the training state) or the start's (an untrained run's). A finished
    /// checked run resumes to nothing, one killed during its check checks again to the same end; a check of one
    /// episode, or another check on resume, is refused.
    func testAPolicyCheckSavesTheTrainedPolicyOrItsStart() throws {
        let (folder, model) = try tinySuite(self, size: 200, validation: 8, testSplit: 4)
        let cache = ["RAISE_CACHE_DIR": folder + "/cache"]
        func run(_ name: String, _ extra: [String], episodes: Int = 3) throws -> (status: Int32, stdout: String, stderr: String) {
            try runRaise(["train-selector", "--model", model, "--data", folder + "/suite/pool.jsonl", "--val", folder + "/suite/val.jsonl",
                          "--template", "plain", "--episodes", String(episodes), "--budget", "2", "--batch", "4", "--semantic-dims", "4",
                          "--hidden", "8", "--threads", "1", "--out", folder + "/" + name] + extra, environment: cache)
        }
        let checked = try run("checked", ["--policy-check", "2"])
        XCTAssertEqual(checked.status, 0, checked.stderr)
        XCTAssertTrue(checked.stderr.contains("policy check on the held-out half of the validation split (4 examples"), checked.stderr)
        XCTAssertTrue(checked.stdout.contains("policy check: saved the "), checked.stdout)
        let config = try JSONValue.readObject(path: folder + "/checked/config.json")
        let check = try XCTUnwrap(config["check"]?.objectValue)
        XCTAssertEqual(check["start"]?.arrayValue?.count, 3, "the first update's three episodes ran the start")
        XCTAssertEqual(check["trained"]?.arrayValue?.count, 2)
        XCTAssertEqual(config["training"]?.objectValue?["check_episodes"]?.intValue, 2)
        let log = try String(contentsOfFile: folder + "/checked/episodes.jsonl", encoding: .utf8).split(separator: "\n")
        let scores = try log.map { try XCTUnwrap(JSONValue.parse(String($0)).objectValue?["check"]?.numberValue) }
        XCTAssertEqual(scores.map(JSONValue.number), check["start"]?.arrayValue)

        XCTAssertEqual(try run("untrained", ["--quiet"], episodes: 0).status, 0)
        let weights = { (path: String) in try Safetensors.read(path: folder + path).tensors.mapValues(\.scalars) }
        let (saved, start) = (try weights("/checked/policy.safetensors"), try weights("/untrained/policy.safetensors"))
        let trained = try weights("/checked/training-state.safetensors").filter { saved[$0.key] != nil }
        XCTAssertEqual(trained.count, saved.count, "the state holds every weight of the policy")
        XCTAssertNotEqual(trained, start, "three episodes moved the policy")
        XCTAssertEqual(saved, check["kept"]?.stringValue == "trained" ? trained : start, "kept: \(check["kept"] ?? .null)")

        let before = try Data(contentsOf: URL(fileURLWithPath: folder + "/checked/config.json"))
        let again = try run("checked", ["--policy-check", "2", "--resume", "--quiet"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/checked/config.json")), before, "nothing left to run")
        // Killed during the check, the folder holds the trained run without its check: resumed, the check runs again, the same.
        var unchecked = config
        unchecked["check"] = nil
        try AtomicFile.write(JSONValue.object(unchecked).serialized + "\n", to: folder + "/checked/config.json")
        let rechecked = try run("checked", ["--policy-check", "2", "--resume", "--quiet"])
        XCTAssertEqual(rechecked.status, 0, rechecked.stderr)
        XCTAssertEqual(try JSONValue.readObject(path: folder + "/checked/config.json")["check"], config["check"])
        XCTAssertEqual(try weights("/checked/policy.safetensors"), saved)
        let other = try run("checked", ["--policy-check", "3", "--resume", "--quiet"])
        XCTAssertEqual(other.status, 1)
        XCTAssertTrue(other.stderr.contains("check_episodes"), other.stderr)
        let one = try run("one", ["--policy-check", "1", "--quiet"])
        XCTAssertEqual(one.status, 1)
        XCTAssertTrue(one.stderr.contains("--policy-check") && one.stderr.contains("no spread"), one.stderr)
    }

    /// `raise:episodes=N` belongs to `raise bench run`, which trains the policy; finetune and select, which use
    /// one, refuse it before reading any data and say how to train one by hand.
    func testEpisodesOutsideABenchmarkIsRefusedWithTheWayToTrainAPolicy() throws {
        let folder = try scratchFolder(self)
        for command in [["finetune"], ["select", "--budget", "2", "--out", folder + "/schedule.jsonl"]] {
            let result = try runRaise(command + ["--model", "tinygpt:layers=1,d=8", "--data", folder + "/missing.jsonl",
                                                 "--selector", "raise:episodes=0", "--quiet"])
            XCTAssertEqual(result.status, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains("--selector raise") && result.stderr.contains("'episodes'")
                          && result.stderr.contains("raise train-selector --episodes N"), result.stderr)
            XCTAssertFalse(result.stderr.contains("missing.jsonl"), "refused before the data is read: \(result.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/schedule.jsonl"))
    }

    func testAValidationSplitOverlappingThePoolIsRefused() throws {
        let (folder, model) = try tinySuite(self, size: 400, validation: 16, testSplit: 10)
        let result = try runRaise(["train-selector", "--model", model, "--data", folder + "/suite/pool.jsonl", "--val", folder + "/suite/pool.jsonl",
                                   "--template", "plain", "--out", folder + "/p", "--quiet"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("also in the pool") && result.stderr.contains("pool.jsonl:1"), result.stderr)
    }
}
