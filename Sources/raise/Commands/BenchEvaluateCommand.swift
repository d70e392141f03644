// `raise bench evaluate`: a finished benchmark's fine-tuned models measured on another test split, without
// running any selection again. Each run's model is rebuilt from what its result file keeps — the base model,
// the learning rate and the batches in the order they were trained on — and checked to be the same model bit
// for bit (its validation loss equal to the saved one) before it is evaluated. The report goes to a folder of
// its own inside the benchmark; the benchmark's own files are not touched. Each evaluated run is saved as it
// finishes, so an interrupted evaluation resumes — under the same test split and match only (settings.json).
import Foundation
import RaiseKit

/// Re-evaluating a finished benchmark.
enum BenchEvaluateCommand {
    static let command = Command(
        words: ["bench", "evaluate"],
        summary: "measure a finished benchmark's fine-tuned models on another test split (a second report; nothing re-selected)",
        arguments: "",
        options: [.value("--bench", "DIR", "a finished `raise bench run` folder (required)"),
                  .values("--test", "FILE", "the test split to measure every run's model on (required; disjoint from the pool; repeatable: the files make one split)"),
                  .value("--fields", "MAP", "field mapping of the test file's JSON records, e.g. instruction=question,output=answer "
                         + "(default: the benchmark's --fields)"),
                  .choice("--match", "HOW", "how test answers are compared (default: as the benchmark compared them)", default: AnswerMatch.exact),
                  .integer("--exact-match-limit", "N", "greedy exact match on the first N test records only (default: as the benchmark "
                           + "measured it; 0: none) — decoding costs far more than the test loss, which is always over the whole split",
                           default: nil, in: 0...100_000_000),
                  .value("--name", "NAME", "the report's folder, DIR/evaluations/NAME (default: the test file's name; required with several)"),
                  .flag("--force", "evaluate again from the start, replacing the evaluation of that name (without it, an unfinished "
                        + "one resumes and a finished one is reported again)"),
                  .integer("--threads", "N", "threads (default: those the benchmark ran with — more threads than cores cut products "
                           + "differently, and the rebuilt models would not be the runs' own)", default: nil, in: 1...1024),
                  CommonOptions.quiet, CommonOptions.json],
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        try arguments.expectNoPositionals()
        let testsGiven = arguments.strings("--test")
        guard let folderGiven = arguments.string("--bench"), !testsGiven.isEmpty else {
            throw UsageError(message: "--bench DIR and --test FILE are required", usage: arguments.usage)
        }
        let fileName = testsGiven.count == 1 ? URL(fileURLWithPath: testsGiven[0]).deletingPathExtension().lastPathComponent : nil
        guard let name = arguments.string("--name") ?? fileName else {
            throw UsageError(message: "--name NAME is required with several --test files (the evaluation's folder)", usage: arguments.usage)
        }
        // The evaluation is kept in DIR/evaluations/NAME, and --force starts it over there: never anywhere else.
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw UsageError(message: "--name '\(name)': the evaluation's folder name in DIR/evaluations/, without '/' (and not '.' or '..')",
                             usage: arguments.usage)
        }
        // The benchmark's paths are relative to the directory it ran in: work there, with these made absolute.
        let (folder, testPaths) = (absolute(folderGiven), testsGiven.map(absolute))
        let saved = BenchRunCommand.argumentsPath(out: folder)
        guard FileManager.default.fileExists(atPath: saved) else {
            throw RaiseError.file(path: folder, detail: "holds no arguments.json: not a benchmark folder, or one made by an older raise (run `raise bench run` on it again)")
        }
        let record = try JSONValue.readObject(path: saved)
        guard let directory = record["directory"]?.stringValue, let settings = record["arguments"]?.objectValue else {
            throw RaiseError.file(path: saved, detail: "expected {\"directory\": …, \"arguments\": {…}}")
        }
        guard FileManager.default.changeCurrentDirectoryPath(directory) else {
            throw RaiseError.file(path: saved, detail: "the benchmark ran in \(directory), which is gone: its relative paths cannot be read")
        }
        let out = folder + "/evaluations/" + name
        try OutputOptions.claimFolder(folder, finished: nil, ownFiles: OutputOptions.benchFiles, arguments: arguments)  // no bench run writes it meanwhile

        // The benchmark as it was run, its test split replaced (options given here win over the saved ones).
        var words = ["--out", folder] + testPaths.flatMap { ["--test", $0] }
        if let match = arguments.string("--match") { words += ["--match", match] }
        if let limit = arguments.string("--exact-match-limit") { words += ["--exact-match-limit", limit] }
        if let threads = arguments.string("--threads") { words += ["--threads", threads] }
        let empty = try ParsedArguments(words, options: BenchRunCommand.command.options, command: "bench run", usage: arguments.usage)
        let benchArguments = try BenchRunCommand.withConfiguration(empty, settings: settings, path: saved)
        try benchArguments.configureThreads()  // the benchmark's thread count, unless --threads is given
        let setup = try BenchRunCommand.Setup(benchArguments, out: folder, testFields: try ModelOptions.fieldMapping(arguments))
        try checkSameData(setup.settings, folder: folder)
        guard setup.benchmark.stepsToRun() == 0 else {
            throw RaiseError.file(path: folder, detail: "the benchmark is not finished: finish it with `raise bench run` first")
        }
        try setup.benchmark.checkSweeps()
        let rates = try setup.benchmark.learningRates()
        let results = try setup.benchmark.finishedRuns(at: rates)
        let test = setup.test!
        try claimEvaluation(out, settings: evaluationSettings(setup), force: arguments.flag("--force"))

