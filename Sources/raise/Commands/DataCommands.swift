// `raise data synth | stats | split | disjoint`: generate the embedded task suite, describe instruction files,
// cut files into disjoint seeded parts (a target task's validation and test splits, a pool slice, a base
// model's corpus), and check that files share no record.
import Foundation
import RaiseKit

/// The data commands.
enum DataCommands {
    static let synth = Command(
        words: ["data", "synth"],
        summary: "generate the embedded task suite: pool, target val/test splits, clean pretraining corpus",
        arguments: "",
        options: [.value("--out", "DIR", "output folder (required; created if missing)"), OutputOptions.force, CommonOptions.seed,
                  .integer("--size", "N", "pool size", default: 20_000, in: 100...10_000_000),
                  .choice("--preset", "NAME", "the suite's mix (standard: target 15% of the pool, 1/3 noisy; rare-target: 3%, 40% noisy)",
                          default: TaskSuiteConfiguration().preset),
                  .integer("--val-size", "N", "target validation split", default: 200, in: 1...100_000),
                  .integer("--test-size", "N", "target test split", default: 500, in: 1...100_000),
                  .integer("--pretrain-size", "N", "clean pretraining corpus (default: the pool size)", default: nil, in: 0...10_000_000), CommonOptions.json],
        run: runSynth)

    static let stats = Command(
        words: ["data", "stats"],
        summary: "counts, length distribution, duplicates, invalid records and hidden-tag breakdown of data files",
        arguments: "FILE...",
        options: [fileOption, ModelOptions.format, ModelOptions.fields, ModelOptions.filter,
                  .value("--tokenizer", "DIR", "count lengths in tokens of this vocabulary (default: UTF-8 bytes)"), ModelOptions.maxRecordBytes,
                  CommonOptions.json],
        run: runStats)

    static let split = Command(
        words: ["data", "split"],
        summary: "shuffle records (seeded) and cut them into disjoint parts, written as canonical JSONL",
        arguments: "",
        options: [ModelOptions.data, ModelOptions.format, ModelOptions.filter, ModelOptions.fields, ModelOptions.skipInvalid, ModelOptions.maxRecordBytes,
                  .value("--parts", "LIST", "name=N,… in order; one part may be name=rest (required)"),
                  .value("--out", "DIR", "output folder: one NAME.jsonl per part (required)"), OutputOptions.force, CommonOptions.seed, CommonOptions.json],
        run: runSplit)

    static let disjoint = Command(
        words: ["data", "disjoint"],
        summary: "check that files share no record, by id or by content (a base's corpus, a pool, target splits); exit 1 if they do",
        arguments: "FILE...",
        options: [fileOption, ModelOptions.format, ModelOptions.fields, ModelOptions.filter, ModelOptions.maxRecordBytes, CommonOptions.json],
        run: runDisjoint)

    /// `--data FILE` where a command takes its files as arguments: the other commands' way of naming them.
    static let fileOption = Option.values("--data", "FILE", "a file, as a FILE argument is (repeatable; read after the arguments)")

    /// The files of a command taking FILE... arguments: the arguments, then every `--data`.
    static func fileArguments(_ arguments: ParsedArguments) -> [String] { arguments.positionals + arguments.strings("--data") }

    static func runDisjoint(_ arguments: ParsedArguments) throws -> Int32 {
        let files = fileArguments(arguments)
        guard files.count >= 2 else { throw UsageError(message: "give at least two files", usage: arguments.usage) }
        let options = try ModelOptions.readOptions(arguments)
        var byID = [String: InstructionRecord](), byContent = [String: InstructionRecord](), overlaps = [String](), total = 0
        for file in files {
            let records = try InstructionReader.readAll(path: file, options: options).records
            total += records.count
            var seen = Set<String>()  // a file's own duplicates are its business; only what two files share is an overlap
            for record in records {
                let content = ModelOptions.recordContent(record)
                for (twin, how) in [(byID[record.id], "id '\(record.id)'"), (byContent[content], "content")] {
                    guard let twin, twin.source.file != file else { continue }
                    overlaps.append("\(record.source) and \(twin.source): the same \(how)")
                }
                if seen.insert(content).inserted {
                    byID[record.id] = byID[record.id] ?? record
                    byContent[content] = byContent[content] ?? record
                }
            }
        }
        if arguments.outputMode == .json {
            print(JSONValue.object(JSONObject([("files", .number(Double(files.count))), ("records", .number(Double(total))),
                                               ("overlaps", .array(overlaps.map { .string($0) }))])).serialized)
        } else if overlaps.isEmpty {
            print("\(files.count) files, \(total) records: no record in two files (by id or by content)")
        } else {
            overlaps.prefix(20).forEach { arguments.console.write(.error, $0) }
            arguments.console.write(.error, "\(overlaps.count) record(s) shared between files" + (overlaps.count > 20 ? " (the first 20 above)" : ""))
        }
        return overlaps.isEmpty ? ExitCode.success : ExitCode.failure
    }

