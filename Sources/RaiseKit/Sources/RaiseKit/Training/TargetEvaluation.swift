// TargetEvaluation: how well a model does on the target task — the mean answer loss over a validation
// or test split (lower is better) and the exact-match accuracy of its greedy answers.

/// The target-task metrics of a model on one split.
public struct TargetEvaluation: Sendable {
    /// Mean per-example answer loss.
    public let loss: Double
    /// Share of examples whose greedy answer equals the reference exactly (nil when not measured).
    public let exactMatch: Double?

    /// Evaluates `model` on `examples`; with `answers` (one reference text per example), also greedy
    /// exact match: the text generated after the prompt, up to the end token, compared whole.
    public init(model: any LanguageModel, examples: [TokenizedExample], answers: [String]? = nil) throws {
        precondition(answers == nil || answers!.count == examples.count, "TargetEvaluation: one answer per example")
        let losses = try model.exampleLosses(examples)
        loss = losses.reduce(0.0) { $0 + Double($1) } / Double(max(losses.count, 1))
        guard let answers else {
            exactMatch = nil
            return
        }
        let stop = Set([model.tokenizer.specialTokens.eos].compactMap { $0 } + ["<|im_end|>"].compactMap { model.tokenizer.specialTokens.byText[$0] })
        var correct = 0
        for (example, answer) in zip(examples, answers) {
            let promptLength = example.lossMask.firstIndex(of: 1) ?? example.ids.count
            let budget = example.ids.count - promptLength + 4
            var generated = try model.generate(prompt: Array(example.ids[..<promptLength]), maxNewTokens: budget, stop: stop)
            if let last = generated.last, stop.contains(last) { generated.removeLast() }
            if model.tokenizer.decode(generated) == answer { correct += 1 }
        }
        exactMatch = Double(correct) / Double(max(examples.count, 1))
    }
}
