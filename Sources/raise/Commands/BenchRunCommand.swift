// `raise bench run`: selectors side by side on the user's data — one base model, one trainer, the same
// budgets and evaluation for every entry, over several seeds — with the full-data baseline (at the
// learning rate best for it, swept), an optional oracle reference (the pool's own target records: from the
// hidden tags of the embedded suite, or from the target's source file on real data), and RAISE (its
// policies trained on the way). Finished runs are kept, so an interrupted benchmark resumes (with the
// same settings: the folder remembers them); the report files are made from every finished run.
// Settings come from flags or a JSON --config whose keys are the flag names (flags win).
import Foundation
import RaiseKit

/// The benchmark.
enum BenchRunCommand {
    static let defaultSelectors = ["random", "length", "perplexity", "ifd", "nearest", "less", "dsir", "raise", "raise:episodes=0"]

    static let command = Command(
        words: ["bench", "run"],
        summary: "benchmark selectors side by side over seeds and budgets; results.csv, report.md, SVG charts, overlap",
        arguments: "",
        options: [.value("--config", "FILE", "JSON settings, keys named as these flags without dashes (flags win)"),
                  ModelOptions.model] + FeatureOptions.modelOptions + [ModelOptions.data, ModelOptions.format, ModelOptions.filter, ModelOptions.template, ModelOptions.systemPrompt, ModelOptions.fields,
                  ModelOptions.skipInvalid, ModelOptions.maxRecordBytes,
                  .values("--val", "FILE", "target-task validation split (required; never trained on; repeatable: the files make one split)"),
                  .values("--test", "FILE", "target-task test split (greedy exact match reported; repeatable: the files make one split)"),
                  .values("--selector", "SPEC", "an entry (repeatable; default \(defaultSelectors.joined(separator: ", ")))"),
                  .flag("--no-full", "leave out the full-data baseline"),
                  .flag("--oracle", "add the oracle reference (clean target records from the hidden tags; tagged data only)"),
                  .value("--oracle-data", "FILE", "add the oracle reference on real data: the pool's records read from FILE, one of --data (the target's own source)"),
                  .text("--budgets", "LIST", "comma-separated budgets", default: "1%,5%,10%"),
                  .integer("--seeds", "N", "seeds per entry", default: 3, in: 1...1000), .integer("--batch", "N", "examples per step", default: 16, in: 1...65_536),
                  .real("--lr", "X", "peak learning rate for every entry at every budget (default: swept per budget, see --lr-sweep)",
                        default: nil, in: 1e-7...10),
                  .text("--lr-sweep", "LIST", "learning rates tried per budget: on the full-data baseline, and with random selection at each "
                        + "budget (the best on validation is every entry's rate there)", default: "3e-4,1e-3,3e-3"),
                  .choice("--lr-per", "SCOPE", "whose sweep sets a run's rate — the budget's (random selection swept, every entry at its best) "
                          + "or each entry's own (every entry swept at every budget on the first seed)", default: RateScope.budget),
                  .integer("--eval-points", "N", "validation-loss evaluations per run, for the curves", default: 10, in: 1...10_000),
                  ModelOptions.match,
                  ModelOptions.exactMatchLimit,
                  .integer("--episodes", "N", "RAISE policy training episodes (one entry's own: raise:episodes=N; 0 runs the policy as it starts)",
                           default: 20, in: 1...1_000_000),
                  .text("--reward", "SPEC", "RAISE reward plugin", default: "val-loss"),
                  .integer("--reward-every", "N", "steps between RAISE reward evaluations", default: 1, in: 1...1_000_000),
                  .integer("--policy-check", "N", "after training, N more episodes on the held-out half of the validation split decide whether "
                           + "a RAISE policy or its start is used (0: no check; the reward sees the whole split)", default: 0, in: 0...1_000),
                  .integer("--clusters", "C", "RAISE clusters per batch", default: 1, in: 1...4096),
                  .value("--policy-budget", "B", "train each seed's RAISE policy once at this budget (default: one per budget)"),
                  .value("--out", "DIR", "output folder (required)"),
                  .integer("--jobs", "N", "runs at once, sharing the threads (the same results at any N)", default: 1, in: 1...256),
                  PluginOptions.pluginPath, CommonOptions.seed, CommonOptions.threads, CommonOptions.quiet, CommonOptions.json],
        run: run)

