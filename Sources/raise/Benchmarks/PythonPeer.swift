// PythonPeer: runs a reference implementation in Python (HF tokenizers, PyTorch) as the peer that a
// benchmark measures raise against. The peer script is passed on the command line (`python3 -c`),
// prints one JSON object on its last stdout line, and is absent — not an error — when the package it
// needs is not importable.
import Foundation
import RaiseKit

/// A Python reference implementation.
struct PythonPeer {
    /// The interpreter: $RAISE_PYTHON, else python3 on the PATH.
    static var interpreter: String { ProcessEnvironment.value("RAISE_PYTHON") ?? "python3" }

    /// The end of a training peer's script: times its `train` and `score` functions, `steps` calls each after
    /// one warm-up call, and prints {"train": [seconds…], "score": [seconds…]}.
    static let trainAndScoreTiming = """

        result = {}
        for name, fn in (("train", train), ("score", score)):
            fn()
            times = []
            for _ in range(steps):
                start = time.perf_counter(); fn(); times.append(time.perf_counter() - start)
            result[name] = times
        print(json.dumps(result))
        """

    /// Whether `module` imports in the interpreter.
    static func canImport(_ module: String) -> Bool {
        (try? run(["-c", "import \(module)"]).status) == 0
    }

    /// Runs `script` with `arguments`; returns the JSON object on the last stdout line.
    ///
    /// - Throws: `RaiseError.invalidArgument` naming the peer when it fails or prints no JSON.
    static func runScript(_ script: String, arguments: [String], name: String, environment: [String: String] = [:]) throws -> JSONObject {
        let result = try run(["-c", script] + arguments, environment: environment)
        guard result.status == 0 else {
            throw RaiseError.invalidArgument(name: name, detail: "peer failed (exit \(result.status)): \(result.errorOutput.suffix(500))")
        }
        guard let last = result.output.split(separator: "\n").last, let object = try? JSONValue.parse(String(last)).objectValue else {
            throw RaiseError.invalidArgument(name: name, detail: "peer printed no JSON result")
        }
        return object
    }

    private static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Subprocess.Result {
        try Subprocess.run("/usr/bin/env", [interpreter] + arguments, environment: environment)
    }
}

/// The training and scoring step times of one side of a training benchmark, in seconds.
struct TrainScoreTimes {
    var train = [Double](), score = [Double]()

    /// Steps of each kind per block, on either side; the peer's script is told it.
    static let stepsPerBlock = 3

    /// `repeats` blocks per side, alternating so that a noisy machine slows both alike: `stepsPerBlock` raise
    /// steps of each kind, then one run of the peer (when there is one), whose JSON gives its own times. Each
    /// block is a step of `progress`, counted after `blocksBefore`, with raise's median step times so far.
    static func alternating(repeats: Int, train: () throws -> Void, score: () throws -> Void, peer: (() throws -> JSONObject)?,
                            progress: ProgressReporter, blocksBefore: Int) throws -> (ours: TrainScoreTimes, peer: TrainScoreTimes) {
        var ours = TrainScoreTimes(), theirs = TrainScoreTimes()
        for block in 1...repeats {
            for _ in 0..<stepsPerBlock {
                ours.train.append(try Timing.seconds(train))
                ours.score.append(try Timing.seconds(score))
            }
            if let peer {
                let result = try peer()
                theirs.train += result["train"]?.arrayValue?.compactMap(\.numberValue) ?? []
                theirs.score += result["score"]?.arrayValue?.compactMap(\.numberValue) ?? []
            }
            progress.update(step: blocksBefore + block, metrics: [("train_s", Timing.median(ours.train)), ("score_s", Timing.median(ours.score))])
        }
        return (ours, theirs)
    }
}

/// Timing helpers shared by the benchmarks.
enum Timing {
    /// The wall time of `body` in seconds.
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// The median of `values`.
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    /// `x` rounded to `digits` decimals, for JSON output.
    static func rounded(_ x: Double, _ digits: Int) -> Double {
        let scale = pow(10, Double(digits))
        return (x * scale).rounded() / scale
    }
}