    static func runSplit(_ arguments: ParsedArguments) throws -> Int32 {
        try arguments.expectNoPositionals()
        guard let out = arguments.string("--out"), let partsText = arguments.string("--parts") else {
            throw UsageError(message: "--parts LIST and --out DIR are required", usage: arguments.usage)
        }
        let files = try ModelOptions.dataFiles(arguments)
        let parts = try splitParts(partsText, usage: arguments.usage)
        try OutputOptions.claimFolder(out, finished: nil, ownFiles: nil, arguments: arguments)
        for part in parts { try OutputOptions.claimFile(out + "/\(part.name).jsonl", inputs: files, arguments: arguments) }
        let options = try ModelOptions.readOptions(arguments)
        var records = [InstructionRecord]()
        for file in files {
            let (part, reader) = try InstructionReader.readAll(path: file, options: options)
            ModelOptions.readingWarnings(file, reader: reader, kept: part.count, options: options).forEach(arguments.console.warning)
            records += part
        }
        guard !records.isEmpty else { throw RaiseError.invalidArgument(name: "--data", detail: "the data is empty: no valid record to split") }
        let fixed = parts.compactMap(\.count).reduce(0, +)
        guard fixed <= records.count else {
            throw RaiseError.invalidArgument(name: "--parts", detail: "the parts ask for \(fixed) records, the data has \(records.count)")
        }
        var rng = RandomGenerator(seed: try arguments.seed())
        rng.shuffle(&records)
        var start = 0, written = [(String, Int)]()
        for part in parts {
            let count = part.count ?? records.count - fixed
            try RecordWriter.writeCanonical(Array(records[start..<start + count]), to: "\(out)/\(part.name).jsonl")
            written.append((part.name, count))
            start += count
        }
        if arguments.outputMode == .json {
            print(JSONValue.object(JSONObject(written.map { ($0.0, .number(Double($0.1))) })).serialized)
        } else {
            print("\(records.count) records -> \(out): " + written.map { "\($0.0).jsonl \($0.1)" }.joined(separator: ", "))
        }
        return ExitCode.success
    }

    /// Parses `--parts name=N,…,name=rest`: names of letters, digits, '-' and '_', counts ≥ 1 (whose sum
    /// is an Int), at most one `rest`, no name twice.
    ///
    /// - Throws: `UsageError` naming the malformed item.
    static func splitParts(_ text: String, usage: String) throws -> [(name: String, count: Int?)] {
        var parts = [(name: String, count: Int?)]()
        for item in text.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, !pair[0].isEmpty, pair[0].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }),
                  pair[1] == "rest" || Int(pair[1]).map({ $0 >= 1 }) == true else {
                throw UsageError(message: "--parts '\(item)': expected NAME=N (N ≥ 1) or NAME=rest", usage: usage)
            }
            parts.append((pair[0], pair[1] == "rest" ? nil : Int(pair[1])!))
        }
        guard parts.filter({ $0.count == nil }).count <= 1, Set(parts.map(\.name)).count == parts.count else {
            throw UsageError(message: "--parts: at most one part may be 'rest', and names must differ", usage: usage)
        }
        var total = 0
        for count in parts.compactMap(\.count) {
            let (sum, overflow) = total.addingReportingOverflow(count)
            guard !overflow else { throw UsageError(message: "--parts: the counts add up to more than \(Int.max)", usage: usage) }
            total = sum
        }
        return parts
    }

    static func runSynth(_ arguments: ParsedArguments) throws -> Int32 {
        try arguments.expectNoPositionals()
        guard let out = arguments.string("--out") else { throw UsageError(message: "--out DIR is required", usage: arguments.usage) }
        var configuration = TaskSuiteConfiguration()
        configuration.seed = try arguments.seed()
        configuration.poolSize = try arguments.int("--size")
        configuration.validationSize = try arguments.int("--val-size")
        configuration.testSize = try arguments.int("--test-size")
        configuration.pretrainSize = try arguments.int("--pretrain-size", default: configuration.poolSize)
        configuration.preset = try arguments.choice("--preset", as: TaskSuitePreset.self)
        try OutputOptions.claimFolder(out, finished: "pool.jsonl", ownFiles: OutputOptions.suiteFiles, arguments: arguments)
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
        let files = fileArguments(arguments)
        guard !files.isEmpty else { throw UsageError(message: "at least one FILE is required", usage: arguments.usage) }
        var options = try ModelOptions.readOptions(arguments)
        options.skipInvalid = true  // stats counts invalid records
        let tokenizer = try arguments.string("--tokenizer").map { try BytePairTokenizer(directory: $0) }
        for path in files {
            let stats = try DataStatistics(path: path, options: options, tokenizer: tokenizer)
            print(arguments.outputMode == .json ? JSONValue.object(stats.json).serialized : stats.report)
        }
        return ExitCode.success
    }
}
