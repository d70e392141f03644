// GreedyAnswers: what a model answers to the prompts of target-task examples (greedy decoding up to
// its end token) and how an answer is compared with the reference: whole (trimmed); by the final
// answer only — the text after the last `####` (GSM8K's convention), else the last number in the text,
// compared as numbers when both parse; or by the option letter a multiple-choice answer gives (A–D for MMLU,
// up to A–J), which may also be read from the model's likelihoods instead (`ChoiceAnswers`).
import Foundation

/// How a model's answer is found (generated, or read from its likelihoods) and compared with the reference.
public enum AnswerMatch: String, CaseIterable, Sendable {
    /// The whole answer, leading and trailing white space ignored.
    case exact
    /// The final answer only (after `####`, else the last number).
    case finalAnswer = "final-answer"
    /// The option letter A–J the answer gives (`choiceLetter`): a multiple-choice target such as MMLU, whose
    /// reference is the letter alone while a model may answer `B. Paris` or `The answer is (B)`.
    case choice
    /// The option letter the model finds likeliest right after the prompt, of those the prompt offers
    /// (`ChoiceAnswers`), compared as `choice` compares: nothing is generated. MMLU's usual accuracy.
    case choiceLikelihood = "choice-likelihood"

    /// Whether `generated` answers like `reference`.
    public func matches(_ generated: String, _ reference: String) -> Bool {
        switch self {
        case .exact:
            return generated.trimmingCharacters(in: .whitespacesAndNewlines) == reference.trimmingCharacters(in: .whitespacesAndNewlines)
        case .finalAnswer:
            guard let a = AnswerMatch.finalAnswer(of: generated), let b = AnswerMatch.finalAnswer(of: reference) else { return false }
            if let x = Double(a), let y = Double(b) { return x == y }
            return a == b
        case .choice, .choiceLikelihood:
            guard let a = AnswerMatch.choiceLetter(of: generated), let b = AnswerMatch.choiceLetter(of: reference) else { return false }
            return a == b
        }
    }

    /// Whether a reference answer gives what this match compares — an option letter (choice, choice-likelihood),
    /// a final answer (final-answer) — so that an answer can match it at all. Every reference reads as exact.
    public func reads(reference: String) -> Bool {
        switch self {
        case .exact: return true
        case .finalAnswer: return AnswerMatch.finalAnswer(of: reference) != nil
        case .choice, .choiceLikelihood: return AnswerMatch.choiceLetter(of: reference) != nil
        }
    }

    /// Whether an answer can match `reference` at all after `prompt`: the reference gives what this match compares
    /// (`reads(reference:)`) and, by likelihood, its letter is one the prompt offers
    /// (`ChoiceAnswers.offeredLetters(by:)`), the only ones compared.
    public func canMatch(reference: String, prompt: String) -> Bool {
        guard reads(reference: reference) else { return false }
        guard self == .choiceLikelihood, let letter = AnswerMatch.choiceLetter(of: reference) else { return true }
        return ChoiceAnswers.offeredLetters(by: prompt).contains(letter)
    }

    /// The model's answers to the prompts of `examples` as this match reads them: the option letter it finds
    /// likeliest (choice-likelihood), else its greedy answer. `progress` hears how much is done, as `answersWork` counts.
    public func answers(_ model: any LanguageModel, examples: [TokenizedExample], progress: ProgressReporter? = nil) throws -> [String] {
        self == .choiceLikelihood ? try ChoiceAnswers.answers(model, examples: examples, progress: progress)
                                  : try GreedyAnswers.generate(model, examples: examples, progress: progress)
    }

    /// What `answers` reports its progress in, and how much there is: the prompts' tokens by likelihood (one
    /// pass over prompts sorted by length, whose cost grows with them), else the answers decoded.
    public func answersWork(_ examples: [TokenizedExample]) -> (total: Int, unit: String) {
        self == .choiceLikelihood ? (examples.reduce(0) { $0 + GreedyAnswers.promptLength($1) }, "token") : (examples.count, "answer")
    }

    /// The option letter A–J a text gives: its first character (after white space and an opening parenthesis)
    /// when that is one of the letters and no letter or digit follows it (`B`, `B.`, `(B)`, `C) 42`, `B is
    /// right`); else the letter standing so after the last "answer is" or "answer:", in any case (`The answer
    /// is B.`, `The answer is A because…`); else nil. At the start, A and I, which are also words, are letters
    /// only when no white space follows them (`A.`, `(I)`, but not `A cat` or `I think`).
    public static func choiceLetter(of text: String) -> Character? {
        func leading(_ text: Substring, wordsAreLetters: Bool) -> Character? {
            var rest = text.drop { $0.isWhitespace }
            if rest.first == "(" { rest = rest.dropFirst() }
            guard let letter = rest.first, ChoiceAnswers.letters.contains(letter) else { return nil }
            guard let next = rest.dropFirst().first else { return letter }
            if next.isWhitespace && ["A", "I"].contains(letter) && !wordsAreLetters { return nil }  // the article or the pronoun
            return next.isLetter || next.isNumber ? nil : letter
        }
        if let letter = leading(text[...], wordsAreLetters: false) { return letter }
        let markers = ["answer is", "answer:"].compactMap { text.range(of: $0, options: [.caseInsensitive, .backwards]) }
        guard let last = markers.max(by: { $0.upperBound < $1.upperBound }) else { return nil }
        return leading(text[last.upperBound...], wordsAreLetters: true)
    }

