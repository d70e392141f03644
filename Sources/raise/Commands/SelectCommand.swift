// `raise select`: what a selector picks from a pool for a budget, for a user's own trainer. A static
// selector's subset is exported in the input's own format (each record as it was); a selector that
// chooses at every step (RAISE) has its whole schedule exported — step, position, record — when its
// choices do not depend on the model being trained (RAISE without the current-loss group); one that
// reads the live model is refused, naming what it reads.
import Foundation
import RaiseKit

/// Exporting a selected subset.
enum SelectCommand {
    static let command = Command(
        words: ["select"],
        summary: "export the subset a static selector picks for a budget (in the input's format), or RAISE's per-step schedule",
        arguments: "",
        options: [.value("--selector", "SPEC", "the selector (required), e.g. ifd:threshold=1"),
                  .value("--budget", "B", "steps (N, N%, Nexamples, Ntokens); the subset is steps × batch / 3 examples"),
                  .integer("--batch", "N", "the batch size the budget is counted in", default: 16, in: 1...65_536),
                  ModelOptions.data, ModelOptions.format, ModelOptions.filter, ModelOptions.model] + FeatureOptions.modelOptions + [ModelOptions.template, ModelOptions.systemPrompt, ModelOptions.fields,
                  ModelOptions.skipInvalid, ModelOptions.maxRecordBytes, FeatureOptions.target,
                  .value("--out", "FILE", "the subset to write, or the schedule (JSONL) of a selector that chooses at every step (required)"), OutputOptions.force, PluginOptions.pluginPath,
                  CommonOptions.seed, CommonOptions.threads, CommonOptions.quiet, CommonOptions.json],
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        try arguments.expectNoPositionals()
        try arguments.configureThreads()
        guard let selectorText = arguments.string("--selector"), let out = arguments.string("--out"), let budgetText = arguments.string("--budget") else {
            throw UsageError(message: "--selector SPEC, --budget B and --out FILE are required", usage: arguments.usage)
        }
        try OutputOptions.claimFile(out, inputs: arguments.strings("--data"), arguments: arguments)
        if out.lowercased().hasSuffix(".parquet") {
            throw UsageError(message: "--out \(out): raise reads Parquet but does not write it; a subset of Parquet rows is written as JSON lines "
                             + "(name it .jsonl)", usage: arguments.usage)
        }
        if [".gz", ".zst", ".zstd"].contains(where: out.lowercased().hasSuffix) {
            throw UsageError(message: "--out \(out): raise reads gzip and Zstandard files but writes its subset uncompressed; name it without "
                             + "the suffix and compress it afterwards", usage: arguments.usage)
        }
        let seed = try arguments.seed()
        let batchSize = try arguments.int("--batch")
        let budget = try arguments.budget(text: budgetText, option: "--budget")
        let registry = try PluginOptions.load(arguments)
        let selectorSpec = try PluginSpec(parsing: selectorText, option: "--selector")
        try BenchEntry.refuseEpisodesOutsideBench(selectorSpec)
        let selector = try registry.make(selectorSpec, kind: .selector, seed: seed, as: (any InstructionSelector).self)
        let records = try ModelOptions.records(arguments)
        guard !records.isEmpty else { throw RaiseError.invalidArgument(name: "--data", detail: "the pool is empty") }
        let writtenFormat = selector.mode == .once ? try subsetFormat(arguments) : nil  // told before the features are computed

        // Features need a model and its tokenizer; a selector that reads none needs neither.
        var kept = Array(records.indices), examples = [TokenizedExample](), features = [String: [Float]]()
        if !selector.requiredFeatures.isEmpty {
            try FeatureOptions.checkModels(for: selector.requiredFeatures, arguments)
            let model = try ModelOptions.make(arguments, registry: registry, seed: seed)
            let formatter = try ModelOptions.formatter(arguments, model: model)
            let fit = formatter.fit(records)
            (kept, examples) = (fit.positions, fit.examples)
            let pool = Pool(records: kept.map { records[$0] }, examples: examples, cuts: fit.cuts)
            if kept.count < records.count {
                arguments.console.warning("\(records.count - kept.count) record(s) without response tokens in the context are not selectable")
            }
            if let warning = pool.cuts.warning("--data (the pool)") { arguments.console.warning(warning) }
            let target = try ModelOptions.targetSplit("--val", arguments, formatter: formatter, pool: pool)
            features = try FeatureOptions.pipeline(arguments, registry: registry, trained: model, formatter: formatter, seed: seed, target: target)
                .columns(selector.requiredFeatures, of: pool)
        }
        let steps = try arguments.steps(of: budget, poolSize: kept.count, batchSize: batchSize, meanTokens: examples.meanTokens)
        guard selector.mode == .once else {
            return try exportSchedule(selector, id: selectorSpec.id, records: kept.map { records[$0] }, features: features, steps: steps,
                                      batchSize: batchSize, out: out, arguments: arguments)
        }
        // The subset trained on for `steps` steps over 3 epochs; a budget past the whole pool is refused, not cut.
        let wanted = (steps * batchSize + TrainingBudget.fullDataEpochs - 1) / TrainingBudget.fullDataEpochs
        if case .percent(let p) = budget, p > 100 {
            throw UsageError(message: "--budget \(budget): a subset is at most the whole pool (100%)", usage: arguments.usage)
        }
        guard wanted <= kept.count + batchSize else {
            throw UsageError(message: "--budget \(budget): \(steps) steps of \(batchSize) over 3 epochs need \(wanted) records; the pool has \(kept.count)",
                             usage: arguments.usage)
        }
        let count = min(kept.count, max(batchSize, wanted))
        let chosen = try selector.select(SelectionRequest(poolSize: kept.count, count: count, totalSteps: steps, features: features))
        if let bad = chosen.first(where: { $0 < 0 || $0 >= kept.count }) {
            throw RaiseError.invalidArgument(name: selectorSpec.id, detail: "chose index \(bad), outside the pool of \(kept.count)")
        }
        let subset = chosen.map { records[kept[$0]] }
        if let writtenFormat { try RecordWriter.write(subset, format: writtenFormat, to: out) } else { try RecordWriter.writeCanonical(subset, to: out) }
        if arguments.outputMode == .json {
            print(JSONValue.object(JSONObject([("selector", .string(selectorSpec.id)), ("steps", .number(Double(steps))),
                                               ("selected", .number(Double(chosen.count))), ("pool", .number(Double(kept.count))),
                                               ("out", .string(out))])).serialized)
        } else {
            print("\(selectorSpec.id) chose \(chosen.count) of \(kept.count) records (\(steps) steps of \(batchSize), 3 epochs) -> \(out)")
        }
        return ExitCode.success
    }

