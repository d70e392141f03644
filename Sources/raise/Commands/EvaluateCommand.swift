// `raise evaluate`: a model's answer loss on target splits, and greedy exact match on the test split —
// without training it. What a user runs first on a new base model, and after training elsewhere.
import Foundation
import RaiseKit

/// Evaluating a model.
enum EvaluateCommand {
    static let command = Command(
        words: ["evaluate"],
        summary: "a model's answer loss on --val and --test, and greedy exact match on --test, without training",
        arguments: "",
        options: [ModelOptions.model, ModelOptions.template,
                  .value("--val", "FILE", "a validation split: its mean answer loss"),
                  .value("--test", "FILE", "a test split: its mean answer loss and greedy exact match"),
                  .choice("--match", "HOW", "how test answers are compared (final-answer: after '####' / the last number)", default: AnswerMatch.exact),
                  PluginOptions.pluginPath, CommonOptions.seed, CommonOptions.threads, CommonOptions.json],
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        try arguments.expectNoPositionals()
        try arguments.configureThreads()
        guard arguments.string("--val") != nil || arguments.string("--test") != nil else {
            throw UsageError(message: "--val FILE or --test FILE is required", usage: arguments.usage)
        }
        let registry = try PluginOptions.load(arguments)
        let model = try ModelOptions.make(arguments, registry: registry, seed: try arguments.seed())
        let formatter = try ModelOptions.formatter(arguments, model: model)
        var result = JSONObject([("model", .string(model.backendID))])
        try TargetMetrics.measure(model, validation: try ModelOptions.targetSplit(arguments.string("--val"), formatter: formatter),
                                  test: try ModelOptions.targetSplit(arguments.string("--test"), formatter: formatter),
                                  match: try arguments.choice("--match", as: AnswerMatch.self), into: &result)
        if arguments.outputMode == .json {
            print(JSONValue.object(result).serialized)
        } else {
            print("evaluated \(arguments.string("--model")!) (\(model.backendID))")
            TargetMetrics.lines(result).forEach { print($0) }
        }
        return ExitCode.success
    }
}
