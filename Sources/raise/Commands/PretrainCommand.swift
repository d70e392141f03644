// `raise pretrain`: trains a model from scratch (or continues one) on a corpus, with progress on
// stderr (step, loss, tokens/s, ETA), a model folder and a resume state every K steps, and `--resume`
// to continue a killed run exactly where its last checkpoint left it.
import Foundation
import RaiseKit

/// Pretraining.
enum PretrainCommand {
    static let command = Command(
        words: ["pretrain"],
        summary: "train a model on a corpus (all tokens scored), with checkpoints and --resume",
        arguments: "",
        options: [ModelOptions.model, ModelOptions.data, ModelOptions.format, ModelOptions.filter, ModelOptions.template, ModelOptions.systemPrompt, ModelOptions.fields, ModelOptions.skipInvalid, ModelOptions.maxRecordBytes,
                  .integer("--steps", "N", "optimizer steps (required)", default: nil, in: 1...100_000_000), .integer("--batch", "N", "examples per step", default: 16, in: 1...65_536),
                  .real("--lr", "X", "peak learning rate", default: 3e-3, in: 1e-7...10), .integer("--warmup", "N", "warm-up steps (default 5% of the steps)", default: nil, in: 0...100_000_000),
                  .value("--out", "DIR", "model folder to write (required)"),
                  .integer("--checkpoint-every", "N", "steps between checkpoints", default: 500, in: 1...100_000_000),
                  .flag("--resume", "continue from DIR's last checkpoint (with the same settings)"), OutputOptions.force, PluginOptions.pluginPath,
                  CommonOptions.seed, CommonOptions.threads, CommonOptions.quiet, CommonOptions.json],
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        try arguments.expectNoPositionals()
        try arguments.configureThreads()
        guard arguments.string("--steps") != nil, let out = arguments.string("--out") else {
            throw UsageError(message: "--steps N and --out DIR are required", usage: arguments.usage)
        }
        let steps = try arguments.int("--steps")
        let batchSize = try arguments.int("--batch")
        let every = try arguments.int("--checkpoint-every")
        let lr = try arguments.number("--lr")
        let warmup = try arguments.int("--warmup", default: max(1, steps / 20))
        guard warmup <= steps else { throw UsageError(message: "--warmup \(warmup): expected at most the \(steps) steps", usage: arguments.usage) }
        let seed = try arguments.seed()
        // --resume continues a run this command started in `out` (its run-settings.json says so), or a
        // checkpoint of an older raise; any other model there is a finished result.
        let settingsPath = out + "/run-settings.json"
        let (hasSettings, hasState) = (FileManager.default.fileExists(atPath: settingsPath), FileManager.default.fileExists(atPath: out + "/resume.safetensors"))
        let resuming = arguments.flag("--resume") && (hasSettings || hasState)
        try OutputOptions.claimFolder(out, finished: resuming ? nil : "config.json", ownFiles: OutputOptions.modelFiles, arguments: arguments,
                                      hint: arguments.flag("--resume") ? "it was not made by raise pretrain" : "pass --resume to continue it")

        let registry = try PluginOptions.load(arguments)
        let model = try ModelOptions.make(arguments, registry: registry, seed: seed)
        let prompt = try ModelOptions.promptChoice(arguments, model: model)
        let formatter = try ModelOptions.formatter(for: prompt, arguments, model: model)
        let (formatted, skipped) = formatter.examples(try ModelOptions.records(arguments))
        guard !formatted.isEmpty else { throw RaiseError.invalidArgument(name: "--data", detail: "no example with a response to train on") }
        if !skipped.isEmpty { arguments.console.warning("\(skipped.count) record(s) without response tokens skipped") }
        let examples = formatted.map { example in  // pretraining scores every token but the first
            TokenizedExample(ids: example.ids, lossMask: [0] + Array(repeating: 1, count: example.ids.count - 1))
        }

        var settings = TrainerSettings(schedule: .warmupCosine(peak: Float(lr), warmupSteps: warmup, totalSteps: steps, minimum: Float(lr) / 10))
        settings.weightDecay = 0.1
        // Under mpirun every rank holds the model and draws the same batches; each trains on its shard.
        let communicator = Job.communicator
        let trainer = ModelTrainer(model: model, settings: settings, communicator: communicator)
        var rng = RandomGenerator(seed: seed ^ 0x7072_6574_7261_696E)
        // Everything the final model depends on; a resumed run must have been started with the same.
        let runSettings = RunSettings(values: ["model": arguments.string("--model")!, "data": String(FeatureCache.fingerprint(model: nil, examples: examples), radix: 16),
                                               "template": formatter.template.rawValue, "steps": String(steps), "batch": String(batchSize),
                                               "lr": String(lr), "warmup": String(warmup), "seed": String(seed)])
        var start = 0
        if resuming && hasSettings {
            try runSettings.claim(path: settingsPath, what: "this run was started", hint: "resume with the same options, or choose another --out")
        } else if resuming && communicator.isRoot {
            arguments.console.warning("\(out) has no run-settings.json (made by an older raise): its settings cannot be checked")
        } else if communicator.isRoot {  // a new run (with --force, over an old one, whose resume state goes)
            try runSettings.save(path: settingsPath)
            if hasState { unlink(out + "/resume.safetensors") }
        }
        if resuming && hasState {
            let state = try Checkpoint.loadRun(model: model, trainer: trainer, from: out)
            (start, rng) = (state.step, state.rng)
            arguments.console.info("raise: resuming \(out) at step \(start)")
        }
        try Job.requireAgreement(on: start, what: "the resume step of \(out)")

        let progress = ProgressReporter(label: "pretrain", total: steps, mode: arguments.outputMode, completed: start)
        var tokensSeen = 0
        let clock = Date()
        for step in start..<steps {
            let batch = (0..<batchSize).map { _ in examples[rng.nextInt(below: examples.count)] }
            let loss = try trainer.step(batch)
            tokensSeen += batch.reduce(0) { $0 + $1.ids.count }
            let rate = Double(tokensSeen) / max(Date().timeIntervalSince(clock), 1e-9)
            progress.update(step: step + 1, metrics: [("loss", Double(loss)), ("tokens_per_s", rate.rounded())])
            if communicator.isRoot && ((step + 1) % every == 0 || step + 1 == steps) {
                try Checkpoint.saveModel(model, template: formatter.template, systemPrompt: formatter.defaultSystemPrompt,
                                         chatTemplate: prompt.chatTemplate?.source, to: out)
                try Checkpoint.saveRun(model: model, trainer: trainer,
                                       state: .init(step: step + 1, optimizerStep: trainer.optimizer.step, rng: rng), to: out)
            }
        }
        guard communicator.isRoot else { return ExitCode.success }  // rank 0 reports
        let final = try model.exampleLosses(Array(formatted.prefix(256)))
        let meanLoss = final.reduce(0, +) / Float(max(final.count, 1))
        if arguments.outputMode == .json {
            print(JSONValue.object(JSONObject([("out", .string(out)), ("steps", .number(Double(steps))),
                                               ("response_loss", .number(Double(meanLoss)))])).serialized)
        } else {
            print("pretrained \(model.backendID) for \(steps) steps -> \(out); mean response loss on the first \(final.count) examples: \(String(format: "%.4f", meanLoss))")
        }
        return ExitCode.success
    }
}
