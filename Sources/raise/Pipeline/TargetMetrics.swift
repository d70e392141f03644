// TargetMetrics: what `raise finetune` and `raise evaluate` report of a model on the target splits — the
// validation split's mean answer loss, the test split's loss and greedy exact match — and how they print.
import RaiseKit

/// A model's metrics on the target splits, as JSON members.
enum TargetMetrics {
    /// The keys, in the order they print.
    static let keys = ["val_loss", "test_loss", "test_exact_match"]

    /// The records exact match is measured on: the test split's first `limit` (all when nil).
    static func measuredRecords(_ test: Pool, limit: Int?) -> ArraySlice<InstructionRecord> {
        test.records.prefix(limit ?? test.count)
    }

    /// The reference answers exact match is measured on: those of `measuredRecords`.
    static func answers(_ test: Pool, limit: Int?) -> [String] {
        measuredRecords(test, limit: limit).map(\.output)
    }

    /// Adds `val_loss` (with a validation split), `test_loss` and `test_exact_match` (with a test split; over its
    /// first `exactMatchLimit` records, all when nil, left out when 0) to `result`. Each pass — the loss over each
    /// split, the model's answers (greedy, or by likelihood under `match`) — shows its progress in `mode`; the
    /// answers are returned (nil when exact match is not measured).
    @discardableResult
    static func measure(_ model: any LanguageModel, validation: Pool?, test: Pool?, match: AnswerMatch, exactMatchLimit: Int? = nil,
                        mode: OutputMode, into result: inout JSONObject) throws -> [String]? {
        func progress(split: String) -> (String, Int, String) -> ProgressReporter {
            { task, total, unit in ProgressReporter(label: task == "loss" ? "\(split) loss" : "exact match", total: total, mode: mode, unit: unit) }
        }
        if let validation {
            result["val_loss"] = .number(try TargetEvaluation(model: model, examples: validation.examples, progress: progress(split: "val")).loss)
        }
        if let test {
            let answers = answers(test, limit: exactMatchLimit)
            let evaluation = try TargetEvaluation(model: model, examples: test.examples, answers: answers, match: match,
                                                  progress: progress(split: "test"))
            result["test_loss"] = .number(evaluation.loss)
            if let exactMatch = evaluation.exactMatch { result["test_exact_match"] = .number(exactMatch) }
            return evaluation.modelAnswers
        }
        return nil
    }

    /// One indented line per metric present in `result`.
    static func lines(_ result: JSONObject) -> [String] {
        keys.compactMap { key in
            result[key]?.numberValue.map { "  \(key)".padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: "%.4f", $0) }
        }
    }
}
