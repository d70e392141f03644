// ChoiceAnswers: a multiple-choice answer read from the model's likelihoods rather than from its generated
// text — the option letter whose token the model finds likeliest right after the prompt, as MMLU is usually
// scored. The letters compared are those the prompt offers (A–D for MMLU, A–E for CommonsenseQA, up to A–J
// for MMLU-Pro). One forward pass per prompt and no decoding; and a model that would begin "The correct
// answer is…" is still asked which letter it prefers.

/// The option letter a model finds likeliest after each prompt.
public enum ChoiceAnswers {
    /// The option letters an answer may give, in order.
    public static let letters: [Character] = Array("ABCDEFGHIJ")

    /// How many options a prompt offers when it labels none the way `optionCount(offeredBy:)` reads: MMLU's four.
    public static let defaultOptionCount = 4

    /// The token each of the first `count` option letters is as a whole answer piece (how a template tokenizes
    /// a reference `B`).
    ///
    /// - Throws: `RaiseError.invalidArgument` naming `backend` when the tokenizer makes other than one token of a letter.
    public static func letterTokens(_ tokenizer: any Tokenizer, count: Int, backend: String) throws -> [Int32] {
        try letters.prefix(count).map { letter in
            let ids = tokenizer.encode(String(letter))
            guard ids.count == 1 else {
                throw RaiseError.invalidArgument(name: backend, detail: "the option letter \(letter) is \(ids.count) tokens to its tokenizer; "
                                                 + "answers by likelihood need one token per letter")
            }
            return ids[0]
        }
    }

    /// How many options a prompt offers: the letters A, B, C, … for as long as each labels an option, when that
    /// is two or more; else `defaultOptionCount`. A label opens a line (`B. Paris`, `B) Paris`, `B: Paris` or
    /// `(B) Paris`, after white space), or the options share a line, two or more parenthesized between white
    /// space (`… (A) Paris (B) Rome`). A letter inside a sentence (`vitamin E.`, an option's own `(E) …`)
    /// labels nothing.
    public static func optionCount(offeredBy prompt: String) -> Int {
        let labelled = prompt.split(whereSeparator: \.isNewline).reduce(into: Set<Character>()) { $0.formUnion(labels(in: $1)) }
        let count = letters.prefix { labelled.contains($0) }.count
        return count >= 2 ? count : defaultOptionCount
    }

    /// The option letters a prompt offers, in order: the first `optionCount(offeredBy:)`.
    public static func offeredLetters(by prompt: String) -> ArraySlice<Character> {
        letters.prefix(optionCount(offeredBy: prompt))
    }

    /// The option letters one line labels, as `optionCount(offeredBy:)` reads them.
    static func labels(in line: Substring) -> Set<Character> {
        let characters = Array(line)
        let start = characters.firstIndex { !$0.isWhitespace } ?? characters.count
        func character(_ index: Int) -> Character? { index < characters.count ? characters[index] : nil }
        var opening: Character?            // the label that opens the line: `B. Paris`, `B) Paris`, `B: Paris`, `(B) Paris`
        var parenthesized = [Character]()  // every `(B)` that opens the line or stands between white space
        if let letter = character(start), letters.contains(letter), let mark = character(start + 1), [".", ")", ":"].contains(mark) {
            opening = letter
        }
        for open in characters.indices where characters[open] == "(" && (open == start || characters[open - 1].isWhitespace) {
            guard let letter = character(open + 1), letters.contains(letter), character(open + 2) == ")" else { continue }
            if open == start {
                opening = letter
                parenthesized.append(letter)
            } else if character(open + 3)?.isWhitespace != false {
                parenthesized.append(letter)
            }
        }
        var found = Set(opening.map { [$0] } ?? [])
        if parenthesized.count >= 2 { found.formUnion(parenthesized) }  // options sharing the line
        return found
    }

    /// For each example, the letter whose token has the highest log-probability right after its prompt (the
    /// ids before its first answer token), among the letters the prompt offers (`optionCount`). Prompts of
    /// similar length are scored together, as greedy answers are decoded (MMLU's prompts run from a line to a
    /// page); `progress`, when given, hears how many prompt tokens are done after each batch.
    public static func answers(_ model: any LanguageModel, examples: [TokenizedExample], progress: ProgressReporter? = nil) throws -> [String] {
        let (prompts, order) = GreedyAnswers.promptsByLength(examples)
        let optionCounts = prompts.map { optionCount(offeredBy: model.tokenizer.decode($0)) }
        let candidates = try letterTokens(model.tokenizer, count: optionCounts.max() ?? 0, backend: model.backendID)
        var answers = [String](repeating: "", count: examples.count)
        var tokens = 0
        for start in stride(from: 0, to: order.count, by: GreedyAnswers.batchSize) {
            let batch = order[start..<min(start + GreedyAnswers.batchSize, order.count)]
            let scored = batch.map { optionCounts[$0] }.max()!
            let scores = try model.nextTokenLogProbabilities(prompts: batch.map { prompts[$0] }, candidates: Array(candidates.prefix(scored)))
            for (position, letterScores) in zip(batch, scores) {
                let offered = letterScores.prefix(optionCounts[position])
                let best = offered.indices.max { offered[$0] < offered[$1] }!  // the first letter on a tie
                answers[position] = String(letters[best])
            }
            tokens += batch.reduce(0) { $0 + prompts[$1].count }
            progress?.update(step: tokens)
        }
        return answers
    }
}
