// model.llama with a Qwen3: a tiny Qwen3 with random weights — no biases, an RMSNorm over each head of the
// queries and keys, heads wider than width / heads — and Qwen2's tokenizer, as transformers saves it and as a
// GGUF file laid out as llama.cpp's converter does (Tests/Fixtures/qwen3/make_tiny_qwen3.py), against the
// per-token losses and next-token log-probabilities of transformers' Qwen3; then a fine-tuned model saved and read
// back, by raise and as an HF folder, and a GGUF head size raise cannot use refused by key.
import Foundation
@testable import RaiseKit
import RaiseTestSupport
import XCTest

final class Qwen3Tests: XCTestCase {
    private let folder = fixturesFolder + "/qwen3/tiny-qwen3"
    private let gguf = fixturesFolder + "/qwen3/tiny-qwen3.gguf"

    private func fixture() throws -> TinyModelFixture { try TinyModelFixture("qwen3", reference: "tiny_qwen3_reference.json") }

    /// transformers' Qwen3 and raise's give the same per-token losses and next-token log-probabilities, read from
    /// the HF folder or the GGUF file, and greedy decoding through the key/value cache agrees with full passes;
    /// both name the family and the head size in their settings.
    func testLossesAndLogProbabilitiesMatchTransformers() throws {
        let registry = try TinyModelFixture.registry()
        for path in [folder, gguf] {
            let model = try TinyModelFixture.model(registry, "llama:path=\"\(path)\",ctx=64")
            XCTAssertEqual(model.configuration["model_type"], .string("qwen3"), path)
            XCTAssertEqual(model.configuration["head_dim"], .number(16), "4 heads of 16 on a width of 32")
            try fixture().assertMatchesTransformers(model, read: path)
            try fixture().assertCachedDecodingMatchesFullPasses(model)
        }
    }

    /// Fine-tuned, a Qwen3 saves as raise's checkpoint and as a Qwen3 HF folder (model_type, the head size, the
    /// query and key norms among the weights), and both read back to the same losses.
    func testAFineTunedQwen3SavesAndReloads() throws {
        let registry = try TinyModelFixture.registry()
        let model = try TinyModelFixture.model(registry, "llama:path=\"\(gguf)\",ctx=64")
        let queryNorm = model.parameters["model.layers.0.self_attn.q_norm.weight"].value
        let normBefore = Array(UnsafeBufferPointer(start: queryNorm.data, count: 16))
        let batch = try TinyModelFixture.fineTune(model, template: .chatml)
        XCTAssertNotEqual(Array(UnsafeBufferPointer(start: queryNorm.data, count: 16)), normBefore, "the query norm trains")

        let saved = try scratchFolder(self) + "/ckpt"
        try Checkpoint.saveModel(model, to: saved)
        XCTAssertEqual(try TinyModelFixture.model(registry, "llama:checkpoint=\(saved)").exampleLosses(batch), try model.exampleLosses(batch))
        let config = try JSONValue.readObject(path: saved + "/config.json")
        XCTAssertEqual(config["model_type"], .string("qwen3"))
        XCTAssertEqual(config["architectures"], .array([.string("Qwen3ForCausalLM")]))
        XCTAssertEqual(config["head_dim"], .number(16))
        try FileManager.default.moveItem(atPath: saved + "/tokenizer", toPath: saved + "-raise-tokenizer")
        XCTAssertEqual(try TinyModelFixture.model(registry, "llama:path=\(saved),ctx=64").exampleLosses(batch), try model.exampleLosses(batch),
                       "the HF folder reads back")
    }

    /// A GGUF file whose value heads are of another size than its key heads is refused, naming the key.
    func testAValueLengthOtherThanTheKeyLengthIsRefused() throws {
        let key = Array("qwen3.attention.value_length".utf8)
        let path = try TinyModelFixture.patchedCopy(of: gguf, replacing: key, at: key.count + 4, with: [8, 0, 0, 0], in: scratchFolder(self))
        assertThrows([path, "'qwen3.attention.value_length'", "not the key length 16"]) {
            _ = try TinyModelFixture.model(TinyModelFixture.registry(), "llama:path=\(path),ctx=64")
        }
    }

    /// The qwen3 template is ChatML with Qwen3's empty think block before the answer to the last question (in
    /// the prompt, as the generation prompt of its non-thinking mode has it), the answer's leading line breaks
    /// dropped; an answer with its own think block has it respaced and trained on when it is the last, dropped when it
    /// is an earlier one (as Qwen3's chat template writes them: the fixture's chats check it against transformers), and
    /// ChatML stays as it was.
    func testTheQwen3TemplateWritesTheEmptyThinkBlockBeforeTheLastAnswer() throws {
        func record(_ last: String) -> InstructionRecord {
            InstructionRecord(id: "chat", turns: [ChatTurn(.user, "Q1"), ChatTurn(.assistant, "A1"), ChatTurn(.user, "Q2"), ChatTurn(.assistant, last)],
                              source: SourceLocation(file: "t", line: 1), original: .text(""))
        }
        let pieces = PromptTemplate.qwen3.pieces(record("\nA2"), endOfResponse: "<|im_end|>")
        XCTAssertEqual(pieces.map(\.text).joined(), "<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n<|im_start|>user\nQ2<|im_end|>\n"
                       + "<|im_start|>assistant\n<think>\n\n</think>\n\nA2<|im_end|>\n")
        XCTAssertEqual(pieces.filter(\.trained).map(\.text), ["A1<|im_end|>", "A2<|im_end|>"])
        let reasoned = "<think>\n12 + 30 = 42\n</think>\n\nA2"
        XCTAssertEqual(PromptTemplate.qwen3.pieces(record(reasoned), endOfResponse: "<|im_end|>").filter(\.trained).last?.text, reasoned + "<|im_end|>")
        XCTAssertEqual(PromptTemplate.qwen3.pieces(record("<think>12 + 30 = 42</think>A2"), endOfResponse: "<|im_end|>").filter(\.trained).last?.text,
                       reasoned + "<|im_end|>", "respaced")
        XCTAssertEqual(PromptTemplate.qwen3.pieces(record("<think>r\r\n</think>\r\nA2"), endOfResponse: "<|im_end|>").filter(\.trained).last?.text,
                       "<think>\nr\r\n</think>\n\n\r\nA2<|im_end|>", "line feeds only are stripped, as Python's strip('\\n') strips them")
        let earlier = InstructionRecord(id: "chat", turns: [ChatTurn(.user, "Q1"), ChatTurn(.assistant, "<think>\nr\n</think>\n\nA1"), ChatTurn(.user, "Q2"),
                                                            ChatTurn(.assistant, "A2")], source: SourceLocation(file: "t", line: 1), original: .text(""))
        XCTAssertEqual(PromptTemplate.qwen3.pieces(earlier, endOfResponse: "<|im_end|>").filter(\.trained).map(\.text), ["A1<|im_end|>", "A2<|im_end|>"],
                       "an earlier answer's block dropped")
        XCTAssertFalse(PromptTemplate.chatml.pieces(record("A2"), endOfResponse: "<|im_end|>").map(\.text).joined().contains("<think>"))
    }
}