    static func run(_ given: ParsedArguments) throws -> Int32 {
        let arguments = try withConfiguration(given)
        try arguments.expectNoPositionals()
        try arguments.configureThreads()
        guard let out = arguments.string("--out"), arguments.string("--val") != nil else {
            throw UsageError(message: "--out DIR and --val FILE are required", usage: arguments.usage)
        }
        try OutputOptions.claimFolder(out, finished: nil, ownFiles: OutputOptions.benchFiles, arguments: arguments)  // a finished benchmark resumes: nothing to redo
        let setup = try Setup(arguments, out: out)
        try setup.settings.claim(out: out)
        try saveArguments(arguments, out: out)
        let benchmark = setup.benchmark
        let progress = ProgressReporter(label: "bench", total: max(benchmark.stepsToRun(), 1), mode: arguments.outputMode)
        let jobs = try arguments.int("--jobs")
        try benchmark.runSweep(jobs: jobs, progress: progress)
        let rates = try benchmark.learningRates()
        let finished = try benchmark.finishedRuns(at: rates)
        let json = arguments.outputMode == .json
        let printing = NSLock()  // runs finishing at once print whole lines
        let results = try benchmark.runAll(at: rates, finished: finished, jobs: jobs, progress: progress) { result in
            guard json else { return }
            var line = result.json
            (line["curve"], line["picks"], line["batches"]) = (nil, nil, nil)
            printing.withLock { print(JSONValue.object(line).serialized) }
        }

        let report = try setup.report(results, rates: rates)
        let files = try report.write(to: out)
        if arguments.outputMode != .json { report.rateCautions.forEach(arguments.console.warning) }
        if arguments.outputMode != .json {
            print(tables(report.markdown))
            print("files:\n" + files.map { "  " + $0 }.joined(separator: "\n"))
        }
        return ExitCode.success
    }

    /// A benchmark as its arguments define it — the base model, the pool, the target splits, the plan and how
    /// each run is made — shared by `bench run` and `bench evaluate` (which rebuilds a finished one's models).
    struct Setup {
        let pool: Pool
        let test: Pool?
        /// What the context cut of the pool and of each target split, each named as the report names it.
        let contextCuts: [(what: String, cuts: ContextCuts)]
        /// The prompt template the records are read in, and the default system prompt if any.
        let promptFormat: (template: PromptTemplate, systemPrompt: String?)
        let target: TargetRecords?
        let plan: BenchPlan
        let budgets: [(String, Int)]
        let settings: BenchSettings
        let work: BenchRunner
        let benchmark: Benchmark

