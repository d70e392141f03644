// Runs under mpirun: `make test-mpi` builds the communicator.mpi plugin (RAISE_MPI=1) and sets
// RAISE_TEST_MPI=1; `make test` skips these with a message. Sharded scoring on 2 ranks writes the
// single-process file byte for byte; data-parallel pretraining and fine-tuning end where one process
// does; episodes shared by the ranks give the sequential run's policy; a killed rank fails the job at
// once (no output, no hang) and the next run resumes; a command that does not share its work is
// refused under mpirun in every build.
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

/// Runs `mpirun -np ranks raise arguments` with a time limit; returns the exit status and output.
private func runMPI(ranks: Int, _ arguments: [String], environment: [String: String] = [:], seconds: Int = 300) throws
    -> (status: Int32, output: String) {
    try runProcess("/usr/bin/timeout", [String(seconds), "mpirun", "--allow-run-as-root", "--oversubscribe", "-np", String(ranks),
                                        buildFolder + "/raise"] + arguments, environment: scratchCache.merging(environment) { $1 })
}

final class MPITests: XCTestCase {
    private var folder = ""
    private var model = ""

    override func setUpWithError() throws {
        guard ProcessInfo.processInfo.environment["RAISE_TEST_MPI"] == "1" else {
            throw XCTSkip("MPI tests run with `make test-mpi` (RAISE_TEST_MPI=1, OpenMPI and the communicator.mpi plugin)")
        }
        _ = try builtLibrary("RaisePluginMPI")
        folder = try tinySuite(self, size: 1200, validation: 10, testSplit: 10, pretrain: 200).folder
        model = "tinygpt:layers=2,heads=2,d=32,ctx=64,tokenizer=\(folder)/tok"
    }

    private func score(_ out: String, features: [String]) -> [String] {
        ["score", "--model", model, "--data", folder + "/suite/pool.jsonl", "--threads", "1", "--quiet", "--out", folder + "/" + out] + features
    }

    func testTwoRanksScoreTheSameFileAsOneProcess() throws {
        // Row-wise features (IFD: two loss passes; lengths) and a pool-wide one (PCA of embeddings).
        let features = ["--features", "ifd,length", "--feature", "embedding:dims=4"]
        let one = try runRaise(score("one.jsonl", features: features), environment: ["RAISE_CACHE_DIR": folder + "/cache-one"])
        XCTAssertEqual(one.status, 0, one.stderr)
        let two = try runMPI(ranks: 2, score("two.jsonl", features: features), environment: ["RAISE_CACHE_DIR": folder + "/cache-two"])
        XCTAssertEqual(two.status, 0, two.output)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/one.jsonl")), try Data(contentsOf: URL(fileURLWithPath: folder + "/two.jsonl")))
    }

    /// Data-parallel pretraining and fine-tuning on 2 ranks (each half of every batch, gradients summed)
    /// end where one process ends with the same global batch, within float rounding.
    func testDataParallelTrainingMatchesOneProcess() throws {
        let pool = folder + "/suite/pool.jsonl"
        let pretrain = ["pretrain", "--model", model, "--data", pool, "--steps", "30", "--batch", "16", "--threads", "1", "--quiet"]
        let one = try runRaise(pretrain + ["--out", folder + "/one"])
        XCTAssertEqual(one.status, 0, one.stderr)
        let two = try runMPI(ranks: 2, pretrain + ["--out", folder + "/two"])
        XCTAssertEqual(two.status, 0, two.output)
        func largestDifference(_ a: String, _ b: String) throws -> Float {
            let (x, y) = (try Safetensors.read(path: a + "/model.safetensors"), try Safetensors.read(path: b + "/model.safetensors"))
            XCTAssertEqual(x.names, y.names)
            return x.names.map { name in zip(x.tensors[name]!.scalars, y.tensors[name]!.scalars).map { abs($0 - $1) }.max() ?? 0 }.max() ?? .infinity
        }
        XCTAssertLessThan(try largestDifference(folder + "/one", folder + "/two"), 1e-4)

        let finetune = ["finetune", "--model", folder + "/one", "--data", pool, "--val", folder + "/suite/val.jsonl", "--selector", "random",
                        "--budget", "20", "--threads", "1", "--json"]
        let single = try runRaise(finetune + ["--out", folder + "/ft-one"])
        XCTAssertEqual(single.status, 0, single.stderr)
        let parallel = try runMPI(ranks: 2, finetune + ["--out", folder + "/ft-two"])
        XCTAssertEqual(parallel.status, 0, parallel.output)
        XCTAssertLessThan(try largestDifference(folder + "/ft-one", folder + "/ft-two"), 1e-4)
        let metrics = try [folder + "/ft-one", folder + "/ft-two"].map {
            try XCTUnwrap(JSONValue.readObject(path: $0 + "/metrics.json")["val_loss"]?.numberValue)
        }
        XCTAssertEqual(metrics[0], metrics[1], accuracy: 1e-4)
        // The same picks step by step; each step's loss (a sum all-reduced over the ranks) within rounding.
        let logs = try [folder + "/ft-one", folder + "/ft-two"].map { folder in
            try String(contentsOfFile: folder + "/selection.jsonl", encoding: .utf8).split(separator: "\n").map { try XCTUnwrap(JSONValue.parse(String($0)).objectValue) }
        }
        XCTAssertEqual(logs[0].count, logs[1].count)
        for (one, two) in zip(logs[0], logs[1]) {
            XCTAssertEqual(one["indices"], two["indices"], "the same picks")
            XCTAssertEqual(try XCTUnwrap(one["loss"]?.numberValue), try XCTUnwrap(two["loss"]?.numberValue), accuracy: 1e-4)
        }
    }

