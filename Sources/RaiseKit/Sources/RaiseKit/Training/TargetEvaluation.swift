// TargetEvaluation: how well a model does on the target task — the mean answer loss over a validation
// or test split (lower is better) and the exact-match accuracy of its greedy answers.

/// The target-task metrics of a model on one split.
public struct TargetEvaluation: Sendable {
    /// Mean per-example answer loss.
    public let loss: Double
    /// Share of examples whose greedy answer equals the reference exactly (nil when not measured).
    public let exactMatch: Double?
    /// The greedy answers exact match was measured on, in the examples' order (nil when not measured).
    public let greedyAnswers: [String]?

    /// Evaluates `model` on `examples`; with `answers` (reference texts of the first `answers.count` examples),
    /// also greedy exact match over those: the text generated after the prompt, up to the end token, compared
    /// by `match`. Decoding costs far more than the loss, so a caller may measure it on a prefix of the split,
    /// and may follow it with a `progress` reporter over the answers (its total: `answers.count`).
    public init(model: any LanguageModel, examples: [TokenizedExample], answers: [String]? = nil, match: AnswerMatch = .exact,
                progress: ProgressReporter? = nil) throws {
        precondition(answers == nil || answers!.count <= examples.count, "TargetEvaluation: at most one answer per example")
        let losses = try model.exampleLosses(examples)
        loss = losses.reduce(0.0) { $0 + Double($1) } / Double(max(losses.count, 1))
        guard let references = answers, !references.isEmpty else {
            (exactMatch, greedyAnswers) = (nil, nil)
            return
        }
        let generated = try GreedyAnswers.generate(model, examples: Array(examples.prefix(references.count)), progress: progress)
        let correct = zip(generated, references).filter { match.matches($0, $1) }.count
        (exactMatch, greedyAnswers) = (Double(correct) / Double(references.count), generated)
    }
}