        /// The benchmark of `arguments` in `out`; its test split read with `testFields` when given (`bench
        /// evaluate`'s own mapping for a test file laid out unlike the pool), else with `--fields`.
        init(_ arguments: ParsedArguments, out: String, testFields: [String: String]? = nil) throws {
            let baseSeed = try arguments.seed()
            let seeds = (0..<UInt64(try arguments.int("--seeds"))).map { baseSeed + $0 }
            let batchSize = try arguments.int("--batch")
            let registry = try PluginOptions.load(arguments)
            let model = try ModelOptions.make(arguments, registry: registry, seed: baseSeed)
            let formatter = try ModelOptions.formatter(arguments, model: model)
            promptFormat = (formatter.template, formatter.defaultSystemPrompt)
            pool = try ModelOptions.pool(arguments, formatter: formatter)
            let validation = try ModelOptions.targetSplit("--val", arguments, formatter: formatter, pool: pool)!
            test = try ModelOptions.targetSplit("--test", arguments, formatter: formatter, pool: pool, fields: testFields)
            contextCuts = [("the pool", pool.cuts), ("the validation split, " + ModelOptions.splitFiles("--val", arguments)!, validation.cuts)]
                + (test.map { [("the test split, " + ModelOptions.splitFiles("--test", arguments)!, $0.cuts)] } ?? [])

            target = TargetRecords.of(pool.records, oracleData: try oracleData(arguments))
            let policyBudget: (label: String, steps: Int)?
            (plan, budgets, policyBudget) = try makePlan(arguments, registry: registry, pool: pool, target: target, batchSize: batchSize, seeds: seeds)
            let sweep = try learningRates(arguments)
            let perEntry = try arguments.choice("--lr-per", as: RateScope.self) == .entry
            let runSettings = BenchRunSettings(batchSize: batchSize, target: target, evaluationPoints: try arguments.int("--eval-points"),
                                               match: try arguments.choice("--match", as: AnswerMatch.self),
                                               exactMatchLimit: try ModelOptions.exactMatchLimit(arguments), out: out,
                                               policy: try policyPlan(arguments, budget: policyBudget), outputMode: arguments.outputMode)
            settings = BenchSettings(model: model, pool: pool.examples, validation: validation.examples, test: test?.examples,
                                     featureModels: featureModels(arguments), settings: runSettings, ratePerEntry: perEntry)
            let models = BenchModels(base: { seed in try ModelOptions.make(arguments, registry: registry, seed: seed) },
                                     features: { trained, seed, memory in
                                         try FeatureOptions.pipeline(arguments, registry: registry, trained: trained, formatter: formatter, seed: seed, target: validation, memory: memory)
                                     })
            work = BenchRunner(models: models, registry: registry, pool: pool, validation: validation.examples, test: test, settings: runSettings)
            benchmark = Benchmark(work: work, plan: plan, out: out, sweepRates: sweep.rates, fixedRate: sweep.fixed, ratePerEntry: perEntry)
        }

        /// The report of `results`.
        ///
        /// - Throws: `RaiseError.file` naming a policy's config.json that cannot be read.
        func report(_ results: [BenchResult], rates: BenchLearningRates) throws -> BenchReport {
            BenchReport(results: results, budgets: budgets, fullDataSteps: plan.fullDataSteps, records: pool.records, target: target,
                        match: work.settings.match, exactMatchLimit: work.settings.exactMatchLimit, rates: rates, policyChecks: try BenchReport.policyChecks(out: work.settings.out),
                        contextCuts: contextCuts, promptFormat: promptFormat, environment: environment())
        }
    }

    /// Where a benchmark folder keeps the arguments it was last run with, so that `bench evaluate` can rebuild
    /// its pool and models: `{"directory": the working directory, "arguments": {…}}`, the arguments in the
    /// `--config` format (their paths are relative to that directory, as they were given).
    static func argumentsPath(out: String) -> String { out + "/arguments.json" }

    /// Saves what defines the benchmark — every option but those that only steer this process — and the
    /// thread count it ran with: products split over another number of threads round differently, so a
    /// model is rebuilt bit for bit only with the same count.
    private static func saveArguments(_ arguments: ParsedArguments, out: String) throws {
        let steering: Set = ["--out", "--config", "--quiet", "--json", "--threads", "--jobs", "--help"]
        var object = JSONObject()
        for option in command.options where !steering.contains(option.name) && arguments.declares(option.name) {
            let name = String(option.name.dropFirst(2))
            if option.value == nil {
                if arguments.flag(option.name) { object[name] = .bool(true) }
            } else if option.repeatable {
                let values = arguments.strings(option.name)
                if !values.isEmpty { object[name] = .array(values.map { .string($0) }) }
            } else if let value = arguments.string(option.name) {
                object[name] = .string(value)
            }
        }
        object["threads"] = .string(String(BLAS.threads))
        let saved = JSONObject([("directory", .string(FileManager.default.currentDirectoryPath)), ("arguments", .object(object))])
        try AtomicFile.write(JSONValue.object(saved).serialized + "\n", to: argumentsPath(out: out))
    }