    /// The format a subset of the `--data` files is written in, each record as it was read: theirs, when one
    /// file can hold all of them (Parquet rows as JSON lines); else nil, for canonical JSONL (text beside
    /// JSON, CSV files of other columns), with a warning naming two of them.
    private static func subsetFormat(_ arguments: ParsedArguments) throws -> DataFormat? {
        let options = try ModelOptions.readOptions(arguments)
        let files = try ModelOptions.dataFiles(arguments)
        let formats = try files.map { try InstructionReader(path: $0, options: options).format.written }
        guard let other = formats.firstIndex(where: { !formats[0].holds($0) }) else { return formats[0] }
        arguments.console.warning("--data \(files[0]) is \(formats[0]) and --data \(files[other]) \(formats[other]): no one file holds both as they were, "
                                  + "so the subset is written as canonical JSONL (id, instruction, input, output, or messages)")
        return nil
    }

    /// The schedule of a selector that chooses at every step, with no model being trained: each step's
    /// batch asked for in turn (the step, how often each record was used so far, the static features), one
    /// line per pick. A selector that needs the live model's losses stops it with its own error.
    private static func exportSchedule(_ selector: any InstructionSelector, id: String, records: [InstructionRecord], features: [String: [Float]],
                                       steps: Int, batchSize: Int, out: String, arguments: ParsedArguments) throws -> Int32 {
        guard batchSize <= records.count else {
            throw RaiseError.invalidArgument(name: "--batch", detail: "\(batchSize) is more than the pool's \(records.count) records")
        }
        let writer = try AtomicFileWriter(path: out)
        var timesSelected = [Int](repeating: 0, count: records.count)
        for step in 0..<steps {
            let request = SelectionRequest(poolSize: records.count, count: batchSize, step: step, totalSteps: steps, timesSelected: timesSelected,
                                           features: features)
            let picks = try selector.select(request)
            for (position, index) in picks.enumerated() {
                guard index >= 0 && index < records.count else {
                    throw RaiseError.invalidArgument(name: id, detail: "chose index \(index), outside the pool of \(records.count)")
                }
                timesSelected[index] += 1
                try writer.write(RecordWriter.scheduleLine(records[index], step: step, position: position))
            }
        }
        try writer.commit()
        let distinct = timesSelected.filter { $0 > 0 }.count
        if arguments.outputMode == .json {
            print(JSONValue.object(JSONObject([("selector", .string(id)), ("steps", .number(Double(steps))), ("batch", .number(Double(batchSize))),
                                               ("distinct", .number(Double(distinct))), ("pool", .number(Double(records.count))),
                                               ("out", .string(out))])).serialized)
        } else {
            print("\(id) scheduled \(steps) steps of \(batchSize) (\(distinct) distinct of \(records.count) records) -> \(out)")
        }
        return ExitCode.success
    }
}
