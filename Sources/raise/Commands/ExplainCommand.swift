// `raise explain`: what a trained RAISE policy looks at and what it picks. The policy is run over the
// pool for a budget's steps, choosing as `selector.raise` does (drawing from its nucleus by default, or
// its top scores; scoring only: the model is not trained, so a current-loss group keeps the starting
// losses). At an early, a middle and a late step it measures, per state group, how far the scores move
// when that group is scrambled — its rows permuted across instructions, or for the stage, replaced by a
// random other step — and how many of the top-scoring batch change. Then it tabulates the picks of each
// third of the run by task family (hidden tag, task, or the file a record came from), by noise and
// duplication (hidden tags, when the data has them) and by difficulty band (quartiles of the answer loss
// under the scoring model), against the pool's own shares. Markdown on stdout, or into --out.
import Foundation
import RaiseKit

/// Interpreting a policy.
enum ExplainCommand {
    static let command = Command(
        words: ["explain"],
        summary: "explain a RAISE policy: permutation importance of each state group by stage, and what it picks",
        arguments: "POLICY_DIR",
        options: [ModelOptions.model] + FeatureOptions.modelOptions + [ModelOptions.data, ModelOptions.format, ModelOptions.filter, ModelOptions.template, ModelOptions.systemPrompt, ModelOptions.fields,
                  ModelOptions.skipInvalid, ModelOptions.maxRecordBytes, FeatureOptions.target,
                  .text("--budget", "B", "steps of the simulated run", default: "1%"), .integer("--batch", "N", "instructions per step", default: 16, in: 1...65_536),
                  .text("--choice", "HOW", "how the run picks: sample (as selector.raise) or top", default: "sample"),
                  .real("--nucleus", "P", "with --choice sample, draw from the top scores holding this share of the softmax mass (as selector.raise)",
                        default: SelectionPolicy.nucleusInUse, in: 0.01...1),
                  .value("--out", "FILE", "write the Markdown report here instead of stdout"), OutputOptions.force,
                  PluginOptions.pluginPath, CommonOptions.seed, CommonOptions.threads, CommonOptions.quiet],
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        guard arguments.positionals.count == 1 else { throw UsageError(message: "expected one POLICY_DIR", usage: arguments.usage) }
        try arguments.configureThreads()
        if let out = arguments.string("--out") { try OutputOptions.claimFile(out, inputs: [], arguments: arguments) }
        let seed = try arguments.seed()
        let policyPath = arguments.positionals[0]
        let policy = try PolicyFolder(policyPath).loadPolicy()
        let layout = policy.settings.layout
        let registry = try PluginOptions.load(arguments)
        let model = try ModelOptions.make(arguments, registry: registry, seed: seed)
        let formatter = try ModelOptions.formatter(arguments, model: model)
        let pool = try ModelOptions.pool(arguments, formatter: formatter)
        let batchSize = try arguments.int("--batch")
        let (choice, nucleus) = (arguments.text("--choice"), try arguments.number("--nucleus"))
        guard choice == "sample" || choice == "top" else {
            throw UsageError(message: "--choice '\(choice)': expected sample or top", usage: arguments.usage)
        }
        guard batchSize <= pool.count else { throw RaiseError.invalidArgument(name: "--batch", detail: "more than the pool's \(pool.count) records") }
        let steps = try arguments.steps(of: arguments.budget(), poolSize: pool.count, batchSize: batchSize, meanTokens: pool.meanTokens)
        let specs = layout.featureSpecs.contains(FeatureSpec.ifd) ? layout.featureSpecs : layout.featureSpecs + [FeatureSpec.loss]
        let target = try ModelOptions.targetSplit("--val", arguments, formatter: formatter, pool: pool)
        let columns = try FeatureOptions.pipeline(arguments, registry: registry, trained: model, formatter: formatter, seed: seed, target: target).columns(specs, of: pool)
        let policyPool = try PolicyPool(columns: columns, count: pool.count, settings: policy.settings, seed: seed)
        let (features, clusters) = (policyPool.features, policyPool.clusters)
        let startLosses = layout.groups.contains(.currentLoss)
            ? PoolFeatures.standardised([try model.exampleLosses(pool.examples)], count: pool.count).scalars : nil

        // The greedy run, with importance measured at three stages.
        var progress = TrainingProgress(totalSteps: steps, poolSize: pool.count)
        progress.currentLoss = startLosses
        let probes = [("early", steps / 10), ("middle", steps / 2), ("late", min(steps - 1, steps * 9 / 10))]
        var importance = [(stage: String, step: Int, rows: [(StateGroup, Double, Double)])]()
        var picksByThird = [[Int]](repeating: [], count: 3)
        var rng = RandomGenerator(seed: seed)
        var greedy: RandomGenerator? = nil
        var draws: RandomGenerator? = choice == "sample" ? RandomGenerator(seed: seed ^ 0x6578_706C_6169_6E21) : nil
        for t in 0..<steps {
            progress.step = t
            let state = layout.fusedState(features, progress)
            let scores = policy.scores(state)
            let picks = policy.choose(scores: scores, clusters: clusters, batchSize: batchSize, nucleus: nucleus, rng: &draws).flatMap { $0 }
            let top = choice == "top" ? picks : policy.choose(scores: scores, clusters: clusters, batchSize: batchSize, rng: &greedy).flatMap { $0 }
            for (name, step) in probes where step == t {
                importance.append((name, t, layout.groups.map { group in
                    let scrambled = scramble(state, group: group, layout: layout, steps: steps, rng: &rng)
                    let moved = policy.scores(scrambled)
                    let shift = zip(scores, moved).reduce(0.0) { $0 + Double(abs($1.0 - $1.1)) } / Double(scores.count)
                    let deviation = PoolFeatures.moments(scores).deviation
                    let newPicks = Set(policy.choose(scores: moved, clusters: clusters, batchSize: batchSize, rng: &greedy).flatMap { $0 })
                    return (group, shift / deviation, Double(top.filter { !newPicks.contains($0) }.count) / Double(top.count))
                }))
            }
            picksByThird[min(2, 3 * t / steps)] += picks
            for i in picks { progress.timesSelected[i] += 1 }
        }

        let losses = columns[FeatureColumn.lossConditional] ?? columns[FeatureColumn.loss]!
        let report = markdown(policyPath: policyPath, policy: policy, choice: choice, records: pool.records, steps: steps, batchSize: batchSize,
                              importance: importance, picksByThird: picksByThird, losses: losses)
        if let out = arguments.string("--out") {
            try AtomicFile.write(report, to: out)
            arguments.console.info("raise: wrote \(out)")
        } else {
            print(report, terminator: "")
        }
        return ExitCode.success
    }