    /// The plan — budgets in steps, entries, seeds — and the budget policies are trained at, if one is given.
    /// Every selector is made once here, so that a missing model or a bad spec stops the benchmark before any run.
    private static func makePlan(_ arguments: ParsedArguments, registry: PluginRegistry, pool: Pool, target: TargetRecords?, batchSize: Int,
                                 seeds: [UInt64]) throws -> (BenchPlan, [(String, Int)], (label: String, steps: Int)?) {
        func steps(_ text: String) throws -> Int {
            try arguments.steps(of: arguments.budget(text: text, option: "--budgets"), option: "--budgets", poolSize: pool.count, batchSize: batchSize,
                                meanTokens: pool.meanTokens)
        }
        let budgets = try (arguments.text("--budgets")).split(separator: ",").map { (String($0), try steps(String($0))) }
        var entries = arguments.flag("--no-full") ? [] : [BenchEntry(kind: .fullData, spec: "full")]
        if arguments.flag("--oracle") || arguments.string("--oracle-data") != nil {
            _ = try OracleReference(records: pool.records, target: target, seed: 0)  // refused before anything runs when it cannot be made
            entries.append(BenchEntry(kind: .oracle, spec: "oracle"))
        }
        let selectors = arguments.strings("--selector").isEmpty ? defaultSelectors : arguments.strings("--selector")
        for spec in selectors {
            let parsed = try PluginSpec(parsing: spec, option: "--selector")
            if !BenchEntry.raiseIDs.contains(parsed.id) {  // RAISE's policy does not exist yet
                let selector = try registry.make(parsed, kind: .selector, seed: seeds[0], as: (any InstructionSelector).self)
                try FeatureOptions.checkModels(for: selector.requiredFeatures, arguments)
            }
            let entry = BenchEntry(kind: .selector, spec: spec)
            // A bad state group, relevance signal or episode count, or episodes beside a given policy, stops the
            // benchmark before any run.
            if entry.trainsPolicy { _ = (try BenchRunner.stateGroups(of: entry), try BenchRunner.relevanceSignal(of: entry)) }
            _ = try entry.policyEpisodes()
            // An entry's runs are kept under its name made file-safe: two entries under one name would take each other's.
            if let twin = entries.first(where: { $0.slug == entry.slug }) {
                let clash = twin.spec == spec ? "is given twice" : "would be kept under the name of --selector \(twin.spec) (\(entry.slug))"
                throw UsageError(message: "--selector \(spec) \(clash): each entry runs once", usage: arguments.usage)
            }
            entries.append(entry)
        }
        let plan = BenchPlan(budgets: budgets, entries: entries, seeds: seeds,
                             fullDataSteps: TrainingBudget.fullDataSteps(poolSize: pool.count, batchSize: batchSize))
        return (plan, budgets, try arguments.string("--policy-budget").map { ($0, try steps($0)) })
    }

    /// `--oracle-data`, checked to be one of the `--data` files.
    private static func oracleData(_ arguments: ParsedArguments) throws -> String? {
        guard let file = arguments.string("--oracle-data") else { return nil }
        guard arguments.strings("--data").contains(file) else {
            throw UsageError(message: "--oracle-data \(file): not one of the --data files (\(arguments.strings("--data").joined(separator: ", ")))",
                             usage: arguments.usage)
        }
        return file
    }

    /// The rates each budget is swept over, and the rate given with `--lr` (which skips the sweep).
    ///
    /// - Throws: `UsageError` for a rate that is not a positive number, or `--lr` beside `--lr-per entry`.
    private static func learningRates(_ arguments: ParsedArguments) throws -> (rates: [Double], fixed: Double?) {
        if arguments.string("--lr") != nil && arguments.string("--lr-per") == RateScope.entry.rawValue {
            throw UsageError(message: "--lr fixes one rate for every entry, --lr-per entry sweeps each entry's own: give one of them", usage: arguments.usage)
        }
        let sweep = try (arguments.text("--lr-sweep")).split(separator: ",").map { text -> Double in
            guard let value = DecimalText.value(of: text), value > 0, value <= 10 else {
                throw UsageError(message: "--lr-sweep '\(text)': expected positive numbers", usage: arguments.usage)
            }
            return value
        }
        return (sweep, arguments.string("--lr") == nil ? nil : try arguments.number("--lr"))
    }

