// `raise data synth | stats`: generate the embedded task suite, and describe instruction files.
import Foundation
import RaiseKit

/// The data commands.
enum DataCommands {
    static let synth = Command(
        words: ["data", "synth"],
        summary: "generate the embedded task suite: pool, target val/test splits, clean pretraining corpus",
        arguments: "",
        options: [.value("--out", "DIR", "output folder (required; created if missing)"), CommonOptions.seed,
                  .value("--size", "N", "pool size (default 20000)"),
                  .value("--preset", "NAME", "standard (target 15% of the pool, 1/3 noisy) or rare-target (3%, 40% noisy)"),
                  .value("--val-size", "N", "target validation split (default 200)"),
                  .value("--test-size", "N", "target test split (default 500)"),
                  .value("--pretrain-size", "N", "clean pretraining corpus (default: the pool size)"), CommonOptions.json],
        run: runSynth)

    static let stats = Command(
        words: ["data", "stats"],
        summary: "counts, length distribution, duplicates, invalid records and hidden-tag breakdown of data files",
        arguments: "FILE...",
        options: [.value("--format", "NAME", "alpaca, jsonl, sharegpt, messages, mmlu or text (default: detected)"),
                  .value("--fields", "MAP", "field mapping, e.g. instruction=question,output=answer"),
                  .value("--where", "FIELD=VALUE", "keep records whose field has this value (repeatable)"),
                  .value("--tokenizer", "DIR", "count lengths in tokens of this vocabulary (default: UTF-8 bytes)"),
                  CommonOptions.json],
        run: runStats)

    static func runSynth(_ arguments: ParsedArguments) throws -> Int32 {
        try arguments.expectNoPositionals()
        guard let out = arguments.string("--out") else { throw UsageError(message: "--out DIR is required", usage: arguments.usage) }
        var configuration = TaskSuiteConfiguration()
        configuration.seed = try arguments.seed()
        configuration.poolSize = try arguments.int("--size", default: 20_000, in: 100...10_000_000)
        configuration.validationSize = try arguments.int("--val-size", default: 200, in: 1...100_000)
        configuration.testSize = try arguments.int("--test-size", default: 500, in: 1...100_000)
        configuration.pretrainSize = try arguments.int("--pretrain-size", default: configuration.poolSize, in: 0...10_000_000)
        if let name = arguments.string("--preset") {
            guard let preset = TaskSuitePreset(rawValue: name) else {
                throw UsageError(message: "--preset '\(name)': expected standard or rare-target", usage: arguments.usage)
            }
            configuration.preset = preset
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let suite = try TaskSuite(configuration)
        try suite.write(to: out)
        let counts = [("pool", suite.pool.count), ("val", suite.validation.count), ("test", suite.test.count), ("pretrain", suite.pretrain.count)]
        if arguments.outputMode == .json {
            print(JSONValue.object(JSONObject([("out", .string(out)), ("preset", .string(configuration.preset.rawValue))]
                                              + counts.map { ($0.0, .number(Double($0.1))) })).serialized)
        } else {
            print("task suite (\(configuration.preset.rawValue), seed \(configuration.seed)) -> \(out)")
            for (name, count) in counts { print("  \(name).jsonl".padding(toLength: 18, withPad: " ", startingAt: 0) + "\(count) records") }
        }
        return ExitCode.success
    }

    static func runStats(_ arguments: ParsedArguments) throws -> Int32 {
        guard !arguments.positionals.isEmpty else { throw UsageError(message: "at least one FILE is required", usage: arguments.usage) }
        let options = ReadOptions(format: arguments.string("--format"),
                                  fields: try arguments.string("--fields").map(ReadOptions.parseFields) ?? [:],
                                  filters: try arguments.strings("--where").map(ReadOptions.parseFilter), skipInvalid: true)
        let tokenizer = try arguments.string("--tokenizer").map { try BytePairTokenizer(directory: $0) }
        for path in arguments.positionals {
            let stats = try DataStatistics(path: path, options: options, tokenizer: tokenizer)
            print(arguments.outputMode == .json ? JSONValue.object(stats.json).serialized : stats.report)
        }
        return ExitCode.success
    }
}