        let progress = ProgressReporter(label: "bench evaluate", total: setup.plan.runs.count, mode: arguments.outputMode)
        var evaluated = [BenchResult]()
        for (i, run) in setup.plan.runs.enumerated() {
            let path = run.resultPath(out: folder), evaluatedPath = run.resultPath(out: out)
            guard var result = results[path] else {
                throw RaiseError.file(path: path, detail: "missing: the benchmark is not finished; finish it with `raise bench run` first")
            }
            // Evaluated before an interruption, from this very run (a run made again since is evaluated again).
            let saved = FileManager.default.fileExists(atPath: evaluatedPath) ? try BenchResult(path: evaluatedPath) : nil
            if let saved, saved.batches == result.batches, saved.validationLoss == result.validationLoss {
                result = saved
            } else {
                let model = try rebuild(result, path: path, setup: setup, seed: run.seed)
                let evaluation = try TargetEvaluation(model: model, examples: test.examples, answers: setup.work.settings.testAnswers(test),
                                                      match: setup.work.settings.match)
                (result.testLoss, result.testExactMatch) = (evaluation.loss, evaluation.exactMatch)
                try BenchRunCommand.save(result, to: evaluatedPath)
            }
            evaluated.append(result)
            progress.update(step: i + 1, metrics: [("test_loss", result.testLoss ?? .nan)])
            if arguments.outputMode == .json {
                print(JSONValue.object(JSONObject([("budget", .string(result.budget)), ("entry", .string(result.entry)), ("seed", .number(Double(result.seed))),
                                                   ("test_loss", result.testLoss.map { .number($0) } ?? .null),
                                                   ("test_exact_match", result.testExactMatch.map { .number($0) } ?? .null)])).serialized)
            }
        }
        try Folder.create(out)
        let files = try setup.report(evaluated, rates: rates).write(to: out)
        if arguments.outputMode != .json {
            print("evaluated \(evaluated.count) fine-tuned models of \(folderGiven) on \(ModelOptions.splitFiles("--test", arguments)!)")
            print("files:\n" + files.map { "  " + $0 }.joined(separator: "\n"))
        }
        return ExitCode.success
    }

    /// `path` from the current directory, when it is relative.
    private static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// What an evaluation's numbers depend on besides the benchmark: the benchmark settings of the test split as
    /// tokenized and of how its answers are matched.
    private static func evaluationSettings(_ setup: BenchRunCommand.Setup) -> RunSettings {
        RunSettings(values: setup.settings.values.filter { ["test split", "test match", "exact match on"].contains($0.key) })
    }

    /// Starts the evaluation folder `out`, or continues it when it was started with the same settings; with
    /// `force`, starts it over (the runs it evaluated before are removed: raise made them).
    ///
    /// - Throws: `RaiseError.file` naming the saved settings and each one that differs.
    private static func claimEvaluation(_ out: String, settings: RunSettings, force: Bool) throws {
        let path = out + "/settings.json"
        if force {
            if FileManager.default.fileExists(atPath: out + "/runs") { try FileManager.default.removeItem(atPath: out + "/runs") }
            try settings.save(path: path)
        } else {
            try settings.claim(path: path, what: "this evaluation was started",
                               hint: "choose another --name, or pass --force to evaluate again from the start")
        }
    }

    /// The model of a finished run: the base model trained on the run's batches in order, at its rate.
    ///
    /// - Throws: `RaiseError.file` naming the result file when it keeps no batches, or when the rebuilt model's
    ///   validation loss is not the saved one (the base model or the data changed).
    private static func rebuild(_ result: BenchResult, path: String, setup: BenchRunCommand.Setup, seed: UInt64) throws -> any LanguageModel {
        guard result.batches.count == result.steps else {
            throw RaiseError.file(path: path, detail: "keeps \(result.batches.count) of its \(result.steps) batches (a run by an older raise): "
                                  + "remove it and run `raise bench run` again to keep them")
        }
        let model = try setup.work.models.base(seed)
        let trainer = BenchRunner.trainer(model, lr: result.learningRate, steps: result.steps)
        for batch in result.batches {
            guard batch.allSatisfy({ setup.pool.examples.indices.contains($0) }) else {
                throw RaiseError.file(path: path, detail: "field 'batches': an index beyond the pool of \(setup.pool.count)")
            }
            try trainer.step(batch.map { setup.pool.examples[$0] })
        }
        let loss = try TargetEvaluation(model: model, examples: setup.work.validation).loss
        guard loss == result.validationLoss else {
            throw RaiseError.file(path: path, detail: "the rebuilt model's validation loss is \(loss), the run's was \(result.validationLoss): "
                                  + "the base model or a data file changed since the benchmark ran, or --threads differs from its thread count")
        }
        return model
    }

    /// Refuses a benchmark whose base model, pool or validation split is not what its settings.json recorded
    /// (its test split may differ: that is the point), or whose steps were cut into passes otherwise.
    private static func checkSameData(_ settings: BenchSettings, folder: String) throws {
        let path = BenchSettings.path(out: folder)
        func data(_ object: JSONObject) -> JSONObject {
            JSONObject(["model and pool", "validation split", "training passes"].compactMap { key in object[key].map { (key, $0) } })
        }
        let differences = RunSettings.differences(saved: data(try JSONValue.readObject(path: path)), current: data(RunSettings(values: settings.values).json))
        guard differences.isEmpty else {
            throw RaiseError.file(path: path, detail: "the data or the training changed since the benchmark ran "
                                  + "(\(differences.joined(separator: "; "))): the models cannot be rebuilt from it")
        }
    }
}