    /// RAISE's policy training from the options.
    private static func policyPlan(_ arguments: ParsedArguments, budget: (label: String, steps: Int)?) throws -> PolicyTrainingPlan {
        PolicyTrainingPlan(episodes: try arguments.int("--episodes"), checkEpisodes: try arguments.policyCheck(), reward: arguments.text("--reward"),
                           rewardEvery: try arguments.int("--reward-every"),
                           clusters: try arguments.int("--clusters"), budget: budget)
    }

    /// A benchmark's runs in its folder: what is left to run, the learning rates, and the runs themselves.
    struct Benchmark {
        let work: BenchRunner
        let plan: BenchPlan
        let out: String
        let sweepRates: [Double]
        let fixedRate: Double?
        /// Whether every entry is swept at every budget (`--lr-per entry`), not only random selection.
        let ratePerEntry: Bool

        /// The sweep's run of a budget at the first seed: full data for the full-data budget, random selection for the others.
        func sweepRun(_ budget: (label: String, steps: Int)) -> BenchRun {
            budget.label == BenchPlan.fullDataLabel
                ? BenchRun(budget: budget.label, steps: budget.steps, entry: BenchEntry(kind: .fullData, spec: "full"), seed: plan.seeds[0])
                : BenchRun(budget: budget.label, steps: budget.steps, entry: BenchEntry(kind: .selector, spec: "random"), seed: plan.seeds[0])
        }

        /// The budgets whose rate is swept: full data (when it runs), each budget, and the budget RAISE's
        /// policies are trained at.
        var sweptBudgets: [(label: String, steps: Int)] {
            var budgets = plan.entries.contains { $0.kind == .fullData } ? [(BenchPlan.fullDataLabel, plan.fullDataSteps)] : []
            for budget in plan.budgets + [work.settings.policy.budget].compactMap({ $0 }) where !budgets.contains(where: { $0.0 == budget.label }) {
                budgets.append(budget)
            }
            return budgets
        }

        /// With `--lr-per entry`, the runs of every entry's own sweep at the first seed: each budget of the plan
        /// with each entry but full data and random selection (whose sweeps are the budgets').
        var entrySweepRuns: [BenchRun] {
            guard ratePerEntry, fixedRate == nil else { return [] }
            let random = BenchEntry(kind: .selector, spec: "random")
            return plan.budgets.flatMap { budget in
                plan.entries.filter { $0.kind != .fullData && $0 != random }
                    .map { BenchRun(budget: budget.label, steps: budget.steps, entry: $0, seed: plan.seeds[0]) }
            }
        }

        /// Every sweep run with its rate: the budgets' first, then the entries' own.
        private var sweepRuns: [(run: BenchRun, lr: Double)] {
            guard fixedRate == nil else { return [] }
            return atEveryRate(sweptBudgets.map(sweepRun) + entrySweepRuns)
        }

        /// Each of `runs` at each rate swept.
        private func atEveryRate(_ runs: [BenchRun]) -> [(run: BenchRun, lr: Double)] {
            runs.flatMap { run in sweepRates.map { (run, $0) } }
        }

        /// Whether `run` is a run a learning-rate sweep already ran: the first seed's run of the entry swept at its
        /// budget, or with `--lr-per entry` of any entry but full data (whose sweep is at its own steps).
        func fromSweep(_ run: BenchRun) -> Bool {
            guard fixedRate == nil, run.seed == plan.seeds[0] else { return false }
            return run.entry == sweepRun((run.budget, run.steps)).entry || ratePerEntry && run.entry.kind != .fullData
        }

        /// The rate a RAISE policy used by `run` trains at: its policy budget's (`--policy-budget`), else `run`'s budget's.
        private func policyRate(for run: BenchRun, rates: BenchLearningRates) -> Double {
            rates.rate(work.settings.policy.budget?.label) ?? rates.rate(run.budget)
        }

