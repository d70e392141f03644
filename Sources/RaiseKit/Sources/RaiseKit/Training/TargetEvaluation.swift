// TargetEvaluation: how well a model does on the target task — the mean answer loss over a validation
// or test split (lower is better) and the exact-match accuracy of its greedy answers.

/// The target-task metrics of a model on one split.
public struct TargetEvaluation: Sendable {
    /// Mean per-example answer loss.
    public let loss: Double
    /// Share of examples whose greedy answer equals the reference exactly (nil when not measured).
    public let exactMatch: Double?

    /// Evaluates `model` on `examples`; with `answers` (one reference text per example), also greedy
    /// exact match: the text generated after the prompt, up to the end token, compared by `match`.
    public init(model: any LanguageModel, examples: [TokenizedExample], answers: [String]? = nil, match: AnswerMatch = .exact) throws {
        precondition(answers == nil || answers!.count == examples.count, "TargetEvaluation: one answer per example")
        let losses = try model.exampleLosses(examples)
        loss = losses.reduce(0.0) { $0 + Double($1) } / Double(max(losses.count, 1))
        guard let answers else {
            exactMatch = nil
            return
        }
        let generated = try GreedyAnswers.generate(model, examples: examples)
        let correct = zip(generated, answers).filter { match.matches($0, $1) }.count
        exactMatch = Double(correct) / Double(max(examples.count, 1))
    }
}
