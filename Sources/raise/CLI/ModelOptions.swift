// ModelOptions: `--model`, which names a model backend with its parameters (`tinygpt:layers=4,…`) or a
// model folder whose config.json names its backend; and the data options of training commands.
import Foundation
import RaiseKit

/// Making models and reading training data from the command line.
enum ModelOptions {
    static let model = Option.value("--model", "SPEC", "a backend with parameters (tinygpt:layers=4,d=128,tokenizer=DIR) or a model folder")
    static let data = Option.value("--data", "FILE", "instruction or text file (repeatable)")
    static let template = Option.value("--template", "NAME", "prompt template: alpaca (default), chatml or plain")
    static let skipInvalid = Option.flag("--skip-invalid", "skip invalid records (reporting how many and where) instead of stopping")
    static let fields = Option.value("--fields", "MAP", "field mapping for JSON records, e.g. instruction=question,output=answer")
    static let maxRecordBytes = Option.value("--max-record-bytes", "N", "the longest record (line, object, document) read, in bytes (default 64 MiB)")

    /// The read options of the data options given (`--fields`, `--skip-invalid`, `--max-record-bytes`, and
    /// for commands that take them `--format` and `--where`).
    static func readOptions(_ arguments: ParsedArguments) throws -> ReadOptions {
        ReadOptions(format: arguments.string("--format"), fields: try arguments.string("--fields").map(ReadOptions.parseFields) ?? [:],
                    filters: try arguments.strings("--where").map(ReadOptions.parseFilter), skipInvalid: arguments.flag("--skip-invalid"),
                    maxRecordBytes: try arguments.int("--max-record-bytes", default: ReadOptions.defaultMaxRecordBytes, in: 1024...(1 << 40)))
    }

    /// The model named by `option` (`--model` by default), created through the plugin registry.
    static func make(_ arguments: ParsedArguments, option: String = "--model", registry: PluginRegistry, seed: UInt64) throws -> any LanguageModel {
        guard let text = arguments.string(option) else { throw UsageError(message: "\(option) SPEC is required", usage: arguments.usage) }
        var isDirectory: ObjCBool = false
        let spec: PluginSpec
        if FileManager.default.fileExists(atPath: text, isDirectory: &isDirectory), isDirectory.boolValue {
            let backend = try Checkpoint.configuration(of: text).backend
            spec = try PluginSpec(parsing: "\(backend):checkpoint=" + PluginSpec.quoted(text), option: option)
        } else {
            spec = try PluginSpec(parsing: text, option: option)
        }
        return try registry.make(spec, kind: .model, seed: seed, as: (any LanguageModel).self)
    }

    /// The records of every `--data` file, with skipped-record warnings on stderr.
    static func records(_ arguments: ParsedArguments) throws -> [InstructionRecord] {
        var records = [InstructionRecord]()
        try forEachRecord(arguments) { records.append($0) }
        return records
    }

    /// Streams the records of every `--data` file in order, one at a time, warning on stderr about the
    /// invalid records each file skipped (unless `warn` is false: a second pass over the same files).
    ///
    /// - Throws: `RaiseError.invalidArgument` when no valid record was read ("the pool is empty", with the
    ///   count of invalid records and the first reason).
    static func forEachRecord(_ arguments: ParsedArguments, warn: Bool = true, _ body: (InstructionRecord) throws -> Void) throws {
        let files = arguments.strings("--data")
        guard !files.isEmpty else { throw UsageError(message: "at least one --data FILE is required", usage: arguments.usage) }
        let options = try readOptions(arguments)
        var (count, skipped) = (0, [SkippedRecord]())
        for file in files {
            let reader = try InstructionReader(path: file, options: options)
            try reader.forEach { record in
                count += 1
                try body(record)
            }
            skipped += reader.skipped
            if warn && !reader.skipped.isEmpty {
                ExitCode.printError("raise: warning: \(file): skipped \(reader.skipped.count) invalid record(s); first: "
                                    + reader.skipped.prefix(3).map(\.message).joined(separator: "; "))
            }
        }
        guard count > 0 else {  // an empty result is never written in place of one
            let why = skipped.first.map { ": \(skipped.count) invalid record(s) skipped; the first: \($0.message)" } ?? ""
            throw RaiseError.invalidArgument(name: "--data", detail: "the pool is empty" + why)
        }
    }

    /// The prompt formatter of `--template` for `model`.
    static func formatter(_ arguments: ParsedArguments, model: any LanguageModel) throws -> PromptFormatter {
        let template = try arguments.choice("--template", as: PromptTemplate.self) ?? .alpaca
        return try PromptFormatter(template: template, tokenizer: model.tokenizer, maxLength: model.contextLength + 1)
    }

    /// The records and examples of the pool (`--data`): records without a response token left in the
    /// context are dropped with a warning.
    static func pool(_ arguments: ParsedArguments, formatter: PromptFormatter) throws -> (records: [InstructionRecord], examples: [TokenizedExample]) {
        let records = try ModelOptions.records(arguments)
        let pool = formatter.pairs(records)
        guard !pool.examples.isEmpty else { throw RaiseError.invalidArgument(name: "--data", detail: "no pool record has a response token") }
        if pool.records.count < records.count {
            ExitCode.printError("raise: warning: \(records.count - pool.records.count) pool record(s) without response tokens in the context skipped")
        }
        return pool
    }

    /// A target split (`--val`, `--test`): its records and examples, or nil when `path` is nil.
    ///
    /// - Throws: `RaiseError.file` when no record of the file has a response.
    static func targetSplit(_ path: String?, formatter: PromptFormatter) throws -> (records: [InstructionRecord], examples: [TokenizedExample])? {
        guard let path else { return nil }
        let split = formatter.pairs(try InstructionReader.readAll(path: path).records)
        guard !split.examples.isEmpty else { throw RaiseError.file(path: path, detail: "no example with a response") }
        return split
    }

    /// Checks that no record of a target split is in the pool, by id or by content: the validation
    /// split must never be trained on.
    ///
    /// - Throws: `RaiseError.invalidArgument` naming both records' files and lines.
    static func checkDisjoint(pool: [InstructionRecord], split: [InstructionRecord], option: String) throws {
        func content(_ r: InstructionRecord) -> String { r.turns.map { $0.role.rawValue + ":" + $0.content }.joined(separator: "\u{1}") + "\u{1}" + r.input }
        var byID = [String: InstructionRecord](), byContent = [String: InstructionRecord]()
        for record in pool {
            byID[record.id] = byID[record.id] ?? record
            byContent[content(record)] = byContent[content(record)] ?? record
        }
        for record in split {
            if let twin = byID[record.id] ?? byContent[content(record)] {
                throw RaiseError.invalidArgument(name: option, detail: "\(record.source): record '\(record.id)' is also in the pool (\(twin.source), "
                                                 + "'\(twin.id)'); a target split must not be trained on")
            }
        }
    }
}