    /// The state with one group scrambled: rows permuted across instructions, or for the stage (equal on
    /// every row), each row given a random step's stage.
    private static func scramble(_ state: Tensor, group: StateGroup, layout: StateLayout, steps: Int, rng: inout RandomGenerator) -> Tensor {
        let out = state.copy()
        let (n, width, columns) = (state.shape[0], layout.width, layout.columns(of: group)!)
        if group == .stage {
            for i in 0..<n {
                let t = rng.nextInt(below: steps)
                out.data[i * width + columns.lowerBound] = Float(t) / Float(steps)
                out.data[i * width + columns.lowerBound + 1] = Float(t + 1) / Float(steps)
            }
            return out
        }
        var order = Array(0..<n)
        rng.shuffle(&order)
        for (i, source) in order.enumerated() {
            for c in columns { out.data[i * width + c] = state.data[source * width + c] }
        }
        return out
    }

    /// The report.
    private static func markdown(policyPath: String, policy: SelectionPolicy, choice: String, records: [InstructionRecord], steps: Int, batchSize: Int,
                                 importance: [(stage: String, step: Int, rows: [(StateGroup, Double, Double)])],
                                 picksByThird: [[Int]], losses: [Float]) -> String {
        let settings = policy.settings
        var text = "# RAISE policy `\(policyPath)`\n\n"
        text += "State groups: \(settings.layout.groups.map(\.rawValue).joined(separator: ", ")) (\(settings.layout.width) dims"
        text += settings.layout.groups.contains(.relevance) ? "; relevance signal: \(settings.layout.relevanceSignal.rawValue)); " : "); "
        text += "\(settings.clusters) cluster(s); a run of \(steps) steps of \(batchSize) over \(records.count) instructions, "
        text += choice == "sample" ? "drawing each batch from the policy (as selector.raise does by default).\n\n" : "taking the top scores.\n\n"
        text += "## What the scores depend on\n\nPermutation importance: the mean change of the score when a group is scrambled, in "
        text += "deviations of the score, and the share of the top-scoring batch that changes.\n\n"
        text += "| stage | step | " + settings.layout.groups.map { "\($0.rawValue)" }.joined(separator: " | ") + " |\n"
        text += "|---|---|" + String(repeating: "---|", count: settings.layout.groups.count) + "\n"
        for probe in importance {
            text += "| \(probe.stage) | \(probe.step + 1) | "
            text += probe.rows.map { String(format: "%.2f σ, %.0f%% of picks", $0.1, 100 * $0.2) }.joined(separator: " | ") + " |\n"
        }

        // Difficulty quartiles of the pool by the scoring model's answer loss.
        let sorted = losses.sorted()
        let cuts = [1, 2, 3].map { sorted[min(sorted.count - 1, $0 * sorted.count / 4)] }
        let band = { (i: Int) -> String in ["Q1 easiest", "Q2", "Q3", "Q4 hardest"][cuts.filter { losses[i] >= $0 }.count] }
        var dimensions: [(String, (Int) -> String?)] = [("difficulty band (answer loss)", band)]
        dimensions.append(("task family (or source file)", { records[$0].category }))
        for tag in ["noisy", "duplicate"] where records.contains(where: { $0.hiddenTags[tag] != nil }) {
            dimensions.append((tag, { records[$0].hiddenTags[tag] }))
        }
        text += "\n## What it picks as training advances\n\nShares of the picks in each third of the run, against the pool.\n"
        for (title, value) in dimensions {
            var poolCounts = [String: Int]()
            for i in records.indices { if let v = value(i) { poolCounts[v, default: 0] += 1 } }
            let keys = poolCounts.keys.sorted()
            text += "\n### \(title)\n\n| | pool | early | middle | late |\n|---|---|---|---|---|\n"
            for key in keys {
                let shares = picksByThird.map { picks in
                    String(format: "%.1f%%", 100 * Double(picks.filter { value($0) == key }.count) / Double(max(picks.count, 1)))
                }
                text += "| \(key) | \(String(format: "%.1f%%", 100 * Double(poolCounts[key]!) / Double(records.count))) | "
                    + shares.joined(separator: " | ") + " |\n"
            }
        }
        return text
    }
}
