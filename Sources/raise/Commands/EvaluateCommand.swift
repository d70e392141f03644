// `raise evaluate`: a model's answer loss on target splits, and greedy exact match on the test split —
// without training it. What a user runs first on a new base model, and after training elsewhere. With
// `--losses FILE` it also writes each record's tokens and loss, so that another implementation (transformers
// on an exported folder, Samples/HFExport) can be checked against raise record by record; with `--answers
// FILE`, each test record's answer beside its reference, to see what exact match counted.
import Foundation
import RaiseKit

/// Evaluating a model.
enum EvaluateCommand {
    static let command = Command(
        words: ["evaluate"],
        summary: "a model's answer loss on --val and --test, and greedy exact match on --test, without training",
        arguments: "",
        options: [ModelOptions.model, ModelOptions.template, ModelOptions.systemPrompt,
                  .values("--val", "FILE", "a validation split: its mean answer loss (repeatable: the files make one split)"),
                  .values("--test", "FILE", "a test split: its mean answer loss and greedy exact match (repeatable: the files make one split)"),
                  ModelOptions.match,
                  ModelOptions.exactMatchLimit, ModelOptions.fields, ModelOptions.maxRecordBytes,
                  .value("--losses", "FILE", "also write each record's split, id, chat messages, template pieces, token ids, answer mask and mean "
                         + "answer loss (JSONL)"),
                  .value("--answers", "FILE", "also write, for each test record exact match is measured on, its id, the model's answer "
                         + "(greedy, or the likeliest letter under --match choice-likelihood), reference, whether they match and its task "
                         + "when it has one (JSONL)"),
                  OutputOptions.force, PluginOptions.pluginPath, CommonOptions.seed, CommonOptions.threads, CommonOptions.quiet, CommonOptions.json],
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        try arguments.expectNoPositionals()
        try arguments.configureThreads()
        guard arguments.string("--val") != nil || arguments.string("--test") != nil else {
            throw UsageError(message: "--val FILE or --test FILE is required", usage: arguments.usage)
        }
        let inputs = arguments.strings("--val") + arguments.strings("--test")
        let lossesFile = arguments.string("--losses"), answersFile = arguments.string("--answers")
        if let lossesFile { try OutputOptions.claimFile(lossesFile, inputs: inputs, arguments: arguments) }
        if let answersFile {
            guard arguments.string("--test") != nil, try ModelOptions.exactMatchLimit(arguments) != 0 else {
                throw UsageError(message: "--answers FILE writes the model's answers to the test split: it needs --test FILE, and an "
                                 + "--exact-match-limit other than 0", usage: arguments.usage)
            }
            guard answersFile != lossesFile else { throw UsageError(message: "--answers and --losses name the same file", usage: arguments.usage) }
            try OutputOptions.claimFile(answersFile, inputs: inputs, arguments: arguments)
        }
        let registry = try PluginOptions.load(arguments)
        let model = try ModelOptions.make(arguments, registry: registry, seed: try arguments.seed())
        let formatter = try ModelOptions.formatter(arguments, model: model)
        var result = JSONObject([("model", .string(model.backendID))])
        let validation = try ModelOptions.targetSplit("--val", arguments, formatter: formatter, pool: nil)
        let test = try ModelOptions.targetSplit("--test", arguments, formatter: formatter, pool: nil)
        let match = try arguments.choice("--match", as: AnswerMatch.self), limit = try ModelOptions.exactMatchLimit(arguments)
        let given = try TargetMetrics.measure(model, validation: validation, test: test, match: match, exactMatchLimit: limit,
                                              mode: arguments.outputMode, into: &result)
        if let lossesFile {
            let splits = [("val", validation), ("test", test)].compactMap { name, pool in pool.map { (name, $0) } }
            let lines = try splits.flatMap { try recordLosses(model, pool: $1, split: $0, formatter: formatter) }
            try AtomicFile.write(lines.map { JSONValue.object($0).serialized + "\n" }.joined(), to: lossesFile)
        }
        if let answersFile, let test, let given {
            let references = TargetMetrics.answers(test, limit: limit)
            let lines = given.indices.map { i in
                var line = JSONObject([("id", .string(test.records[i].id)), ("answer", .string(given[i])), ("reference", .string(references[i])),
                                       ("match", .bool(match.matches(given[i], references[i])))])
                if let task = test.records[i].task { line["task"] = .string(task) }  // an MMLU record's subject
                return line
            }
            try AtomicFile.write(lines.map { JSONValue.object($0).serialized + "\n" }.joined(), to: answersFile)
        }
        if arguments.outputMode == .json {
            print(JSONValue.object(result).serialized)
        } else {
            print("evaluated \(arguments.string("--model")!) (\(model.backendID))")
            TargetMetrics.lines(result).forEach { print($0) }
        }
        return ExitCode.success
    }

    /// One object per record of `pool`: the record as chat messages, what the model read (the template's pieces,
    /// their token ids, which ids are answer tokens) and its mean answer loss. `truncated` says the ids are not
    /// the whole text. The messages are the record's own turns (no default system prompt: a chat template adds
    /// its own), an Alpaca input joined to the first instruction by a blank line, as raise's chat templates join it.
    private static func recordLosses(_ model: any LanguageModel, pool: Pool, split: String, formatter: PromptFormatter) throws -> [JSONObject] {
        let losses = try model.exampleLosses(pool.examples)
        let specials = model.tokenizer.specialTokens
        let endText = specials.byText.first { $0.value == specials.eos }?.key ?? ""
        return zip(pool.records, zip(pool.examples, losses)).map { record, scored in
            let (example, loss) = scored
            let pieces = formatter.pieces(record, endOfResponse: endText)
            let pieceTokens = pieces.reduce(0) { $0 + model.tokenizer.encode($1.text).count }
            let bos = specials.bos.map { example.ids.first == $0 && example.ids.count == pieceTokens + 1 } ?? false
            let messages = record.chatTurns.map { JSONValue.object(JSONObject([("role", .string($0.role.rawValue)), ("content", .string($0.content))])) }
            return JSONObject([
                ("split", .string(split)), ("id", .string(record.id)), ("messages", .array(messages)),
                ("pieces", .array(pieces.map { .object(JSONObject([("text", .string($0.text)), ("trained", .bool($0.trained))])) })),
                ("bos", .bool(bos)), ("truncated", .bool(example.ids.count != pieceTokens + (bos ? 1 : 0))),
                ("ids", .array(example.ids.map { .number(Double($0)) })), ("loss_mask", .array(example.lossMask.map { .number(Double($0)) })),
                ("loss", .number(Double(loss))),
            ])
        }
    }
}
