// TargetEvaluation: how well a model does on the target task — the mean answer loss over a validation
// or test split (lower is better) and the exact-match accuracy of its answers (greedy, or by likelihood).

/// The target-task metrics of a model on one split.
public struct TargetEvaluation: Sendable {
    /// Mean per-example answer loss.
    public let loss: Double
    /// Share of examples whose answer matches the reference (nil when not measured).
    public let exactMatch: Double?
    /// The model's answers exact match was measured on, in the examples' order (nil when not measured).
    public let modelAnswers: [String]?

    /// Evaluates `model` on `examples`; with `answers` (reference texts of the first `answers.count` examples),
    /// also exact match over those: the model's answer after the prompt as `match` reads it (the text generated
    /// up to the end token, or the likeliest option letter), compared by `match`. Decoding costs far more than
    /// the loss, so a caller may measure exact match on a prefix of the split. `progress`, when given, makes the reporter
    /// of each pass as it begins — its task ("loss", then "answers"), its total and the unit it counts in — so that
    /// a pass's rate does not count the one before. The loss pass counts tokens: it scores the examples shortest
    /// first, so counted in examples its ETA would hold only for the short ones.
    public init(model: any LanguageModel, examples: [TokenizedExample], answers: [String]? = nil, match: AnswerMatch = .exact,
                progress: ((_ task: String, _ total: Int, _ unit: String) -> ProgressReporter)? = nil) throws {
        precondition(answers == nil || answers!.count <= examples.count, "TargetEvaluation: at most one answer per example")
        let tokens = examples.reduce(0) { $0 + $1.ids.count }
        let losses = try TargetEvaluation.losses(model, examples: examples, progress: progress?("loss", tokens, "token"))
        loss = losses.reduce(0.0) { $0 + Double($1) } / Double(max(losses.count, 1))
        guard let references = answers, !references.isEmpty else {
            (exactMatch, modelAnswers) = (nil, nil)
            return
        }
        let measured = Array(examples.prefix(references.count))
        let work = match.answersWork(measured)
        let given = try match.answers(model, examples: measured, progress: progress?("answers", work.total, work.unit))
        let correct = zip(given, references).filter { match.matches($0, $1) }.count
        (exactMatch, modelAnswers) = (Double(correct) / Double(references.count), given)
    }

    /// Examples per call of `exampleLosses` when a pass reports progress: whole scoring batches.
    private static let lossChunk = 8 * ScoringOrder.batchSize

    /// Each example's answer loss, scored `lossChunk` examples at a time in `ScoringOrder` — so that the
    /// batches, and the bits, are those of one call — telling `progress` how many tokens are done after each.
    private static func losses(_ model: any LanguageModel, examples: [TokenizedExample], progress: ProgressReporter?) throws -> [Float] {
        guard let progress else { return try model.exampleLosses(examples) }
        let order = ScoringOrder.positions(examples)
        var losses = [Float](repeating: 0, count: examples.count)
        var tokens = 0
        for start in stride(from: 0, to: order.count, by: lossChunk) {
            let chunk = order[start..<min(start + lossChunk, order.count)]
            for (position, loss) in zip(chunk, try model.exampleLosses(chunk.map { examples[$0] })) { losses[position] = loss }
            tokens += chunk.reduce(0) { $0 + examples[$1].ids.count }
            progress.update(step: tokens)
        }
        return losses
    }
}