        /// Steps still to run, the sweeps' and the policies' included (each policy counted once).
        func stepsToRun() -> Int {
            let pending = plan.runs.filter { !FileManager.default.fileExists(atPath: $0.resultPath(out: out)) && !fromSweep($0) }
                + sweepRuns.filter { !FileManager.default.fileExists(atPath: sweepPath($0.run, lr: $0.lr)) }.map(\.run)
            var policyFolders = Set<String>()  // several runs may share one policy: count its training once
            return pending.reduce(0) { sum, run in
                let trainsNow = run.entry.trainsPolicy && policyFolders.insert(work.policyFolder(for: run).path).inserted
                return sum + run.steps + (trainsNow ? work.policySteps(for: run) : 0)
            }
        }

        /// Runs the learning-rate sweeps' runs still missing (none when `--lr` fixes the rate), `jobs` at a time,
        /// the longest first, each saved as it finishes and reported to `progress`: the budgets' sweeps, then
        /// (`--lr-per entry`) the entries', whose RAISE policies train at the rate the budgets' sweeps chose.
        func runSweep(jobs: Int, progress: ProgressReporter) throws {
            guard fixedRate == nil else { return }
            try checkSweeps()
            try run(atEveryRate(sweptBudgets.map(sweepRun)), rates: nil, jobs: jobs, progress: progress)
            let entryRuns = atEveryRate(entrySweepRuns)
            guard !entryRuns.isEmpty else { return }
            try run(entryRuns, rates: try learningRates(ofEntries: false), jobs: jobs, progress: progress)
        }

        /// Runs the sweep runs of `runs` not yet saved; a RAISE policy trains at `rates`' rate for its budget.
        private func run(_ runs: [(run: BenchRun, lr: Double)], rates: BenchLearningRates?, jobs: Int, progress: ProgressReporter) throws {
            let missing = runs.filter { !FileManager.default.fileExists(atPath: sweepPath($0.run, lr: $0.lr)) }.sorted { $0.run.steps > $1.run.steps }
            try JobQueue.run(missing, jobs: jobs) { [self] sweep in
                let trainingRate = rates.map { policyRate(for: sweep.run, rates: $0) } ?? sweep.lr
                let result = try progress.part { part in
                    try work.execute(sweep.run, lr: sweep.lr, policyRate: trainingRate, progress: part)
                }
                try save(result, to: sweepPath(sweep.run, lr: sweep.lr))
            }
        }

        /// Every run's learning rate: `--lr`, or the best of the finished sweeps on validation — the full-data
        /// baseline's for full data, random selection's for a budget, and with `--lr-per entry` (unless `ofEntries`
        /// is false, before the entries' sweeps have run) each entry's own.
        func learningRates(ofEntries: Bool = true) throws -> BenchLearningRates {
            var rates = BenchLearningRates(fixed: fixedRate)
            guard fixedRate == nil else { return rates }
            func sweep(_ run: BenchRun) throws -> BenchLearningRates.Sweep {
                let points = try sweepRates.map { lr in (lr: lr, loss: try BenchResult(path: sweepPath(run, lr: lr)).validationLoss) }
                return BenchLearningRates.Sweep(budget: run.budget, entry: run.entry.name, points: points)
            }
            rates.sweeps = try sweptBudgets.map { try sweep(sweepRun($0)) }
            rates.entrySweeps = ofEntries ? try entrySweepRuns.map(sweep) : []
            return rates
        }

        /// Where a sweep keeps its run of `run`'s entry and budget at `lr`.
        func sweepPath(_ run: BenchRun, lr: Double) -> String {
            run.entry.kind == .fullData ? "\(out)/runs/lr-sweep/full-lr\(lr).json"
                : "\(out)/runs/lr-sweep/\(BenchPlan.slug(run.budget))-\(run.entry.slug)-lr\(lr).json"
        }

