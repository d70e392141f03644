// `raise bench selection`: what RAISE adds to every training step — building the fused state of the
// pool, scoring it with the policy and drawing the batch (per cluster) — against one training step of
// the model it selects for, measured in the same run. Target: under 5% of a training step at a 20k pool.
// One pass over the pool scores several steps (SelectionPolicy.stepsScoredPerPass), so each timed
// sample is the mean of that many consecutive steps, the pass's cost shared as in a run.
import Foundation
import RaiseKit

/// The selection-overhead benchmark.
enum BenchSelectionCommand {
    static let command = Command(
        words: ["bench", "selection"],
        summary: "RAISE's per-step selection overhead (state + scoring + draw) as a share of a training step (target < 5%)",
        arguments: "",
        options: [.integer("--pool", "N", "pool size", default: 20_000, in: 16...10_000_000), .integer("--batch", "N", "examples per step (at most the pool)", default: 16, in: 1...10_000_000),
                  .integer("--clusters", "C", "clusters (at most the batch)", default: 1, in: 1...4096),
                  .text("--model", "SPEC", "the model trained (the demo's)", default: "tinygpt:layers=2,heads=2,d=64,ctx=64"),
                  .integer("--tokens", "N", "tokens per training example", default: 40, in: 2...100_000),
                  .integer("--repeats", "N", "timed samples per side, each the mean of \(SelectionPolicy.stepsScoredPerPass) steps", default: 20, in: 1...100_000), PluginOptions.pluginPath,
                  CommonOptions.threads, CommonOptions.json],
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        try arguments.expectNoPositionals()
        try arguments.configureThreads()
        let poolSize = try arguments.int("--pool")
        let (batchSize, clusterCount) = (try arguments.int("--batch"), try arguments.int("--clusters"))
        guard batchSize <= poolSize, clusterCount <= batchSize else {
            throw UsageError(message: "--batch \(batchSize) and --clusters \(clusterCount): expected clusters ≤ batch ≤ pool (\(poolSize))", usage: arguments.usage)
        }
        let tokens = try arguments.int("--tokens")
        let repeats = try arguments.int("--repeats")

        // The policy's side: a pool of paper-sized states (values do not change the cost).
        var rng = RandomGenerator(seed: 0)
        let layout = StateLayout(groups: StateGroup.paper)
        var columns = [String: [Float]]()
        let difficulty = [FeatureColumn.promptTokens, FeatureColumn.responseTokens, FeatureColumn.lossConditional, FeatureColumn.lossUnconditional]
        for name in difficulty + (0..<32).map(FeatureColumn.embedding) {
            columns[name] = (0..<poolSize).map { _ in abs(rng.nextNormal()) * 10 }
        }
        var settings = PolicySettings(layout: layout)
        settings.clusters = clusterCount
        let pool = try PolicyPool(columns: columns, count: poolSize, settings: settings, seed: 0)
        let policy = SelectionPolicy(settings: settings, seed: 0)
        var progress = TrainingProgress(totalSteps: max(1000, (repeats + 1) * SelectionPolicy.stepsScoredPerPass), poolSize: poolSize)
        var draws: RandomGenerator? = RandomGenerator(seed: 1)
        func select() {  // what selector.raise does at each step
            for i in policy.pick(pool, progress: progress, batchSize: batchSize, nucleus: SelectionPolicy.nucleusInUse, rng: &draws).indices {
                progress.timesSelected[i] += 1
            }
            progress.step += 1
        }

        // The model's side: one training step on examples of the given length.
        let registry = try PluginOptions.load(arguments)
        let folder = NSTemporaryDirectory() + "raise-bench-selection-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try BenchTrainCommand.suiteTokenizer(vocabulary: 512, into: folder)
        let spec = try PluginSpec(parsing: arguments.text("--model") + ",tokenizer=\(folder)",
                                  option: "--model")
        let model = try registry.make(spec, kind: .model, seed: 0, as: (any LanguageModel).self)
        let length = min(tokens, model.contextLength + 1)
        let batch = (0..<batchSize).map { _ in
            TokenizedExample(ids: (0..<length).map { _ in Int32(rng.nextInt(below: 512)) },
                             lossMask: [0] + Array(repeating: 1, count: length - 1))
        }
        let trainer = ModelTrainer(model: model, settings: TrainerSettings(schedule: .constant(1e-4)))

        select()
        try trainer.step(batch)
        var selection = [Double](), training = [Double]()
        let window = SelectionPolicy.stepsScoredPerPass
        for _ in 0..<repeats {
            var (s, t) = (0.0, 0.0)
            for _ in 0..<window {  // interleaved, so that a noisy machine slows both alike
                s += Timing.seconds { select() }
                t += try Timing.seconds { try trainer.step(batch) }
            }
            selection.append(s / Double(window))
            training.append(t / Double(window))
        }
        let (s, t) = (Timing.median(selection), Timing.median(training))
        if arguments.outputMode == .json {
            print(JSONValue.object(JSONObject([("pool", .number(Double(poolSize))), ("clusters", .number(Double(clusterCount))),
                                               ("selection_ms", .number(Timing.rounded(s * 1000, 3))),
                                               ("training_step_ms", .number(Timing.rounded(t * 1000, 3))),
                                               ("ratio", .number(Timing.rounded(s / t, 4)))])).serialized)
        } else {
            print("selection (pool \(poolSize), \(clusterCount) cluster(s))  \(String(format: "%8.2f", s * 1000)) ms/step")
            print("training step (\(spec.id), batch \(batchSize))  \(String(format: "%8.2f", t * 1000)) ms/step")
            print("ratio  \(String(format: "%.3f", s / t))  (target < 0.05)")
        }
        return ExitCode.success
    }
}