    /// Policy training on 2 ranks (they share each update's group of episodes, the rollouts are exchanged
    /// and every rank takes the same PPO update) gives the policy one process gives with the same groups:
    /// by default 3 episodes per update, on 2 ranks as on one. So does the policy check, its two episodes
    /// one on each rank.
    func testParallelEpisodesGiveTheSequentialPolicy() throws {
        let pretrain = try runRaise(["pretrain", "--model", model, "--data", folder + "/suite/pool.jsonl", "--steps", "20", "--threads", "1",
                                     "--quiet", "--out", folder + "/base"])
        XCTAssertEqual(pretrain.status, 0, pretrain.stderr)
        let train = ["train-selector", "--model", folder + "/base", "--data", folder + "/suite/pool.jsonl", "--val", folder + "/suite/val.jsonl",
                     "--episodes", "4", "--budget", "6", "--batch", "8", "--reward", "val-loss:limit=8", "--policy-check", "2",
                     "--threads", "1", "--quiet"]
        let sequential = try runRaise(train + ["--out", folder + "/one"])
        XCTAssertEqual(sequential.status, 0, sequential.stderr)
        let parallel = try runMPI(ranks: 2, train + ["--out", folder + "/two"])  // groups of 3 episodes: 2 on one rank, 1 on the other
        XCTAssertEqual(parallel.status, 0, parallel.output)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/one/policy.safetensors")),
                       try Data(contentsOf: URL(fileURLWithPath: folder + "/two/policy.safetensors")))
        func returns(_ run: String) throws -> [Double] {
            try String(contentsOfFile: folder + "/\(run)/episodes.jsonl", encoding: .utf8).split(separator: "\n").map {
                try XCTUnwrap(JSONValue.parse(String($0)).objectValue?["return"]?.numberValue)
            }
        }
        XCTAssertEqual(try returns("one"), try returns("two"))
        XCTAssertEqual(try returns("two").count, 4)
        let checks = try ["one", "two"].map { try XCTUnwrap(JSONValue.readObject(path: folder + "/\($0)/config.json")["check"]) }
        XCTAssertEqual(checks[0], checks[1])
        XCTAssertEqual(checks[1].objectValue?["trained"]?.arrayValue?.count, 2)
    }

    func testAKilledRankFailsTheJobAndTheNextRunResumes() throws {
        let cache = ["RAISE_CACHE_DIR": folder + "/cache"]
        let bigger = model.replacingOccurrences(of: "d=32", with: "d=96")
        func arguments(_ out: String) -> [String] { score(out, features: ["--features", "ifd"]).map { $0 == model ? bigger : $0 } }
        let whole = try runRaise(arguments("whole.jsonl"), environment: ["RAISE_CACHE_DIR": folder + "/cache-whole"])
        XCTAssertEqual(whole.status, 0, whole.stderr)

        // Kill a rank as soon as rank 0 has saved a chunk; mpirun must end the job with an error.
        let features = folder + "/cache/features"
        let killer = Thread {
            let partials = { ((try? FileManager.default.contentsOfDirectory(atPath: features)) ?? []).contains { $0.hasSuffix(".partial.safetensors") } }
            let deadline = Date().addingTimeInterval(120)
            while !partials() && Date() < deadline { usleep(2000) }
            let ranks = Process()
            ranks.executableURL = URL(fileURLWithPath: "/usr/bin/pkill")
            ranks.arguments = ["-9", "-f", "-n", "raise score .*killed.jsonl"]
            try? ranks.run()
            ranks.waitUntilExit()
        }
        killer.start()
        let started = Date()
        let killed = try runMPI(ranks: 2, arguments("killed.jsonl"), environment: cache, seconds: 120)
        XCTAssertNotEqual(killed.status, 0, killed.output)
        XCTAssertNotEqual(killed.status, 124, "the job hung until the time limit")
        XCTAssertLessThan(Date().timeIntervalSince(started), 100)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/killed.jsonl"), "no half-written output")

        let resumed = try runMPI(ranks: 2, arguments("killed.jsonl"), environment: cache)
        XCTAssertEqual(resumed.status, 0, resumed.output)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/whole.jsonl")), try Data(contentsOf: URL(fileURLWithPath: folder + "/killed.jsonl")))
    }
}

final class JobTests: XCTestCase {
    /// Under mpirun (as its environment says), a command that would only run N times side by side is
    /// refused before it does anything — with or without the MPI plugin.
    func testCommandsThatDoNotShareTheirWorkAreRefusedUnderMpirun() throws {
        let folder = try scratchFolder(self)
        let result = try runRaise(["data", "synth", "--out", folder + "/suite", "--size", "100"], environment: ["OMPI_COMM_WORLD_SIZE": "2"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("raise data synth does not share its work across ranks"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/suite"))
    }
}
