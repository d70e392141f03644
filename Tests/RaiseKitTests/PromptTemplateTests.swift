// Prompt templates: the exact text each produces, a mask that is 1 exactly on the response and its end
// token, and truncation (prompt first, from the left; then response, from the right; skip when empty) and
// what it is said to have cut.
import RaiseKit
import RaiseTestSupport
import XCTest

final class PromptTemplateTests: XCTestCase {
    private var tokenizer: BytePairTokenizer!

    override func setUpWithError() throws {
        tokenizer = try BytePairTrainer.train(texts: ["Below is an instruction that describes a task. ### Response: hello world"],
                                              vocabularySize: 300)
    }

    private func record(_ instruction: String, _ output: String, input: String = "") -> InstructionRecord {
        InstructionRecord(id: "r", turns: [ChatTurn(.user, instruction), ChatTurn(.assistant, output)], input: input,
                          source: SourceLocation(file: "f", line: 1), original: .text(""))
    }

    /// (the whole text, the text of the trained tokens).
    private func render(_ example: TokenizedExample) -> (String, String) {
        (tokenizer.decode(example.ids), tokenizer.decode(zip(example.ids, example.lossMask).filter { $0.1 == 1 }.map(\.0)))
    }

    func testAlpacaWithAndWithoutInput() throws {
        let formatter = try PromptFormatter(template: .alpaca, tokenizer: tokenizer, maxLength: 512)
        let (text, trained) = render(try XCTUnwrap(formatter.example(record("Add 2 and 3.", "5"))))
        XCTAssertEqual(text, PromptTemplate.alpacaHeaderForTests + "\n\n### Instruction:\nAdd 2 and 3.\n\n### Response:\n5<|endoftext|>")
        XCTAssertEqual(trained, "5<|endoftext|>")
        let (withInput, trainedWithInput) = render(try XCTUnwrap(formatter.example(record("Reverse it.", "cba", input: "abc"))))
        XCTAssertTrue(withInput.hasSuffix("### Instruction:\nReverse it.\n\n### Input:\nabc\n\n### Response:\ncba<|endoftext|>"))
        XCTAssertTrue(withInput.hasPrefix("Below is an instruction that describes a task, paired with an input"))
        XCTAssertEqual(trainedWithInput, "cba<|endoftext|>")
    }

    func testChatMLMasksEveryAssistantTurn() throws {
        let formatter = try PromptFormatter(template: .chatml, tokenizer: tokenizer, maxLength: 512)
        let chat = InstructionRecord(id: "c", turns: [ChatTurn(.system, "Be brief."), ChatTurn(.user, "Hi"), ChatTurn(.assistant, "Hello!"),
                                                     ChatTurn(.user, "Bye"), ChatTurn(.assistant, "Bye!")],
                                     source: SourceLocation(file: "f", line: 1), original: .text(""))
        let (text, trained) = render(try XCTUnwrap(formatter.example(chat)))
        XCTAssertEqual(text, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
                       + "<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\nBye!<|im_end|>\n")
        XCTAssertEqual(trained, "Hello!<|im_end|>Bye!<|im_end|>")
    }

    func testPlainTemplateAndTextDocuments() throws {
        let formatter = try PromptFormatter(template: .plain, tokenizer: tokenizer, maxLength: 512)
        XCTAssertEqual(render(try XCTUnwrap(formatter.example(record("2+2=", "4")))).0, "2+2=\n4<|endoftext|>")
        let document = InstructionRecord(id: "d", turns: [ChatTurn(.assistant, "some text")], source: SourceLocation(file: "f", line: 1),
                                         original: .text("some text"))
        let example = try XCTUnwrap(formatter.example(document))
        XCTAssertEqual(example.ids.first, tokenizer.specialTokens.bos, "a document starts with BOS")
        XCTAssertEqual(render(example).1, "some text<|endoftext|>", "all of a document is trained")
    }

    func testTruncationCutsThePromptFirstThenTheResponse() throws {
        let full = try PromptFormatter(template: .plain, tokenizer: tokenizer, maxLength: 512)
        let long = record(String(repeating: "word ", count: 40), "the answer is here")
        let untruncated = try XCTUnwrap(full.example(long))
        let answerTokens = untruncated.lossMask.filter { $0 == 1 }.count
        let promptTokens = untruncated.ids.count - answerTokens

        let promptCut = try XCTUnwrap(PromptFormatter(template: .plain, tokenizer: tokenizer, maxLength: answerTokens + 5).example(long))
        XCTAssertEqual(promptCut.ids.count, answerTokens + 5)
        XCTAssertEqual(Array(promptCut.ids.suffix(answerTokens)), Array(untruncated.ids.suffix(answerTokens)), "the response is whole")
        XCTAssertEqual(promptCut.lossMask.filter { $0 == 1 }.count, answerTokens)

        let responseCut = try XCTUnwrap(PromptFormatter(template: .plain, tokenizer: tokenizer, maxLength: 3).example(long))
        XCTAssertEqual(responseCut.ids, Array(untruncated.ids[promptTokens..<promptTokens + 3]), "the response's start is kept")
        XCTAssertEqual(responseCut.lossMask, [0, 1, 1], "nothing precedes the first token")

        // Every response ends with an end token, so truncation to 2 or more tokens always keeps one response
        // token; an example has none only when the record has no response at all. Such records are skipped.
        let tiny = try XCTUnwrap(PromptFormatter(template: .plain, tokenizer: tokenizer, maxLength: 2).example(long))
        XCTAssertEqual(tiny.lossMask, [0, 1])
        let unanswered = InstructionRecord(id: "q", turns: [ChatTurn(.user, "a question")], source: SourceLocation(file: "f", line: 1),
                                           original: .text(""))
        let (examples, skipped) = full.examples([unanswered, long])
        XCTAssertEqual(examples.count, 1)
        XCTAssertEqual(skipped, ["q"])
    }

