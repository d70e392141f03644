// ChoiceAnswers: a multiple-choice answer read from the model's likelihoods rather than from its generated
// text — the option letter A–D whose token the model finds likeliest right after the prompt, as MMLU is
// usually scored. One forward pass per prompt and no decoding; and a model that would begin "The correct
// answer is…" is still asked which letter it prefers.

/// The option letter a model finds likeliest after each prompt.
public enum ChoiceAnswers {
    /// The option letters compared.
    public static let letters: [Character] = ["A", "B", "C", "D"]

    /// The token each option letter is as a whole answer piece (how a template tokenizes a reference `B`).
    ///
    /// - Throws: `RaiseError.invalidArgument` naming `backend` when the tokenizer makes other than one token of a letter.
    public static func letterTokens(_ tokenizer: any Tokenizer, backend: String) throws -> [Int32] {
        try letters.map { letter in
            let ids = tokenizer.encode(String(letter))
            guard ids.count == 1 else {
                throw RaiseError.invalidArgument(name: backend, detail: "the option letter \(letter) is \(ids.count) tokens to its tokenizer; "
                                                 + "answers by likelihood need one token per letter")
            }
            return ids[0]
        }
    }

    /// For each example, the letter whose token has the highest log-probability right after its prompt (the
    /// ids before its first answer token). Prompts of similar length are scored together, as greedy answers
    /// are decoded (MMLU's prompts run from a line to a page); `progress`, when given, hears how many answers
    /// are done after each batch.
    public static func answers(_ model: any LanguageModel, examples: [TokenizedExample], progress: ProgressReporter? = nil) throws -> [String] {
        let candidates = try letterTokens(model.tokenizer, backend: model.backendID)
        let (prompts, order) = GreedyAnswers.promptsByLength(examples)
        var answers = [String](repeating: "", count: examples.count)
        for start in stride(from: 0, to: order.count, by: GreedyAnswers.batchSize) {
            let batch = order[start..<min(start + GreedyAnswers.batchSize, order.count)]
            let scores = try model.nextTokenLogProbabilities(prompts: batch.map { prompts[$0] }, candidates: candidates)
            for (position, letterScores) in zip(batch, scores) {
                let best = letterScores.indices.max { letterScores[$0] < letterScores[$1] }!  // the first letter on a tie
                answers[position] = String(letters[best])
            }
            progress?.update(step: batch.endIndex)
        }
        return answers
    }
}
