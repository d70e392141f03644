// ModelOptions: `--model`, which names a model backend with its parameters (`tinygpt:layers=4,…`) or a
// model folder whose config.json names its backend; and the data options of training commands.
import Foundation
import RaiseKit

/// Making models and reading training data from the command line.
enum ModelOptions {
    static let model = Option.value("--model", "SPEC", "a backend with parameters (tinygpt:layers=4,d=128,tokenizer=DIR) or a model folder")
    static let data = Option.values("--data", "FILE", "instruction or text file (repeatable)")
    static let template = Option.choice("--template", "NAME", "prompt template (default: the one a raise model folder was trained "
                                        + "with, else the one that writes the model's own chat template, else alpaca)",
                                        default: PromptTemplate?.none)
    static let systemPrompt = Option.value("--system-prompt", "TEXT", "the system turn given to a chat that has none (default: the one "
                                           + "the model's own chat template writes, or a raise folder was trained with; \"\": none)")
    static let skipInvalid = Option.flag("--skip-invalid", "skip invalid records (reporting how many and where) instead of stopping")
    static let format = Option.value("--format", "NAME", "alpaca, jsonl, sharegpt, messages, csv (rows under a header), mmlu, text or parquet (default: detected)")
    static let filter = Option.values("--where", "FIELD=VALUE", "keep records whose field has this value (repeatable)")
    static let fields = Option.value("--fields", "MAP", "field mapping for JSON records and CSV columns, e.g. instruction=question,output=answer (every "
                                     + "file read: pool and target splits; a record without the mapped field is read by the usual name)")
    /// `--match`: how the model's test answers are found and compared with the references.
    static let match = Option.choice("--match", "HOW", "how test answers are compared (final-answer: after '####' / the last number; "
                                     + "choice: the option letter A–J an answer gives; choice-likelihood: the letter the model finds likeliest "
                                     + "after the prompt of those the prompt offers, nothing generated)", default: AnswerMatch.exact)
    /// `--exact-match-limit`: how many of the test split's records greedy exact match decodes.
    static let exactMatchLimit = Option.integer("--exact-match-limit", "N", "greedy exact match on the first N test records only (default: all; "
                                                + "0: none) — decoding costs far more than the test loss, which is always over the whole split",
                                                default: nil, in: 0...100_000_000)
    static let maxRecordBytes = Option.integer("--max-record-bytes", "N", "the longest record (line, object, document) read, in bytes",
                                               default: ReadOptions.defaultMaxRecordBytes, in: 1024...(1 << 40))

    /// The read options of the data options given (`--fields`, `--skip-invalid`, `--max-record-bytes`, and
    /// for commands that take them `--format` and `--where`).
    static func readOptions(_ arguments: ParsedArguments) throws -> ReadOptions {
        ReadOptions(format: arguments.string("--format"), fields: try fieldMapping(arguments) ?? [:],
                    filters: try arguments.strings("--where").map(ReadOptions.parseFilter), skipInvalid: arguments.declares("--skip-invalid") && arguments.flag("--skip-invalid"),
                    maxRecordBytes: try arguments.int("--max-record-bytes"))
    }

    /// The mapping `--fields` gives (canonical field → the file's field), or nil when it is absent.
    ///
    /// - Throws: `RaiseError.invalidArgument` naming `--fields` when the mapping is malformed.
    static func fieldMapping(_ arguments: ParsedArguments) throws -> [String: String]? {
        try arguments.string("--fields").map(ReadOptions.parseFields)
    }

