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

    /// The model named by `option` (`--model` by default), created through the plugin registry.
    static func make(_ arguments: ParsedArguments, option: String = "--model", registry: PluginRegistry, seed: UInt64) throws -> any LanguageModel {
        guard let text = arguments.string(option) else { throw UsageError(message: "\(option) SPEC is required", usage: arguments.usage) }
        var isDirectory: ObjCBool = false
        let spec: PluginSpec
        if FileManager.default.fileExists(atPath: text, isDirectory: &isDirectory), isDirectory.boolValue {
            let backend = try Checkpoint.configuration(of: text).backend
            spec = try PluginSpec(parsing: "\(backend):checkpoint=\"\(text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))\"", option: option)
        } else {
            spec = try PluginSpec(parsing: text, option: option)
        }
        return try registry.make(spec, kind: .model, seed: seed, as: (any LanguageModel).self)
    }

    /// The records of every `--data` file, with skipped-record warnings on stderr.
    static func records(_ arguments: ParsedArguments) throws -> [InstructionRecord] {
        let files = arguments.strings("--data")
        guard !files.isEmpty else { throw UsageError(message: "at least one --data FILE is required", usage: arguments.usage) }
        let options = ReadOptions(fields: try arguments.string("--fields").map(ReadOptions.parseFields) ?? [:],
                                  skipInvalid: arguments.flag("--skip-invalid"))
        var records = [InstructionRecord]()
        for file in files {
            let (part, reader) = try InstructionReader.readAll(path: file, options: options)
            if !reader.skipped.isEmpty {
                ExitCode.printError("raise: warning: \(file): skipped \(reader.skipped.count) invalid record(s); first: "
                                    + reader.skipped.prefix(3).map(\.message).joined(separator: "; "))
            }
            records += part
        }
        return records
    }

    /// The prompt formatter of `--template` for `model`.
    static func formatter(_ arguments: ParsedArguments, model: any LanguageModel) throws -> PromptFormatter {
        let name = arguments.string("--template") ?? "alpaca"
        guard let template = PromptTemplate(rawValue: name) else {
            throw UsageError(message: "--template '\(name)': expected alpaca, chatml or plain", usage: arguments.usage)
        }
        return try PromptFormatter(template: template, tokenizer: model.tokenizer, maxLength: model.contextLength + 1)
    }
}
