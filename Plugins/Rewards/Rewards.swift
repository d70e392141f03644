// The built-in rewards. Each is P(M) on the validation split, higher is better:
//   reward.val-loss      −(mean answer loss per example)
//   reward.val-accuracy  share of answers matching the reference (whole, the final answer, or the option letter —
//                        greedy, or the likeliest letter)
//   reward.val-mix       weight·(−loss) + (1 − weight)·accuracy
import RaiseKit

/// The match parameter shared by the accuracy rewards.
private let matchParameter = PluginParameter("match", .choice(AnswerMatch.allCases.map(\.rawValue)), default: "exact",
                                             "compare whole answers (exact), the final answer after '####' / the last number (final-answer), "
                                             + "the option letter A–J an answer gives (choice), or the letter the model finds likeliest of those "
                                             + "the prompt offers, nothing generated (choice-likelihood)")

/// The limit parameter shared by every reward.
private let limitParameter = PluginParameter("limit", .integer(0...100_000_000), default: "0",
                                             "score only the first N validation examples, to make each step's reward cheaper (0: all)")

/// The first `limit` examples (all for 0) that have answer tokens, or an error naming the reward.
private func scored(_ validation: [TokenizedExample], limit: Int, reward: String) throws -> [TokenizedExample] {
    let scored = validation.filter { $0.answerTokenCount > 0 }
    guard !scored.isEmpty else { throw RaiseError.invalidArgument(name: reward, detail: "no validation example has answer tokens") }
    return limit > 0 ? Array(scored.prefix(limit)) : scored
}

/// reward.val-loss: P(M) = −mean validation answer loss.
final class ValidationLoss: Reward {
    static let factory = PluginFactory(
        id: "reward.val-loss", kind: .reward, version: "1.0.0",
        summary: "negative mean answer loss on the validation split (the default)",
        parameters: [limitParameter],
        create: { ValidationLoss(limit: $0.integer("limit")) })

    let limit: Int

    init(limit: Int) { self.limit = limit }

    func performance(of model: any LanguageModel, validation: [TokenizedExample]) throws -> Double {
        let losses = try model.exampleLosses(try scored(validation, limit: limit, reward: "reward.val-loss"))
        return -losses.reduce(0.0) { $0 + Double($1) } / Double(losses.count)
    }
}

/// reward.val-accuracy: P(M) = share of validation prompts whose answer (greedy, or the likeliest option letter) matches the reference.
final class ValidationAccuracy: Reward {
    static let factory = PluginFactory(
        id: "reward.val-accuracy", kind: .reward, version: "1.1.0",
        summary: "share of validation answers matching the reference",
        parameters: [matchParameter, limitParameter],
        create: { ValidationAccuracy(match: AnswerMatch(rawValue: $0.text("match"))!, limit: $0.integer("limit")) })

    let match: AnswerMatch
    let limit: Int

    init(match: AnswerMatch, limit: Int) {
        self.match = match
        self.limit = limit
    }

    func performance(of model: any LanguageModel, validation: [TokenizedExample]) throws -> Double {
        let examples = try scored(validation, limit: limit, reward: "reward.val-accuracy")
        let references = GreedyAnswers.references(model.tokenizer, examples: examples)
        let prompts = GreedyAnswers.promptTexts(model.tokenizer, examples: examples)
        guard zip(references, prompts).contains(where: { match.canMatch(reference: $0, prompt: $1) }) else {
            throw RaiseError.invalidArgument(name: "reward.val-accuracy", detail: "match=\(match.rawValue): no validation reference gives what it "
                                             + "compares\(match == .choiceLikelihood ? " (a letter its prompt offers)" : "") (e.g. \"\(references[0].prefix(40))\"), so no answer could match")
        }
        let answers = try match.answers(model, examples: examples)
        return Double(zip(answers, references).filter { match.matches($0, $1) }.count) / Double(examples.count)
    }
}

/// reward.val-mix: P(M) = weight·(−loss) + (1 − weight)·accuracy.
final class ValidationMix: Reward {
    static let factory = PluginFactory(
        id: "reward.val-mix", kind: .reward, version: "1.1.0",
        summary: "weighted mix of the negative validation loss and the validation accuracy",
        parameters: [PluginParameter("weight", .number(0...1), default: "0.5", "the loss's weight; the accuracy gets 1 − weight"),
                     matchParameter, limitParameter],
        create: { ValidationMix(weight: $0.number("weight"), match: AnswerMatch(rawValue: $0.text("match"))!, limit: $0.integer("limit")) })

    let weight: Double
    let loss: ValidationLoss
    let accuracy: ValidationAccuracy

    init(weight: Double, match: AnswerMatch, limit: Int) {
        self.weight = weight
        loss = ValidationLoss(limit: limit)
        accuracy = ValidationAccuracy(match: match, limit: limit)
    }

    func performance(of model: any LanguageModel, validation: [TokenizedExample]) throws -> Double {
        weight * (try loss.performance(of: model, validation: validation))
            + (1 - weight) * (try accuracy.performance(of: model, validation: validation))
    }
}