    /// The model named by `option` (`--model` by default), created through the plugin registry.
    static func make(_ arguments: ParsedArguments, option: String = "--model", registry: PluginRegistry, seed: UInt64) throws -> any LanguageModel {
        guard let text = arguments.string(option) else { throw UsageError(message: "\(option) SPEC is required", usage: arguments.usage) }
        let spec: PluginSpec
        if isDirectory(text) {
            let backend = try Checkpoint.configuration(of: text).backend
            spec = try PluginSpec(parsing: "\(backend):checkpoint=" + PluginSpec.quoted(text), option: option)
        } else if !text.contains(":"), text.contains("/") || text.hasPrefix(".") {  // meant as a path
            let what = FileManager.default.fileExists(atPath: text)
                ? "is a file, not a model folder (a GGUF or safetensors file is given to its backend: llama:path=FILE)"
                : "no such model folder"
            throw RaiseError.invalidArgument(name: option, detail: "\(text): \(what)")
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
        let files = try dataFiles(arguments)
        let options = try readOptions(arguments)
        var (count, skipped) = (0, [SkippedRecord]())
        for file in files {
            let reader = try InstructionReader(path: file, options: options)
            var kept = 0
            try reader.forEach { record in
                kept += 1
                try body(record)
            }
            count += kept
            skipped += reader.skipped
            if warn { readingWarnings(file, reader: reader, kept: kept, options: options).forEach(arguments.console.warning) }
        }
        guard count > 0 else {  // an empty result is never written in place of one
            let why = skipped.first.map { ": \(skipped.count) invalid record(s) skipped; the first: \($0.message)" } ?? ""
            throw RaiseError.invalidArgument(name: "--data", detail: "the pool is empty" + why)
        }
    }

    /// What reading `file` left out: the invalid records `--skip-invalid` skipped, and the records `--where` did
    /// not keep — all of them, when the filter does not fit the file (a file of another layout in the pool).
    static func readingWarnings(_ file: String, reader: InstructionReader, kept: Int, options: ReadOptions) -> [String] {
        var warnings = [String]()
        if !reader.skipped.isEmpty {
            warnings.append("\(file): skipped \(reader.skipped.count) invalid record(s); first: " + reader.skipped.prefix(3).map(\.message).joined(separator: "; "))
        }
        if reader.filteredOut > 0 {
            let filter = options.filters.map { "--where \($0.field)=\($0.value)" }.joined(separator: " ")
            warnings.append(kept == 0 ? "\(file): \(filter) left out all \(reader.filteredOut) of its record(s): the file adds none"
                                      : "\(file): \(filter) left out \(reader.filteredOut) of its \(reader.filteredOut + kept) record(s)")
        }
        return warnings
    }

    /// The `--data` files: at least one, none given twice (the same file twice would double the pool).
    ///
    /// - Throws: `UsageError` when none is given or one is given twice (by another path, too).
    static func dataFiles(_ arguments: ParsedArguments) throws -> [String] {
        let files = try distinctFiles("--data", arguments)
        guard !files.isEmpty else { throw UsageError(message: "at least one --data FILE is required", usage: arguments.usage) }
        return files
    }

    /// The files of a repeatable option (`--data`, `--val`, `--test`), none given twice.
    ///
    /// - Throws: `UsageError` naming a file given twice (by another path, too): it would count its records twice.
    static func distinctFiles(_ option: String, _ arguments: ParsedArguments) throws -> [String] {
        let files = arguments.strings(option)
        var seen = [String: String]()  // device and inode → the path first given
        for file in files {
            var info = stat()
            let key = stat(file, &info) == 0 ? "\(info.st_dev):\(info.st_ino)" : file
            if let first = seen[key] {
                throw UsageError(message: "\(option) \(file) is given twice\(first == file ? "" : " (as \(first))"): each file is read once", usage: arguments.usage)
            }
            seen[key] = file
        }
        return files
    }

    /// How records are formatted for a model: the prompt template, the system prompt given to a chat that has
    /// none, the Jinja chat template that writes the same — the model's own when it does, else raise's (a
    /// fine-tuned model saved for transformers carries it) —, and what to tell the user about the choice.
    struct PromptChoice {
        var template: PromptTemplate
        var systemPrompt: String?
        var chatTemplate: ModelChatTemplate?
        var notes = [String]()
        var warnings = [String]()
    }

    /// The prompt format for `model`: `--template` when given (with the system prompt a raise model folder was
    /// trained with, when it names that folder's template); else the template and system prompt a raise model folder
    /// was trained with; else the raise template that writes what the model's own chat template writes (a GGUF's
    /// tokenizer.chat_template, an HF folder's), with the system prompt it gives a chat that has none — or alpaca,
    /// with a warning, when raise does not know that template or the tokenizer lacks its markers; else alpaca.
    /// `--system-prompt` replaces the system prompt ("" removes it).
    static func promptChoice(_ arguments: ParsedArguments, model: any LanguageModel) throws -> PromptChoice {
        let (folder, gguf) = modelFiles(arguments)
        let saved = folder.map(Checkpoint.savedPromptFormat)
        let chat = try folder.flatMap(ModelChatTemplate.read(folder:)) ?? gguf.flatMap(ModelChatTemplate.read(gguf:))
        var choice: PromptChoice
        if arguments.string("--template") != nil {
            let given = try arguments.choice("--template", as: PromptTemplate.self)
            choice = PromptChoice(template: given, systemPrompt: saved?.template == given ? saved?.systemPrompt : nil)
            if let savedTemplate = saved?.template, savedTemplate != given {
                choice.warnings.append("--template \(given.rawValue): the model in \(folder!) was trained with the \(savedTemplate.rawValue) template")
            }
        } else if let savedTemplate = saved?.template {
            choice = PromptChoice(template: savedTemplate, systemPrompt: saved?.systemPrompt)
        } else if let chat {
            choice = fromChatTemplate(chat, tokenizer: model.tokenizer)
        } else {
            choice = PromptChoice(template: .alpaca)
        }
        if let given = arguments.string("--system-prompt") { choice.systemPrompt = given.isEmpty ? nil : given }
        if let chat, chat.promptTemplate == choice.template, chat.defaultSystemPrompt == choice.systemPrompt {
            choice.chatTemplate = chat
        } else if let source = choice.template.chatTemplate(defaultSystemPrompt: choice.systemPrompt) {
            choice.chatTemplate = ModelChatTemplate(source: source, origin: "raise's \(choice.template.rawValue) template")
        }
        return choice
    }

    /// The prompt format that writes `chat` as raise knows it, and what to say about it.
    private static func fromChatTemplate(_ chat: ModelChatTemplate, tokenizer: any Tokenizer) -> PromptChoice {
        guard let template = chat.promptTemplate else {
            return PromptChoice(template: .alpaca, warnings: ["\(chat.origin) is a chat template raise does not know (it writes "
                                                              + "\(PromptTemplate.allCases.map(\.rawValue).joined(separator: ", ")) only): "
                                                              + "records are formatted with the alpaca template; --template names another"])
        }
        if let marker = template.missingMarker(in: tokenizer) {
            return PromptChoice(template: .alpaca, warnings: ["\(chat.origin) writes \(template.rawValue) chats, but the model's tokenizer has "
                                                              + "no \(marker) special token: records are formatted with the alpaca template"])
        }
        var choice = PromptChoice(template: template, systemPrompt: chat.defaultSystemPrompt)
        let prompt = choice.systemPrompt.map { ", a chat without a system turn opening with its system prompt \"\($0)\"" } ?? ""
        choice.notes.append("records are formatted as the model's chat template (\(chat.origin)) writes them: the \(template.rawValue) "
                            + "template\(prompt) (--template and --system-prompt choose otherwise)")
        if let part = chat.unrenderedPart { choice.warnings.append("\(chat.origin): raise's \(template.rawValue) template leaves out \(part)") }
        return choice
    }

    /// The files `--model` names: a model folder — `--model DIR`, or the folder given to its backend as `path=` or
    /// `checkpoint=` — or a GGUF file given as `path=`.
    private static func modelFiles(_ arguments: ParsedArguments) -> (folder: String?, gguf: String?) {
        guard let text = arguments.string("--model") else { return (nil, nil) }
        if isDirectory(text) { return (text, nil) }
        let spec = try? PluginSpec(parsing: text, option: "--model")  // a malformed spec is refused when the model is made
        if let folder = (spec?.setting("path") ?? spec?.setting("checkpoint")).flatMap({ isDirectory($0) ? $0 : nil }) { return (folder, nil) }
        guard let path = spec?.setting("path"), FileHandle(forReadingAtPath: path)?.readData(ofLength: 4) == Data("GGUF".utf8) else {
            return (nil, nil)
        }
        return (nil, path)
    }

    /// Whether `path` is a folder (or a link to one).
    private static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// The prompt formatter of the prompt format (see `promptChoice`) for `model`, saying once how it was chosen
    /// when it was not given.
    static func formatter(_ arguments: ParsedArguments, model: any LanguageModel) throws -> PromptFormatter {
        try formatter(for: promptChoice(arguments, model: model), arguments, model: model)
    }

    /// The prompt formatter of `choice` for `model`, saying how it was chosen when it was not given.
    static func formatter(for choice: PromptChoice, _ arguments: ParsedArguments, model: any LanguageModel) throws -> PromptFormatter {
        for note in choice.notes { arguments.console.info(note) }
        for warning in choice.warnings { arguments.console.warning(warning) }
        return try PromptFormatter(template: choice.template, tokenizer: model.tokenizer, maxLength: model.contextLength + 1,
                                   defaultSystemPrompt: choice.systemPrompt)
    }

    /// The records and examples of the pool (`--data`): records without a response token left in the
    /// context are dropped with a warning, and those cut to fit it are counted in another.
    static func pool(_ arguments: ParsedArguments, formatter: PromptFormatter) throws -> Pool {
        let records = try ModelOptions.records(arguments)
        let pool = Pool(formatting: records, with: formatter)
        guard !pool.isEmpty else { throw RaiseError.invalidArgument(name: "--data", detail: "no pool record has a response token") }
        if pool.records.count < records.count {
            arguments.console.warning("\(records.count - pool.records.count) pool record(s) without response tokens in the context skipped")
        }
        if let warning = pool.cuts.warning("--data (the pool)") { arguments.console.warning(warning) }
        return pool
    }

    /// The value of `--exact-match-limit` (nil when not given: every record).
    static func exactMatchLimit(_ arguments: ParsedArguments) throws -> Int? {
        arguments.string(exactMatchLimit.name) == nil ? nil : try arguments.int(exactMatchLimit.name)
    }

    /// The target split named by `option` (`--val`, `--test`): the records and examples of its files, one after
    /// another, formatted like the pool, with a warning for each file the context cut; nil when the option is
    /// absent. Each file is read with `--fields` (or `fields` when given) and `--max-record-bytes`, its format
    /// detected; every record must be valid. With the `pool` of a command that trains on or selects from it,
    /// the split is checked to share no record with it. A test split's references are checked against `--match`
    /// (`checkReferences`).
    ///
    /// - Throws: `UsageError` for a file given twice, or a test split `--match` cannot read; `RaiseError.file`
    ///   naming a file with no record that has a response; `RaiseError.invalidArgument` when a record is in the pool.
    static func targetSplit(_ option: String, _ arguments: ParsedArguments, formatter: PromptFormatter, pool: Pool?,
                            fields: [String: String]? = nil) throws -> Pool? {
        let paths = try distinctFiles(option, arguments)
        guard !paths.isEmpty else { return nil }
        let options = ReadOptions(fields: try fields ?? fieldMapping(arguments) ?? [:],
                                  maxRecordBytes: try arguments.int("--max-record-bytes"))
        let split = Pool(joining: try paths.map { path in
            let part = Pool(formatting: try InstructionReader.readAll(path: path, options: options).records, with: formatter)
            guard !part.isEmpty else { throw RaiseError.file(path: path, detail: "no example with a response") }
            if let warning = part.cuts.warning("\(option) \(path)") { arguments.console.warning(warning) }
            return part
        })
        if let pool { try checkDisjoint(pool: pool, split: split, option: option) }
        if option == "--test" { try checkReferences(split, tokenizer: formatter.tokenizer, arguments) }
        return split
    }

    /// Checks that the references exact match is measured on give what `--match` compares (an option letter, a
    /// final answer) and, by likelihood, a letter their prompt offers (`AnswerMatch.canMatch`): none does — nothing
    /// could ever match — is a usage error; some do not, a warning naming the first, since those records count as misses.
    static func checkReferences(_ test: Pool, tokenizer: any Tokenizer, _ arguments: ParsedArguments) throws {
        let match = try arguments.choice("--match", as: AnswerMatch.self)
        let limit = arguments.declares("--exact-match-limit") ? try exactMatchLimit(arguments) : nil  // a command without it measures all
        let measured = TargetMetrics.measuredRecords(test, limit: limit)
        let prompts = GreedyAnswers.promptTexts(tokenizer, examples: Array(test.examples.prefix(measured.count)))
        let unmatchable = measured.indices.filter { !match.canMatch(reference: measured[$0].output, prompt: prompts[$0]) }
        guard let first = unmatchable.first else { return }
        let what = switch match {
        case .finalAnswer: "give no final answer (after '####', else a number)"
        case .choiceLikelihood: "give no option letter their prompt offers (options labelled at the start of a line — `A.`, `A)`, `A:`, "
                                + "`(A)` — or two or more as `(A)` within one; A–D where fewer than two are)"
        case .choice, .exact: "give no option letter A–J"  // every reference reads as exact
        }
        var example = "\(measured[first].source): \"\(measured[first].output.prefix(40))\""
        if match == .choiceLikelihood && match.reads(reference: measured[first].output) {  // a letter, but not one offered
            let offered = ChoiceAnswers.offeredLetters(by: prompts[first])
            example += ", its prompt offering \(offered.first!)–\(offered.last!)"
        }
        let given = "--match \(match.rawValue): \(unmatchable.count) of \(measured.count) test references \(what)"
        guard unmatchable.count < measured.count else {
            throw UsageError(message: "\(given), so no answer could match (the first: \(example)); choose the --match its answers are written for",
                             usage: arguments.usage)
        }
        arguments.console.warning("\(given) and count as misses (the first: \(example))")
    }

    /// The files of the target split named by `option`, as a report names them: the path, or the paths one after
    /// another; nil when the option is absent.
    static func splitFiles(_ option: String, _ arguments: ParsedArguments) -> String? {
        let paths = arguments.strings(option)
        return paths.isEmpty ? nil : paths.joined(separator: ", ")
    }

    /// What makes two records the same record: their turns and input, with runs of white space made one
    /// space and the ends trimmed — whatever their ids, files and field names.
    static func recordContent(_ record: InstructionRecord) -> String {
        func normalised(_ text: String) -> String { text.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        return (record.turns.map { $0.role.rawValue + ":" + normalised($0.content) } + ["input:" + normalised(record.input)]).joined(separator: "\u{1}")
    }

    /// Checks that no record of a target split is in the pool: the validation split must never be trained
    /// on. Records are compared by content — their turns and input, with runs of white space made one space
    /// and the ends trimmed — whatever their ids (files number their records alike; a copy may be renamed).
    ///
    /// - Throws: `RaiseError.invalidArgument` naming both records' files, lines and ids.
    static func checkDisjoint(pool: Pool, split: Pool, option: String) throws {
        let content = recordContent
        var byContent = [String: InstructionRecord]()
        for record in pool.records { byContent[content(record)] = byContent[content(record)] ?? record }
        for record in split.records {
            if let twin = byContent[content(record)] {
                throw RaiseError.invalidArgument(name: option, detail: "\(record.source): record '\(record.id)' is also in the pool (\(twin.source), "
                                                 + "'\(twin.id)'); a target split must not be trained on")
            }
        }
    }
}