        /// The runs finished earlier, checked to be runs of this benchmark (steps, learning rate, the entry's plugin
        /// settings where the run recorded them) before any new one starts.
        ///
        /// - Throws: `RaiseError.file` naming every finished run that differs (`checked`).
        func finishedRuns(at rates: BenchLearningRates) throws -> [String: BenchResult] {
            try checked(plan.runs.filter { FileManager.default.fileExists(atPath: $0.resultPath(out: out)) }
                .map { (path: $0.resultPath(out: out), run: $0, lr: rates.rate($0.budget, entry: $0.entry.name)) })
        }

        /// The sweeps' runs finished earlier, checked the same way before a sweep reads or adds to them: a rate is
        /// chosen, and a first seed's run taken, from a sweep made under this benchmark's settings only.
        ///
        /// - Throws: `RaiseError.file` naming every finished sweep run that differs.
        func checkSweeps() throws {
            _ = try checked(sweepRuns.map { (path: sweepPath($0.run, lr: $0.lr), run: $0.run, lr: $0.lr) }
                .filter { FileManager.default.fileExists(atPath: $0.path) })
        }

        /// The results saved at `files`, each checked to be `run` at learning rate `lr` (steps, rate, and the entry's
        /// plugin settings where the run recorded them). Every file that differs is named: the first with the
        /// difference, the others after it, so that one reading says which files to remove.
        private func checked(_ files: [(path: String, run: BenchRun, lr: Double)]) throws -> [String: BenchResult] {
            var finished = [String: BenchResult](), stale = [(path: String, detail: String)]()
            for (path, run, lr) in files {
                let result = try BenchResult(path: path)
                if result.steps != run.steps || abs(result.learningRate - lr) > 1e-9 * lr {
                    stale.append((path, "a finished run of \(result.steps) steps at learning rate \(result.learningRate); this benchmark "
                                  + "runs it for \(run.steps) steps at \(lr)"))
                } else if let saved = result.entrySettings, let current = try work.entrySettings(run.entry), saved != current {
                    stale.append((path, "a finished run of \(saved); the entry '\(run.entry.name)' now runs \(current) "
                                  + "(another version of raise or of the plugin)"))
                } else {
                    finished[path] = result
                }
            }
            guard let first = stale.first else { return finished }
            let others = stale.dropFirst().map(\.path)
            let more = others.isEmpty ? "" : "; \(others.count) more finished run\(others.count == 1 ? "" : "s") differ\(others.count == 1 ? "s" : "") "
                + "from this benchmark too: " + others.prefix(20).joined(separator: ", ") + (others.count > 20 ? ", …" : "")
            throw RaiseError.file(path: first.path, detail: first.detail + more + ": use another --out, or "
                                  + (others.isEmpty ? "remove the file to run it again" : "remove the files to run them again"))
        }

        /// Every run of the plan, in plan order. `onResult` hears the runs finished earlier first, then each
        /// missing run as it finishes: those run in plan order, or `jobs` at a time in `schedule`'s, each saved
        /// and reported to `progress`.
        func runAll(at rates: BenchLearningRates, finished: [String: BenchResult], jobs: Int, progress: ProgressReporter,
                    onResult: @escaping @Sendable (BenchResult) -> Void) throws -> [BenchResult] {
            let missing = plan.runs.filter { finished[$0.resultPath(out: out)] == nil }
            for run in plan.runs { if let result = finished[run.resultPath(out: out)] { onResult(result) } }
            try JobQueue.run(jobs > 1 ? schedule(missing) : missing, jobs: jobs) { [self] run in
                let result: BenchResult
                if fromSweep(run) {
                    result = try BenchResult(path: sweepPath(run, lr: rates.rate(run.budget, entry: run.entry.name)))  // a sweep already ran it
                } else {
                    result = try progress.part { part in
                        try work.execute(run, lr: rates.rate(run.budget, entry: run.entry.name), policyRate: policyRate(for: run, rates: rates),
                                         progress: part)
                    }
                }
                try save(result, to: run.resultPath(out: out))
                onResult(result)
            }
            return try plan.runs.map { run in try finished[run.resultPath(out: out)] ?? BenchResult(path: run.resultPath(out: out)) }
        }

