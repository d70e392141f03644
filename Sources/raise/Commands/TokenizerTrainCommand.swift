// `raise tokenizer train`: learns a byte-level BPE vocabulary from instruction or text files and saves
// it as encoder.json + vocab.bpe (GPT-2's format, readable by other tools).
import Foundation
import RaiseKit

/// Vocabulary training.
enum TokenizerTrainCommand {
    static let command = Command(
        words: ["tokenizer", "train"],
        summary: "train a byte-level BPE vocabulary from data files (saved as encoder.json + vocab.bpe)",
        arguments: "",
        options: [.integer("--vocab", "N", "vocabulary size, 256 bytes + merges + 4 special tokens (required)", default: nil, in: 260...1_000_000),
                  .values("--data", "FILE", "instruction or text file to learn from (repeatable; required)"),
                  .value("--out", "DIR", "where to write encoder.json and vocab.bpe (required)"), OutputOptions.force,
                  CommonOptions.quiet, CommonOptions.json],
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        try arguments.expectNoPositionals()
        guard arguments.string("--vocab") != nil else { throw UsageError(message: "--vocab N is required", usage: arguments.usage) }
        let size = try arguments.int("--vocab")
        let files = arguments.strings("--data")
        guard !files.isEmpty, let out = arguments.string("--out") else {
            throw UsageError(message: "--data FILE and --out DIR are required", usage: arguments.usage)
        }
        try OutputOptions.claimFolder(out, finished: "encoder.json", ownFiles: OutputOptions.tokenizerFiles, arguments: arguments)
        var texts = [String]()
        for file in files {
            let reader = try InstructionReader(path: file, options: ReadOptions(skipInvalid: true))
            try reader.forEach { record in texts.append(([record.input] + record.turns.map(\.content)).joined(separator: "\n")) }
            if !reader.skipped.isEmpty { arguments.console.warning("\(file): skipped \(reader.skipped.count) invalid record(s); first: \(reader.skipped[0])") }
        }
        let progress = ProgressReporter(label: "tokenizer train", total: size - 256 - BytePairTrainer.defaultSpecials.count,
                                        mode: arguments.outputMode)
        let tokenizer = try BytePairTrainer.train(texts: texts, vocabularySize: size) { done, _ in progress.update(step: done) }
        try tokenizer.save(directory: out)
        let summary = "\(tokenizer.vocabularySize) tokens (\(tokenizer.mergeList.count) merges) from \(texts.count) documents -> \(out)"
        if arguments.outputMode == .json {
            print(JSONValue.object(JSONObject([("vocabulary", .number(Double(tokenizer.vocabularySize))),
                                               ("merges", .number(Double(tokenizer.mergeList.count))),
                                               ("documents", .number(Double(texts.count))), ("out", .string(out))])).serialized)
        } else {
            print(summary)
        }
        return ExitCode.success
    }
}
