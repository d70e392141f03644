// `raise score`: the per-example answer loss of every record under a model, written as JSONL beside
// each record (its original fields, plus "scores"). Records left without a response token by the
// template's length limit are counted and reported, not scored.
import Foundation
import RaiseKit

/// Scoring a pool with a model.
enum ScoreCommand {
    static let command = Command(
        words: ["score"],
        summary: "write each record's answer loss under a model as JSONL (records/s on stderr)",
        arguments: "",
        options: [ModelOptions.model, ModelOptions.data, ModelOptions.template, ModelOptions.fields, ModelOptions.skipInvalid,
                  .value("--out", "FILE", "scores.jsonl to write (required)"), PluginOptions.pluginPath,
                  CommonOptions.seed, CommonOptions.threads, CommonOptions.quiet, CommonOptions.json],
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        try arguments.expectNoPositionals()
        try arguments.configureThreads()
        guard let out = arguments.string("--out") else { throw UsageError(message: "--out FILE is required", usage: arguments.usage) }
        let registry = try PluginOptions.load(arguments)
        let model = try ModelOptions.make(arguments, registry: registry, seed: try arguments.seed())
        let formatter = try ModelOptions.formatter(arguments, model: model)
        let records = try ModelOptions.records(arguments)
        var scored = [(InstructionRecord, TokenizedExample)]()
        for record in records { if let example = formatter.example(record) { scored.append((record, example)) } }
        if scored.count < records.count {
            ExitCode.printError("raise: warning: \(records.count - scored.count) record(s) have no response token within the context; not scored")
        }
        let chunk = 256
        let progress = ProgressReporter(label: "score", total: (scored.count + chunk - 1) / chunk, mode: arguments.outputMode)
        var losses = [Float]()
        let start = Date()
        for (index, first) in stride(from: 0, to: scored.count, by: chunk).enumerated() {
            losses += try model.exampleLosses(scored[first..<min(first + chunk, scored.count)].map(\.1))
            progress.update(step: index + 1, metrics: [("records_per_s", Double(losses.count) / max(Date().timeIntervalSince(start), 1e-9))])
        }
        try RecordWriter.writeScored(scored.map(\.0), scores: losses.map { [("loss", Double($0))] }, to: out)
        let rate = Double(scored.count) / max(Date().timeIntervalSince(start), 1e-9)
        if arguments.outputMode == .json {
            print(JSONValue.object(JSONObject([("out", .string(out)), ("scored", .number(Double(scored.count))),
                                               ("unscored", .number(Double(records.count - scored.count))),
                                               ("records_per_s", .number(Timing.rounded(rate, 1)))])).serialized)
        } else {
            print("scored \(scored.count) record(s) with \(model.backendID) -> \(out) (\(String(format: "%.0f", rate)) records/s)")
        }
        return ExitCode.success
    }
}
