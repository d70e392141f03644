// TargetMetrics: what `raise finetune` and `raise evaluate` report of a model on the target splits — the
// validation split's mean answer loss, the test split's loss and greedy exact match — and how they print.
import RaiseKit

/// A model's metrics on the target splits, as JSON members.
enum TargetMetrics {
    /// The keys, in the order they print.
    static let keys = ["val_loss", "test_loss", "test_exact_match"]

    /// `--exact-match-limit`: how many of the test split's records greedy exact match decodes.
    static let exactMatchLimit = Option.integer("--exact-match-limit", "N", "greedy exact match on the first N test records only (default: all; "
                                                + "0: none) — decoding costs far more than the test loss, which is always over the whole split",
                                                default: nil, in: 0...100_000_000)

    /// Adds `val_loss` (with a validation split), `test_loss` and `test_exact_match` (with a test split; over its
    /// first `exactMatchLimit` records, all when nil, left out when 0) to `result`.
    static func measure(_ model: any LanguageModel, validation: Pool?, test: Pool?, match: AnswerMatch, exactMatchLimit: Int? = nil,
                        into result: inout JSONObject) throws {
        if let validation { result["val_loss"] = .number(try TargetEvaluation(model: model, examples: validation.examples).loss) }
        if let test {
            let answers = Array(test.records.prefix(exactMatchLimit ?? test.count).map(\.output))
            let evaluation = try TargetEvaluation(model: model, examples: test.examples, answers: answers, match: match)
            result["test_loss"] = .number(evaluation.loss)
            if let exactMatch = evaluation.exactMatch { result["test_exact_match"] = .number(exactMatch) }
        }
    }

    /// One indented line per metric present in `result`.
    static func lines(_ result: JSONObject) -> [String] {
        keys.compactMap { key in
            result[key]?.numberValue.map { "  \(key)".padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: "%.4f", $0) }
        }
    }
}
