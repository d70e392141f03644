// RAISE end to end on a tiny model: train-selector writes a usable policy and its episode log, a run
// killed after an episode and resumed ends with the same policy as an uninterrupted one, finetune
// with selector.raise logs scores and clusters, explain reports, a validation split that overlaps the
// pool is refused; the reward plugins, answer matching, the option letters a prompt offers and the
// references it can match, on their own.
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class RewardTests: XCTestCase {
    func testFinalAnswersAreFoundAndCompared() {
        XCTAssertEqual(AnswerMatch.finalAnswer(of: "She pays 3 * 4 = 12 dollars.\n#### 1,234"), "1234")
        XCTAssertEqual(AnswerMatch.finalAnswer(of: "so 5 apples, then -17.5."), "-17.5")
        XCTAssertNil(AnswerMatch.finalAnswer(of: "no number here"))
        XCTAssertTrue(AnswerMatch.finalAnswer.matches("the total is #### 42", "work... #### 42.0"))
        XCTAssertFalse(AnswerMatch.finalAnswer.matches("#### 41", "#### 42"))
        XCTAssertTrue(AnswerMatch.exact.matches(" 125\n", "125"))
        XCTAssertFalse(AnswerMatch.exact.matches("1250", "125"))
    }

    func testTheOptionLetterOfAChoiceAnswerIsFound() {
        for (text, letter) in [("B", "B"), (" (C) forty", "C"), ("D. Paris", "D"), ("A) 3", "A"), ("The answer is (B).", "B"),
                               ("I think the ANSWER: c... no, the answer is D", "D"), ("Answer: A", "A"), ("E. none", "E"),
                               ("The answer is (J).", "J"), ("B is right", "B"), ("I. the ninth", "I"), ("A", "A"),
                               ("I would say the answer is A because", "A")] as [(String, Character)] {
            XCTAssertEqual(AnswerMatch.choiceLetter(of: text), letter, text)
        }
        for text in ["Because", "K. none", "D4", "the answer is maybe", "", "A cat", "I believe so"] {
            XCTAssertNil(AnswerMatch.choiceLetter(of: text), text)
        }
        XCTAssertTrue(AnswerMatch.choice.matches("B. the second", "B"))
        XCTAssertFalse(AnswerMatch.choice.matches("B. the second", "C"))
        XCTAssertFalse(AnswerMatch.choice.matches("no letter", "no letter"), "a text without a letter matches nothing")
        XCTAssertTrue(AnswerMatch.choiceLikelihood.matches("C", "C. forty"), "the likeliest letter is compared as choice compares")
    }

    /// A prompt offers the letters A, B, … that each label a line of their own, two or more; else MMLU's four.
    func testAPromptOffersTheOptionsItsLinesLabel() {
        let question = "Which vitamin is fat-soluble, like vitamin E.\n"
        for (prompt, count) in [(question + "A. C\nB. D\nC. B12\nD. folate", 4),
                                (question + "  (A) C\n  (B) D\n  (C) B12\n  (D) folate\n  (E) none", 5),
                                (question + "A) one\nB) two\nC) three", 3),
                                (question + "A: one\nB: two\nD: four", 2),  // the letters run while each labels a line
                                ((0..<10).map { "\(ChoiceAnswers.letters[$0]). option \($0)" }.joined(separator: "\n"), 10),
                                ("Answer with A, B, C, D or E.", 4), ("A. only one", 4), ("(A. unclosed\n(B. unclosed", 4),
                                (question + "E. an E inside the question, no A", 4),
                                ("Which? (A) one (B) two (C) three (D) four (E) five", 5),  // inline, parenthesized
                                ("Which?\n(A) one (B) two\n(C) three", 3),
                                ("Which (A)? (B) two", 4),  // "(A)?" is no label: a sentence's letter
                                ("A. one B. two C. three", 4),  // inline, unparenthesized: not read
                                // An option's own "(E)" is no sixth label (MMLU's high_school_macroeconomics_val.csv:23).
                                ("Which?\nA. (A) outflow\nB. (B) inflow\nC. (C) none\nD. (E) inflow", 4)] {
            XCTAssertEqual(ChoiceAnswers.optionCount(offeredBy: prompt), count, prompt)
        }
        XCTAssertEqual(Array(ChoiceAnswers.offeredLetters(by: "A) x\nB) y\nC) z")), ["A", "B", "C"])
    }

    /// A reference can be matched when it gives what the match compares; by likelihood, only when its letter is
    /// one the prompt offers, since no other is compared.
    func testAReferenceCanMatchOnlyALetterItsPromptOffers() {
        let threeOptions = "Pick.\nA. x\nB. y\nC. z\n"
        XCTAssertTrue(AnswerMatch.choiceLikelihood.canMatch(reference: "C", prompt: threeOptions))
        XCTAssertFalse(AnswerMatch.choiceLikelihood.canMatch(reference: "D", prompt: threeOptions), "D is not offered")
        XCTAssertTrue(AnswerMatch.choiceLikelihood.canMatch(reference: "D", prompt: "Pick one."), "A–D when none is labelled")
        XCTAssertFalse(AnswerMatch.choiceLikelihood.canMatch(reference: "E", prompt: "Pick one."))
        XCTAssertFalse(AnswerMatch.choiceLikelihood.canMatch(reference: "forty", prompt: threeOptions))
        XCTAssertTrue(AnswerMatch.choice.canMatch(reference: "D", prompt: threeOptions), "a generated answer may give any letter")
        XCTAssertTrue(AnswerMatch.finalAnswer.canMatch(reference: "#### 4", prompt: threeOptions))
        XCTAssertFalse(AnswerMatch.finalAnswer.canMatch(reference: "four", prompt: threeOptions))
    }

    /// Answers by likelihood are the letter whose token has the lowest loss after the prompt (the first on a
    /// tie), read through the protocol's default, one pass per letter; nothing is generated.
    func testChoiceByLikelihoodIsTheLetterWithTheLowestLoss() throws {
        var favoured = "C"
        var model: StubModel!
        model = try StubModel(losses: { examples in
            examples.map { model.tokenizer.decode([$0.ids.last!]) == favoured ? 0.5 : 2 }
        })
        let examples = [TokenizedExample(ids: [104, 105, 65, 0], lossMask: [0, 0, 1, 1]), TokenizedExample(ids: [104, 66], lossMask: [0, 1])]
        XCTAssertEqual(try ChoiceAnswers.answers(model, examples: examples), ["C", "C"])
        XCTAssertEqual(model.lossPasses, 1, "one call for every prompt and letter")
        favoured = "none"
        XCTAssertEqual(try AnswerMatch.choiceLikelihood.answers(model, examples: examples), ["A", "A"], "a tie goes to the first letter")
        // Only the letters a prompt offers are compared: E wins where the prompt lists five options, not where it lists none.
        favoured = "E"
        let fiveOptions = model.tokenizer.encode("Pick one.\nA. a\nB. b\nC. c\nD. d\nE. e\n")
        let unlabelled = model.tokenizer.encode("Pick one of five.\n")
        let fiveAndNone = [TokenizedExample(ids: fiveOptions + [69], lossMask: fiveOptions.map { _ in 0 } + [1]),
                           TokenizedExample(ids: unlabelled + [69], lossMask: unlabelled.map { _ in 0 } + [1])]
        XCTAssertEqual(try ChoiceAnswers.answers(model, examples: fiveAndNone), ["E", "A"])
    }

    /// Only the letters asked for need be one token each: a tokenizer that splits E reads four options, and is
    /// refused, naming the backend and the letter, for five.
    func testEachLetterComparedMustBeOneToken() throws {
        final class SplittingE: Tokenizer {
            let base: any Tokenizer
            init(_ base: any Tokenizer) { self.base = base }
            var vocabularySize: Int { base.vocabularySize }
            var specialTokens: SpecialTokens { base.specialTokens }
            func encode(_ text: String) -> [Int32] { text == "E" ? base.encode("E") + base.encode("E") : base.encode(text) }
            func decodeBytes(_ ids: [Int32]) -> [UInt8] { base.decodeBytes(ids) }
        }
        let tokenizer = SplittingE(try StubModel(losses: { _ in [] }).tokenizer)
        XCTAssertEqual(try ChoiceAnswers.letterTokens(tokenizer, count: 4, backend: "model.test").map { tokenizer.decode([$0]) }, ["A", "B", "C", "D"])
        assertThrows(["model.test", "the option letter E is 2 tokens"]) { _ = try ChoiceAnswers.letterTokens(tokenizer, count: 5, backend: "model.test") }
    }

    func testRewardPluginsMeasureTheValidationSplit() throws {
        let registry = PluginRegistry()
        let loader = PluginLoader(registry: registry)
        try loader.load(file: builtLibrary("RaisePluginRewards"))
        try loader.load(file: builtLibrary("RaisePluginTinyGPT"))
        let folder = try scratchFolder(self)
        let tokenizer = try BytePairTrainer.train(texts: Array(repeating: "one plus 2 equals 3\n", count: 20), vocabularySize: 280)
        try tokenizer.save(directory: folder + "/tok")
        let model = try registry.make(PluginSpec(parsing: "tinygpt:layers=1,heads=2,d=16,ctx=32,tokenizer=\(folder)/tok", option: "--model"),
                                      kind: .model, seed: 1, as: (any LanguageModel).self)
        let formatter = try PromptFormatter(template: .plain, tokenizer: model.tokenizer, maxLength: 33)
        let records = (0..<4).map { i in
            InstructionRecord(id: "v\(i)", turns: [ChatTurn(.user, "one plus \(i)"), ChatTurn(.assistant, "equals \(i + 1)")],
                              source: SourceLocation(file: "val", line: i + 1), original: .text(""))
        }
        let validation = Pool(formatting: records, with: formatter).examples
        func reward(_ spec: String) throws -> Double {
            try registry.make(PluginSpec(parsing: spec, option: "--reward"), kind: .reward, seed: 0, as: (any Reward).self)
                .performance(of: model, validation: validation)
        }
        let loss = try reward("val-loss")
        XCTAssertEqual(loss, -(try TargetEvaluation(model: model, examples: validation).loss), accuracy: 1e-9)
        let accuracy = try reward("val-accuracy:match=final-answer")
        XCTAssertTrue((0...1).contains(accuracy))
        XCTAssertEqual(try reward("val-mix:weight=0.25,match=final-answer"), 0.25 * loss + 0.75 * accuracy, accuracy: 1e-9)
        XCTAssertEqual(try reward("val-loss:limit=2"), -(try TargetEvaluation(model: model, examples: Array(validation.prefix(2))).loss), accuracy: 1e-9)
        // By likelihood: the share of letter questions whose reference letter has the lowest loss after the prompt,
        // of A–D (the prompts label no options).
        let questions = ["A", "B", "C", "D", "B", "C"].enumerated().map { i, letter in
            InstructionRecord(id: "q\(i)", turns: [ChatTurn(.user, "one plus \(i) is"), ChatTurn(.assistant, letter)],
                              source: SourceLocation(file: "val", line: i + 1), original: .text(""))
        }
        let letterExamples = Pool(formatting: questions, with: formatter).examples
        let right = try letterExamples.enumerated().filter { i, example in
            let prompt = Array(example.ids[..<example.lossMask.firstIndex(of: 1)!])
            let losses = try model.exampleLosses(try TokenizedExample.nextToken(ChoiceAnswers.letters.prefix(4).map { model.tokenizer.encode(String($0))[0] },
                                                                                after: [prompt], backend: "test"))
            return ChoiceAnswers.letters[losses.indices.min { losses[$0] < losses[$1] }!] == questions[i].output.first!
        }.count
        let byLikelihood = try registry.make(PluginSpec(parsing: "val-accuracy:match=choice-likelihood", option: "--reward"), kind: .reward, seed: 0,
                                             as: (any Reward).self)
        XCTAssertEqual(try byLikelihood.performance(of: model, validation: letterExamples), Double(right) / 6, accuracy: 1e-12)
        // A reference the likelihood never compares — E, where the prompts offer A–D — can never be matched.
        let beyondOffered = Pool(formatting: questions.map {
            InstructionRecord(id: $0.id, turns: [$0.turns[0], ChatTurn(.assistant, "E")], source: $0.source, original: $0.original)
        }, with: formatter).examples
        assertThrows(["reward.val-accuracy", "match=choice-likelihood", "no validation reference", "a letter its prompt offers", "\"E\""]) {
            try byLikelihood.performance(of: model, validation: beyondOffered)
        }
        assertThrows(["reward.val-accuracy", "match=choice", "no validation reference", "\"equals 1\""]) {
            try reward("val-accuracy:match=choice")  // answers "equals 1", … give no letter
        }
        let lossReward = try registry.make(PluginSpec(parsing: "val-loss", option: "--reward"), kind: .reward, seed: 0, as: (any Reward).self)
        assertThrows(["reward.val-loss", "no validation example"]) { try lossReward.performance(of: model, validation: []) }
    }
}
