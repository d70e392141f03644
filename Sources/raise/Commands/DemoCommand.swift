// `raise demo`: the main job on the embedded default data, as `make demo` runs it. Each stage is an
// ordinary raise command, printed before it runs so that it can be copied: generate the task suite,
// train a BPE tokenizer and pretrain a small TinyGPT base on the clean corpus, then benchmark full data,
// the oracle reference, random, perplexity, IFD, the target-aware nearest-to-target, LESS and DSIR, and RAISE
// (with the relevance state; the same policy untrained, its prior alone, to show what PPO adds; with the
// paper's state alone) at 1%, 5% and 10% over seeds. RAISE's policies are trained on the way, once per seed
// at the 10% budget and used at every budget, rewarded by the loss of the first 64 validation examples
// (cheaper per step; the report uses all of them). The
// benchmark runs one run per core at once (`--jobs`): the demo's small model gains little from a second
// thread, and the results do not depend on it.
// Every entry trains at its own learning rate, swept at each budget on validation (`--lr-per entry`): a rate
// random selection chose would say little of how fast a targeted selection should train, and full data has its
// own sweep too. `--preset rare-target` runs the suite whose target is rare (3% of the pool) and noisy (40%);
// `--lr-sweep`, `--lr` and `--lr-per` go to the benchmark, so that its learning-rate cautions can be acted on. The data and tokenizer stages are skipped when their output is there; pretraining
// and the benchmark resume; so an interrupted demo continues where it stopped. Flags scale it up.
import Foundation
import RaiseKit

/// The end-to-end demonstration.
enum DemoCommand {
    static let command = Command(
        words: ["demo"],
        summary: "the main job end to end on the embedded task suite: data, tokenizer, base model, RAISE and the benchmark",
        arguments: "",
        options: [.value("--out", "DIR", "working folder (default: out/demo, or out/demo-rare-target for that preset)"),
                  .choice("--preset", "NAME", "the task suite's mix: standard, or rare-target (the target 3% of the pool, 40% noisy)",
                          default: TaskSuitePreset.standard),
                  .integer("--size", "N", "pool size", default: 6000, in: 100...10_000_000), .integer("--pretrain-steps", "N", "base model steps", default: 2000, in: 1...100_000_000),
                  .text("--model", "SPEC", "base model shape", default: "tinygpt:layers=2,heads=2,d=64,ctx=64"),
                  .text("--seeds", "N", "seeds per entry", default: "3"), .text("--episodes", "N", "RAISE policy episodes", default: "30"),
                  .text("--budgets", "LIST", "budgets", default: "1%,5%,10%"),
                  .value("--lr-sweep", "LIST", "learning rates swept per budget (default: the benchmark's, 3e-4,1e-3,3e-3)"),
                  .value("--lr", "X", "one peak learning rate for every entry at every budget, instead of the sweep"),
                  .choice("--lr-per", "SCOPE", "whose sweep sets a run's rate (the benchmark's --lr-per; unless --lr is given)", default: RateScope.entry),
                  .integer("--jobs", "N", "benchmark runs at once, sharing the threads (default: one per core; the same results at any N)",
                           default: nil, in: 1...256),
                  CommonOptions.seed, CommonOptions.threads, CommonOptions.quiet, CommonOptions.json],
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        try arguments.expectNoPositionals()
        let preset = try arguments.choice("--preset", as: TaskSuitePreset.self)
        let out = arguments.string("--out") ?? (preset == .standard ? "out/demo" : "out/demo-" + preset.rawValue)
        let size = try arguments.int("--size")
        let pretrainSteps = try arguments.int("--pretrain-steps")
        let seed = String(try arguments.seed())
        let shape = arguments.text("--model")
        var common = ["--seed", seed]
        if let threads = arguments.string("--threads") { common += ["--threads", threads] }
        let jobs = arguments.string("--jobs") == nil ? ProcessEnvironment.coreCount : try arguments.int("--jobs")
        // The stages report as the demo was asked to: quiet, or every line JSON (--json wins, as in each command).
        let mode = arguments.outputMode
        let reporting = mode == .json ? ["--json"] : mode == .quiet ? ["--quiet"] : []
        common += reporting
        var rates = [String]()
        for option in ["--lr-sweep", "--lr"] { if let value = arguments.string(option) { rates += [option, value] } }
        if arguments.string("--lr") == nil {
            rates += ["--lr-per", try arguments.choice("--lr-per", as: RateScope.self).rawValue]
        } else if arguments.string("--lr-per") != nil {
            throw UsageError(message: "--lr fixes one rate for every entry; --lr-per says whose sweep sets it: give one of them", usage: arguments.usage)
        }
        let exists = { (path: String) in FileManager.default.fileExists(atPath: out + "/" + path) }

        let stages: [(done: Bool, words: [String])] = [
            (exists("suite/pool.jsonl"), ["data", "synth", "--out", out + "/suite", "--preset", preset.rawValue, "--size", String(size),
                                                "--pretrain-size", "20000", "--seed", seed] + (mode == .json ? ["--json"] : [])),
            (exists("tokenizer/encoder.json"), ["tokenizer", "train", "--vocab", "512", "--data", out + "/suite/pretrain.jsonl",
                                                "--out", out + "/tokenizer"] + reporting),
            (false, ["pretrain", "--model", "\(shape),tokenizer=\(out)/tokenizer", "--data", out + "/suite/pretrain.jsonl", "--template", "plain",
              "--steps", String(pretrainSteps), "--out", out + "/base", "--resume"] + common),
            (false, ["bench", "run", "--model", out + "/base", "--data", out + "/suite/pool.jsonl", "--val", out + "/suite/val.jsonl",
                     "--test", out + "/suite/test.jsonl", "--template", "plain", "--oracle",
                     "--selector", "random", "--selector", "perplexity", "--selector", "ifd", "--selector", "nearest", "--selector", "less", "--selector", "dsir",
                     "--selector", "raise", "--selector", "raise:episodes=0",
                     "--selector", "raise:groups=" + StateGroup.paper.map(\.rawValue).joined(separator: "+"),
                     "--budgets", arguments.text("--budgets"), "--seeds", arguments.text("--seeds"),
                     "--episodes", arguments.text("--episodes"), "--policy-budget", "10%",
                     "--reward", "val-loss:limit=64", "--jobs", String(jobs), "--out", out + "/bench"] + rates + common),
        ]
        let start = Date()
        for stage in stages {
            let line = "raise " + stage.words.map { $0.contains(where: { " ,%=".contains($0) }) ? "'\($0)'" : $0 }.joined(separator: " ")
            if mode == .json {
                Console.line(JSONValue.object(JSONObject([("event", .string("stage")), ("command", .string(line)), ("done", .bool(stage.done))])).serialized)
            } else {
                Console.line("demo: \(stage.done ? "done already: " : "")\(line)")
            }
            if stage.done { continue }
            let status = Host.run(stage.words)
            guard status == ExitCode.success else { return status }
        }
        let (seconds, report) = (Date().timeIntervalSince(start), out + "/bench/report.md")
        if mode == .json {
            print(JSONValue.object(JSONObject([("demo", .string("finished")), ("seconds", .number(seconds.rounded())), ("report", .string(report))])).serialized)
        } else {
            print("demo finished in \(ProgressReporter.duration(seconds)); the report: \(report)")
        }
        return ExitCode.success
    }
}
