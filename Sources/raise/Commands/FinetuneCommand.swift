// `raise finetune`: fine-tunes a model on what a selector picks from a pool, for a budget of update
// steps, and reports the target task's validation loss (and exact match on a test split). Writes the
// model folder, the selection log and the metrics.
import Foundation
import RaiseKit

/// Fine-tuning with a selector.
enum FinetuneCommand {
    static let command = Command(
        words: ["finetune"],
        summary: "fine-tune a model on a selector's picks for a step budget; report target-task metrics",
        arguments: "",
        options: [ModelOptions.model, ModelOptions.data, ModelOptions.format, ModelOptions.filter, ModelOptions.template, ModelOptions.systemPrompt, ModelOptions.fields, ModelOptions.skipInvalid, ModelOptions.maxRecordBytes,
                  .text("--selector", "SPEC", "which examples to train on", default: "full"),
                  .text("--budget", "B", "update steps: N, N% of the full-data run (3 epochs), Nexamples or Ntokens", default: "100%"),
                  .values("--val", "FILE", "target-task validation split (the loss reported; repeatable: the files make one split)"),
                  .values("--test", "FILE", "target-task test split (its loss and greedy exact match reported; repeatable: the files make one split)"),
                  ModelOptions.match, ModelOptions.exactMatchLimit,
                  .integer("--batch", "N", "examples per step", default: 16, in: 1...65_536), .real("--lr", "X", "peak learning rate", default: 1e-3, in: 1e-7...10),
                  .integer("--eval-every", "N", "steps between validation losses on stderr (0: at the end only)", default: 0, in: 0...100_000_000),
                  .value("--out", "DIR", "model folder, selection.jsonl and metrics.json (optional)"), OutputOptions.force] + FeatureOptions.modelOptions + [
                  PluginOptions.pluginPath,
                  CommonOptions.seed, CommonOptions.threads, CommonOptions.quiet, CommonOptions.json],
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        try arguments.expectNoPositionals()
        try arguments.configureThreads()
        let seed = try arguments.seed()
        let batchSize = try arguments.int("--batch")
        let lr = try arguments.number("--lr")
        let budget = try arguments.budget()
        if let out = arguments.string("--out") { try OutputOptions.claimFolder(out, finished: "config.json", ownFiles: OutputOptions.modelFiles, arguments: arguments) }
        let registry = try PluginOptions.load(arguments)
        let selectorSpec = try PluginSpec(parsing: arguments.text("--selector"), option: "--selector")
        try BenchEntry.refuseEpisodesOutsideBench(selectorSpec)
        let selector = try registry.make(selectorSpec, kind: .selector, seed: seed, as: (any InstructionSelector).self)

        let model = try ModelOptions.make(arguments, registry: registry, seed: seed)
        let prompt = try ModelOptions.promptChoice(arguments, model: model)
        let formatter = try ModelOptions.formatter(for: prompt, arguments, model: model)
        let pool = try ModelOptions.pool(arguments, formatter: formatter)
        let steps = try arguments.steps(of: budget, poolSize: pool.count, batchSize: batchSize, meanTokens: pool.meanTokens)
        let validation = try ModelOptions.targetSplit("--val", arguments, formatter: formatter, pool: pool)
        let test = try ModelOptions.targetSplit("--test", arguments, formatter: formatter, pool: pool)
        let match = try arguments.choice("--match", as: AnswerMatch.self)

        try FeatureOptions.checkModels(for: selector.requiredFeatures, arguments)
        let features = try FeatureOptions.pipeline(arguments, registry: registry, trained: model, formatter: formatter, seed: seed, target: validation).columns(selector.requiredFeatures, of: pool)

        // Under mpirun every rank holds the model and its selector picks the same batches; each trains on its shard.
        let communicator = Job.communicator
        let settings = TrainerSettings.fineTuning(peak: Float(lr), steps: steps)
        let training = SelectionTraining(trainer: ModelTrainer(model: model, settings: settings, communicator: communicator), pool: pool.examples,
                                         selector: selector, steps: steps, batchSize: batchSize, features: features,
                                         seed: seed ^ 0x6669_6E65_7475_6E65)
        let progress = ProgressReporter(label: "finetune", total: steps, mode: arguments.outputMode)
        let evalEvery = try arguments.int("--eval-every")
        var log = [String](), curve = [JSONValue](), trainingSeconds = 0.0
        for step in 0..<steps {
            let started = DispatchTime.now().uptimeNanoseconds
            let (indices, loss) = try training.step(step)
            trainingSeconds += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            log.append(JSONValue.object(logLine(step: step, indices: indices, loss: loss, records: pool.records, selector: selector)).serialized)
            progress.update(step: step + 1, metrics: [("loss", Double(loss))])
            if evalEvery > 0, (step + 1) % evalEvery == 0, let validation {  // each on a line of its own, and kept
                let validationLoss = try TargetEvaluation(model: model, examples: validation.examples).loss
                curve.append(.object(JSONObject([("step", .number(Double(step + 1))), ("val_loss", .number(validationLoss))])))
                arguments.console.info("finetune: step \(step + 1)/\(steps): validation loss \(String(format: "%.4f", validationLoss))")
            }
        }

        guard communicator.isRoot else { return ExitCode.success }  // rank 0 evaluates, writes and reports
        let canonicalSelector = try selectorSpec.arguments(for: registry.plugin(selectorSpec.id, kind: .selector).factory, seed: seed).canonical
        var result = JSONObject([("selector", .string(canonicalSelector)), ("steps", .number(Double(steps))),
                                 ("batch", .number(Double(batchSize))), ("pool", .number(Double(pool.count))),
                                 ("distinct_examples", .number(Double(training.timesSelected.filter { $0 > 0 }.count))),
                                 ("trainable_parameters", .number(Double(model.parameters.count))),
                                 ("optimizer_state_bytes", .number(Double(2 * MemoryLayout<Float>.size * model.parameters.count))),
                                 ("seconds_per_step", .number((trainingSeconds / Double(max(steps, 1)) * 1000).rounded() / 1000))])
        try TargetMetrics.measure(model, validation: validation, test: test, match: match, exactMatchLimit: try ModelOptions.exactMatchLimit(arguments),
                                  mode: arguments.outputMode, into: &result)
        if !curve.isEmpty { result["val_curve"] = .array(curve) }
        if let out = arguments.string("--out") {
            try Checkpoint.saveModel(model, template: formatter.template, systemPrompt: formatter.defaultSystemPrompt,
                                     chatTemplate: prompt.chatTemplate?.source, to: out)
            try AtomicFile.write(log.joined(separator: "\n") + "\n", to: out + "/selection.jsonl")
            try AtomicFile.write(JSONValue.object(result).serialized + "\n", to: out + "/metrics.json")
        }
        if arguments.outputMode == .json {
            print(JSONValue.object(result).serialized)
        } else {
            print("finetuned with \(canonicalSelector) for \(steps) steps of \(batchSize) (\(result["distinct_examples"]!.intValue!) distinct examples)")
            print(String(format: "%d trainable parameters (%@), %.3f s per step", model.parameters.count,
                         model.adapters == nil ? "every weight" : "low-rank adapters", trainingSeconds / Double(max(steps, 1))))
            TargetMetrics.lines(result).forEach { print($0) }
        }
        return ExitCode.success
    }

    /// One line of the selection log: the step, the chosen pool indices and record ids, the batch's training
    /// loss (mean per answer token, before the update), and the score and cluster of each pick when the
    /// selector reports them (RAISE).
    private static func logLine(step: Int, indices: [Int], loss: Float, records: [InstructionRecord], selector: any InstructionSelector) -> JSONObject {
        var line = JSONObject([("step", .number(Double(step))), ("indices", .array(indices.map { .number(Double($0)) })),
                               ("ids", .array(indices.map { .string(records[$0].id) })), ("loss", .number(Double(loss)))])
        if let explaining = selector as? any ExplainingSelector, explaining.lastChoice.count == indices.count {
            line["scores"] = .array(explaining.lastChoice.map { .number(Double($0.score)) })
            line["clusters"] = .array(explaining.lastChoice.map { .number(Double($0.cluster)) })
        }
        return line
    }
}
