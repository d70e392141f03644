// `raise score`: feature columns of every record — by default its answer loss under the model — written
// as JSONL beside each record (its original fields, plus "scores"). Features are cached by model, data
// and spec. Records left without a response token by the context limit are counted and reported.
// When every feature is row-wise (losses, IFD, lengths) the pool is streamed a window of records at a
// time, so memory stays bounded by the window whatever the pool's size; a pool-wide feature (embeddings
// reduced by PCA over the pool) reads the whole pool first.
// Under `mpirun -np N` every scoring pass is shared by the ranks and rank 0 writes the same file.
import Foundation
import RaiseKit

/// Scoring a pool with feature extractors.
enum ScoreCommand {
    static let command = Command(
        words: ["score"],
        summary: "write feature columns (loss, perplexity, IFD, length, …) of each record as JSONL",
        arguments: "",
        options: [ModelOptions.model, ModelOptions.data, ModelOptions.format, ModelOptions.filter, ModelOptions.template, ModelOptions.systemPrompt, ModelOptions.fields, ModelOptions.skipInvalid, ModelOptions.maxRecordBytes,
                  .value("--features", "LIST", "comma-separated feature ids, e.g. ifd,perplexity,length (default loss)"),
                  .values("--feature", "SPEC", "a feature with parameters, e.g. embedding:dims=8 (repeatable)")] + FeatureOptions.modelOptions + [FeatureOptions.target, .value("--out", "FILE", "scores.jsonl to write (required)"), OutputOptions.force,
                  .integer("--window", "N", "records read, scored and written at a time when every feature is row-wise (rounded up"
                                            + " to a multiple of 256, so that the scores are those of one pass over the pool)", default: 16_384, in: 1...100_000_000),
                  PluginOptions.pluginPath,
                  CommonOptions.seed, CommonOptions.threads, CommonOptions.quiet, CommonOptions.json],
        run: run)

    /// Short names accepted by --features: `perplexity` is a column of feature.loss.
    static let aliases = ["perplexity": "loss"]

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        try arguments.expectNoPositionals()
        try arguments.configureThreads()
        guard let out = arguments.string("--out") else { throw UsageError(message: "--out FILE is required", usage: arguments.usage) }
        try OutputOptions.claimFile(out, inputs: arguments.strings("--data"), arguments: arguments)
        let seed = try arguments.seed()
        let registry = try PluginOptions.load(arguments)
        let model = try ModelOptions.make(arguments, registry: registry, seed: seed)
        let formatter = try ModelOptions.formatter(arguments, model: model)
        var specs = (arguments.string("--features") ?? (arguments.strings("--feature").isEmpty ? "loss" : ""))
            .split(separator: ",").map { name in "feature." + (aliases[String(name)] ?? String(name)) }
        specs += arguments.strings("--feature").map { $0.hasPrefix("feature.") ? $0 : "feature." + $0 }
        specs = Array(Set(specs)).sorted()
        let rowwise = try specs.allSatisfy { spec in
            try registry.make(PluginSpec(parsing: spec, option: "--feature"), kind: .feature, seed: seed, as: (any FeatureExtractor).self).isRowwise
        }
        // Windows hold whole chunks of the feature passes, which batch examples by chunk: the same batches,
        // bit for bit the same scores, as one pass over the whole pool.
        let chunk = FeaturePipeline.chunk
        let window = rowwise ? (try arguments.int("--window") + chunk - 1) / chunk * chunk : Int.max
        try FeatureOptions.checkModels(for: specs, arguments)
        let target = try ModelOptions.targetSplit("--val", arguments, formatter: formatter, pool: nil)  // scoring trains nothing: no overlap check
        let pipeline = try FeatureOptions.pipeline(arguments, registry: registry, trained: model, formatter: formatter, seed: seed, target: target)
        let start = Date()

        // Each window of records: formatted, scored (features cached per window), its lines written.
        var writer: AtomicFileWriter?  // under mpirun, rank 0 writes
        if Job.communicator.isRoot {
            try Folder.create(URL(fileURLWithPath: out).deletingLastPathComponent().path)
            writer = try AtomicFileWriter(path: out)
        }
        var pending = [InstructionRecord](), names = [String](), read = 0, scored = 0, cuts = ContextCuts(context: formatter.maxLength - 1)
        // A pool of more than one window is counted first (a second, cheap pass), so that progress says which
        // window is being scored and an overall line gives the ETA.
        var windows: (count: Int, progress: ProgressReporter)?
        func scoreWindow() throws {
            if windows == nil && pending.count >= window {
                var total = 0
                try ModelOptions.forEachRecord(arguments, warn: false) { _ in total += 1 }
                windows = ((total + window - 1) / window, ProgressReporter(label: "score", total: total, mode: arguments.outputMode))
            }
            let part = windows.map { " (window \(read / window + 1) of \($0.count))" } ?? ""
            let batch = Pool(formatting: pending, with: formatter)
            cuts.add(batch.cuts)
            read += pending.count
            pending.removeAll(keepingCapacity: true)
            defer { windows?.progress.update(step: read) }
            guard !batch.isEmpty else { return }
            let columns = try pipeline.columns(specs, of: batch, part: part)
            names = columns.keys.sorted()
            for (i, record) in batch.records.enumerated() {
                try writer?.write(RecordWriter.scoredLine(record, scores: names.map { ($0, Double(columns[$0]![i])) }))
            }
            scored += batch.count
        }
        try ModelOptions.forEachRecord(arguments) { record in
            pending.append(record)
            if pending.count >= window { try scoreWindow() }
        }
        try scoreWindow()
        try writer?.commit()
        guard Job.communicator.isRoot else { return ExitCode.success }
        if scored < read {
            arguments.console.warning("\(read - scored) record(s) have no response token within the context; not scored")
        }
        if let warning = cuts.warning("--data") { arguments.console.warning(warning) }
        let rate = Double(scored) / max(Date().timeIntervalSince(start), 1e-9)
        if arguments.outputMode == .json {
            print(JSONValue.object(JSONObject([("out", .string(out)), ("scored", .number(Double(scored))),
                                               ("unscored", .number(Double(read - scored))),
                                               ("columns", .array(names.map { .string($0) })),
                                               ("records_per_s", .number(Timing.rounded(rate, 1)))])).serialized)
        } else {
            print("scored \(scored) record(s) with \(pipeline.models.auxiliary.backendID): \(names.joined(separator: ", ")) -> \(out) (\(String(format: "%.0f", rate)) records/s)")
        }
        return ExitCode.success
    }
}
