// TargetMetrics: what `raise finetune` and `raise evaluate` report of a model on the target splits — the
// validation split's mean answer loss, the test split's loss and greedy exact match — and how they print.
import RaiseKit

/// A model's metrics on the target splits, as JSON members.
enum TargetMetrics {
    /// The keys, in the order they print.
    static let keys = ["val_loss", "test_loss", "test_exact_match"]

    /// Adds `val_loss` (with a validation split), `test_loss` and `test_exact_match` (with a test split) to `result`.
    static func measure(_ model: any LanguageModel, validation: Pool?, test: Pool?, match: AnswerMatch, into result: inout JSONObject) throws {
        if let validation { result["val_loss"] = .number(try TargetEvaluation(model: model, examples: validation.examples).loss) }
        if let test {
            let evaluation = try TargetEvaluation(model: model, examples: test.examples, answers: test.records.map(\.output), match: match)
            result["test_loss"] = .number(evaluation.loss)
            result["test_exact_match"] = .number(evaluation.exactMatch ?? 0)
        }
    }

    /// One indented line per metric present in `result`.
    static func lines(_ result: JSONObject) -> [String] {
        keys.compactMap { key in
            result[key]?.numberValue.map { "  \(key)".padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: "%.4f", $0) }
        }
    }
}