        /// The order runs start in when several run at once: first one run per RAISE policy to train (each
        /// trains its policy; a later run that needs a policy still in training would wait for it), then the
        /// longest runs first, seed by seed (the runs of one seed share its features), so the last runs are short.
        func schedule(_ runs: [BenchRun]) -> [BenchRun] {
            var trainers = Set<String>(), training = [BenchRun](), rest = [BenchRun]()
            for run in runs {
                if run.entry.trainsPolicy && work.policySteps(for: run) > 0 && trainers.insert(work.policyFolder(for: run).path).inserted {
                    training.append(run)
                } else {
                    rest.append(run)
                }
            }
            // A stable sort: runs of one length and seed keep plan order.
            let longestFirst = rest.enumerated().sorted { (-$0.element.steps, $0.element.seed, $0.offset) < (-$1.element.steps, $1.element.seed, $1.offset) }
            return training + longestFirst.map(\.element)
        }
    }

    /// The models features are computed with, as the benchmark's settings record them (a model left at its
    /// default is not named, so folders of earlier benchmarks keep their settings).
    private static func featureModels(_ arguments: ParsedArguments) -> [String: String] {
        var models = ["feature model": arguments.string("--aux-model") ?? "the trained model"]
        if let embedding = arguments.string("--embedding-model") { models["embedding model"] = embedding }
        if let gradient = arguments.string("--gradient-model") { models["gradient model"] = gradient }
        if let reference = arguments.string("--reference-model") { models["reference model"] = reference }
        return models
    }

    /// Saves a run's result at `path` (written whole, then renamed into place).
    static func save(_ result: BenchResult, to path: String) throws {
        try Folder.create((path as NSString).deletingLastPathComponent)
        try AtomicFile.write(JSONValue.object(result.json).serialized + "\n", to: path)
    }

    /// The command line over the settings of `--config` (whose keys are flag names without dashes).
    private static func withConfiguration(_ given: ParsedArguments) throws -> ParsedArguments {
        guard let path = given.string("--config") else { return given }
        return try withConfiguration(given, settings: try JSONValue.readObject(path: path), path: path)
    }

    /// `given` over `settings` (keys are flag names without dashes), read from the file at `path`.
    static func withConfiguration(_ given: ParsedArguments, settings object: JSONObject, path: String) throws -> ParsedArguments {
        var words = [String]()
        for key in object.keys {
            let value = object[key]!
            for item in value.arrayValue ?? [value] {
                switch item {
                case .bool(let on): if on { words.append("--" + key) }
                case .string(let text): words += ["--" + key, text]
                case .number(let n): words += ["--" + key, n.rounded() == n && abs(n) < 1e15 ? String(Int(n)) : String(n)]
                default: throw RaiseError.file(path: path, detail: "key '\(key)': expected a string, number, boolean or an array of them")
                }
            }
        }
        do {
            let settings = try ParsedArguments(words, options: command.options, command: given.command, usage: given.usage)
            return given.merging(defaults: settings)
        } catch let error as UsageError {
            throw RaiseError.file(path: path, detail: error.message)
        }
    }

    /// The report's tables, each under its section's heading, for the terminal.
    private static func tables(_ markdown: String) -> String {
        markdown.components(separatedBy: "\n## ").dropFirst().compactMap { section -> String? in
            let lines = section.split(separator: "\n")
            let table = lines.filter { $0.hasPrefix("|") }
            return table.isEmpty ? nil : (["## " + (lines.first ?? "")] + table).joined(separator: "\n")
        }.joined(separator: "\n\n")
    }

    /// Where the numbers were measured.
    static func environment() -> [(String, String)] {
        let cpu = ((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "").split(separator: "\n")
            .first { $0.hasPrefix("model name") }.map { String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces) }
        return [("raise", RaiseKitVersion.string), ("CPU", cpu ?? "unknown"), ("cores", String(ProcessInfo.processInfo.activeProcessorCount)),
                ("threads", String(BLAS.threads)), ("OpenBLAS", BLAS.configuration),
                ("system", ProcessInfo.processInfo.operatingSystemVersionString),
                ("date", ISO8601DateFormatter().string(from: Date()))]
    }
}