    /// The text after the last `####`, else the last number (commas removed); nil when there is neither.
    public static func finalAnswer(of text: String) -> String? {
        if let marker = text.range(of: "####", options: .backwards) {
            let answer = text[marker.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: ",", with: "")
            return answer.isEmpty ? nil : answer
        }
        var last: String?, current = ""
        for character in text + " " {
            if character.isASCII && (character.isNumber || (character == "-" && current.isEmpty) || character == "." || character == ",") {
                current.append(character)
            } else {
                let number = current.replacingOccurrences(of: ",", with: "").trimmingCharacters(in: CharacterSet(charactersIn: ".-"))
                if number.contains(where: \.isNumber) { last = current.hasPrefix("-") ? "-" + number : number }
                current = ""
            }
        }
        return last
    }
}

/// Greedy answers and reference answers of tokenized examples.
public enum GreedyAnswers {
    /// The end tokens generation stops at: the tokenizer's end of sequence and the chat templates' end of a
    /// turn (ChatML's `<|im_end|>`, Llama 3's `<|eot_id|>`).
    public static func stopTokens(_ tokenizer: any Tokenizer) -> Set<Int32> {
        Set([tokenizer.specialTokens.eos].compactMap { $0 } + PromptTemplate.endOfTurnMarkers.compactMap { tokenizer.specialTokens.byText[$0] })
    }

    /// Prompts decoded together (sorted by prompt length, so a batch's padding is short). Each step's products
    /// are then matrix products: on the real-data benchmark's TinyGPT, 100 GSM8K answers take 1 s instead of
    /// 5.6 s one prompt at a time; 100 prompts at once are slower again (longer padding, and the batch waits
    /// for its longest answer). SmolLM2's cache for 32 rows of 256 positions takes about 380 MB.
    public static let batchSize = 32

    /// The text `model` generates after each example's prompt, up to an end token (at most the
    /// reference's length + 4 tokens), decoded `batchSize` prompts at a time, prompts of similar length
    /// together; `progress`, when given, hears how many answers are done after each batch.
    public static func generate(_ model: any LanguageModel, examples: [TokenizedExample], progress: ProgressReporter? = nil) throws -> [String] {
        let stop = stopTokens(model.tokenizer)
        let (prompts, order) = promptsByLength(examples)
        var answers = [String](repeating: "", count: examples.count)
        for start in stride(from: 0, to: order.count, by: batchSize) {
            let batch = order[start..<min(start + batchSize, order.count)]
            let generated = try model.generate(prompts: batch.map { prompts[$0] },
                                               maxNewTokens: batch.map { examples[$0].ids.count - prompts[$0].count + 4 }, stop: stop)
            for (position, var tokens) in zip(batch, generated) {
                if let last = tokens.last, stop.contains(last) { tokens.removeLast() }
                answers[position] = model.tokenizer.decode(tokens)
            }
            progress?.update(step: batch.endIndex)
        }
        return answers
    }

    /// Each example's prompt (its ids before the first answer token), and the examples' positions by prompt
    /// length, ties in order: answers are computed `batchSize` prompts at a time in that order.
    static func promptsByLength(_ examples: [TokenizedExample]) -> (prompts: [[Int32]], order: [Int]) {
        let prompts = examples.map(prompt)
        return (prompts, prompts.indices.sorted { (prompts[$0].count, $0) < (prompts[$1].count, $1) })
    }

    /// How many of an example's ids are its prompt: those before its first answer token.
    static func promptLength(_ example: TokenizedExample) -> Int {
        example.lossMask.firstIndex(of: 1) ?? example.ids.count
    }

    /// An example's prompt: its ids before the first answer token.
    static func prompt(_ example: TokenizedExample) -> [Int32] { Array(example.ids.prefix(promptLength(example))) }

    /// Each example's prompt decoded, template included.
    public static func promptTexts(_ tokenizer: any Tokenizer, examples: [TokenizedExample]) -> [String] {
        examples.map { tokenizer.decode(prompt($0)) }
    }

    /// Each example's answer tokens decoded, without the end token.
    public static func references(_ tokenizer: any Tokenizer, examples: [TokenizedExample]) -> [String] {
        let stop = stopTokens(tokenizer)
        return examples.map { example in
            tokenizer.decode(zip(example.ids, example.lossMask).filter { $0.1 > 0 && !stop.contains($0.0) }.map(\.0))
        }
    }
}