    /// `fitted` says what the cut removed — the prompt's start, all of it, the answer's end — with a document's
    /// BOS counted as no prompt; a tally counts each record once and words a warning only when something was cut.
    func testFittedSaysWhatTheContextCut() throws {
        let long = record(String(repeating: "word ", count: 40), "the answer is here")
        let untruncated = try PromptFormatter(template: .plain, tokenizer: tokenizer, maxLength: 512).fitted(long)
        XCTAssertEqual(untruncated.cut, [])
        let answerTokens = untruncated.example.lossMask.filter { $0 == 1 }.count
        let promptTokens = untruncated.example.ids.count - answerTokens
        func cut(_ maxLength: Int, _ record: InstructionRecord) throws -> ContextCut {
            try PromptFormatter(template: .plain, tokenizer: tokenizer, maxLength: maxLength).fitted(record).cut
        }
        XCTAssertEqual(try cut(promptTokens + answerTokens, long), [], "a record as long as the context is whole")
        XCTAssertEqual(try cut(answerTokens + 5, long), [.promptStart])
        XCTAssertEqual(try cut(answerTokens + 1, long), [.promptStart], "one prompt token left")
        XCTAssertEqual(try cut(answerTokens, long), [.wholePrompt], "exactly the prompt removed")
        XCTAssertEqual(try cut(answerTokens - 1, long), [.wholePrompt, .answerEnd])
        let document = InstructionRecord(id: "d", turns: [ChatTurn(.assistant, String(repeating: "some text ", count: 20))],
                                         source: SourceLocation(file: "f", line: 1), original: .text(""))
        XCTAssertEqual(try cut(8, document), [.answerEnd], "a document's BOS is no prompt")
        // A document with a system turn: its BOS, then the system prompt (untrained in ChatML), then the text.
        let system = InstructionRecord(id: "s", turns: [ChatTurn(.system, "Be brief."), ChatTurn(.assistant, "hello world")],
                                       source: SourceLocation(file: "f", line: 1), original: .text(""))
        let whole = try PromptFormatter(template: .chatml, tokenizer: tokenizer, maxLength: 512).fitted(system).example
        let firstTrained = try XCTUnwrap(whole.lossMask.firstIndex(of: 1))
        XCTAssertEqual(whole.ids.first, tokenizer.specialTokens.bos)
        func systemCut(_ removed: Int) throws -> ContextCut {
            try PromptFormatter(template: .chatml, tokenizer: tokenizer, maxLength: whole.ids.count - removed).fitted(system).cut
        }
        XCTAssertEqual(try systemCut(1), [], "only the BOS removed")
        XCTAssertEqual(try systemCut(2), [.promptStart])
        XCTAssertEqual(try systemCut(firstTrained), [.wholePrompt])

        let formatter = try PromptFormatter(template: .plain, tokenizer: tokenizer, maxLength: answerTokens)
        let pool = Pool(formatting: [record("short", "ok"), long, long], with: formatter)
        XCTAssertEqual(pool.cuts.records, 3)
        XCTAssertEqual(pool.cuts.cut, 2)
        XCTAssertEqual(pool.cuts.wholePrompt, 2)
        XCTAssertEqual(pool.cuts.warning("--val v.jsonl"), "--val v.jsonl: 2 of 3 record(s) are longer than the context of \(answerTokens - 1) tokens "
                       + "and were cut: 2 their whole prompt, so that their answers are read without the instruction")
        var tally = ContextCuts(context: 7)
        tally.add([])
        XCTAssertNil(tally.warning("--data"), "nothing cut, nothing to say")
        tally.add([.promptStart])
        var other = ContextCuts(context: 7)
        other.add([.wholePrompt, .answerEnd])
        tally.add(other)
        XCTAssertEqual(tally.warning("--data"), "--data: 2 of 3 record(s) are longer than the context of 7 tokens and were cut: 1 lost the start "
                       + "of their prompt; 1 their whole prompt, so that their answers are read without the instruction; 1 the end of their answer")
    }

    func testChatMLNeedsItsMarkers() throws {
        let gpt2Like = try BytePairTrainer.train(texts: ["abc"], vocabularySize: 257, specials: ["<|endoftext|>"])
        assertThrows(["template chatml", "<|im_start|>"]) { try PromptFormatter(template: .chatml, tokenizer: gpt2Like, maxLength: 64) }
    }
}

extension PromptTemplate {
    /// Stanford Alpaca's header for records without input, written out independently of the code.
    static let alpacaHeaderForTests = "Below is an instruction that describes a task. Write a response that appropriately completes the request."
}
