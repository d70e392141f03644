// `raise score`: feature columns of every record — by default its answer loss under the model — written
// as JSONL beside each record (its original fields, plus "scores"). Features are cached by model, data
// and spec. Records left without a response token by the context limit are counted and reported.
// Under `mpirun -np N` every scoring pass is shared by the ranks and rank 0 writes the same file.
import Foundation
import RaiseKit

/// Scoring a pool with feature extractors.
enum ScoreCommand {
    static let command = Command(
        words: ["score"],
        summary: "write feature columns (loss, perplexity, IFD, length, …) of each record as JSONL",
        arguments: "",
        options: [ModelOptions.model, ModelOptions.data, ModelOptions.template, ModelOptions.fields, ModelOptions.skipInvalid,
                  .value("--features", "LIST", "comma-separated feature ids, e.g. ifd,perplexity,length (default loss)"),
                  .value("--feature", "SPEC", "a feature with parameters, e.g. embedding:dims=8 (repeatable)"),
                  FeatureOptions.auxModel, .value("--out", "FILE", "scores.jsonl to write (required)"), PluginOptions.pluginPath,
                  CommonOptions.seed, CommonOptions.threads, CommonOptions.quiet, CommonOptions.json],
        run: run)

    /// Short names accepted by --features: `perplexity` is a column of feature.loss.
    static let aliases = ["perplexity": "loss"]

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        try arguments.expectNoPositionals()
        try arguments.configureThreads()
        guard let out = arguments.string("--out") else { throw UsageError(message: "--out FILE is required", usage: arguments.usage) }
        let seed = try arguments.seed()
        let registry = try PluginOptions.load(arguments)
        let model = try ModelOptions.make(arguments, registry: registry, seed: seed)
        let formatter = try ModelOptions.formatter(arguments, model: model)
        let records = try ModelOptions.records(arguments)
        var scored = [(InstructionRecord, TokenizedExample)]()
        for record in records { if let example = formatter.example(record) { scored.append((record, example)) } }
        if scored.count < records.count {
            ExitCode.printError("raise: warning: \(records.count - scored.count) record(s) have no response token within the context; not scored")
        }
        var specs = (arguments.string("--features") ?? (arguments.strings("--feature").isEmpty ? "loss" : ""))
            .split(separator: ",").map { name in "feature." + (aliases[String(name)] ?? String(name)) }
        specs += arguments.strings("--feature").map { $0.hasPrefix("feature.") ? $0 : "feature." + $0 }
        let scorer = try FeatureOptions.scoringModel(arguments, registry: registry, model: model, seed: seed)
        let start = Date()
        let columns = try FeatureOptions.columns(Array(Set(specs)).sorted(), records: scored.map(\.0), examples: scored.map(\.1), model: model,
                                                 scorer: scorer, arguments: arguments,
                                                 registry: registry, seed: seed)
        let names = columns.keys.sorted()
        guard Job.communicator.isRoot else { return ExitCode.success }  // under mpirun, rank 0 writes
        try RecordWriter.writeScored(scored.map(\.0), scores: scored.indices.map { i in names.map { ($0, Double(columns[$0]![i])) } }, to: out)
        let rate = Double(scored.count) / max(Date().timeIntervalSince(start), 1e-9)
        if arguments.outputMode == .json {
            print(JSONValue.object(JSONObject([("out", .string(out)), ("scored", .number(Double(scored.count))),
                                               ("unscored", .number(Double(records.count - scored.count))),
                                               ("columns", .array(names.map { .string($0) })),
                                               ("records_per_s", .number(Timing.rounded(rate, 1)))])).serialized)
        } else {
            print("scored \(scored.count) record(s) with \(scorer.backendID): \(names.joined(separator: ", ")) -> \(out) (\(String(format: "%.0f", rate)) records/s)")
        }
        return ExitCode.success
    }
}
