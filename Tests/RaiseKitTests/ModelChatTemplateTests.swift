// ModelChatTemplate: a model's own chat template known by its markers, its default system prompt read from its
// literal, and raise writing the same chats as transformers' apply_chat_template writes with it
// (Tests/Fixtures/chat_templates/make_chat_template_references.py); read from GGUF files and HF folders.
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class ModelChatTemplateTests: XCTestCase {
    private func reference() throws -> JSONObject {
        try JSONValue.readObject(path: fixturesFolder + "/chat_templates/chat_templates_reference.json")
    }

    /// Each template raise knows writes, with the default system prompt read from the model's template, exactly
    /// the text Jinja renders for chats with and without a system turn, one turn or several.
    func testEachKnownTemplateWritesWhatItsModelsChatTemplateWrites() throws {
        let reference = try reference()
        let roles: [String: ChatRole] = ["system": .system, "user": .user, "assistant": .assistant]
        let records = try XCTUnwrap(reference["chats"]?.arrayValue).enumerated().map { index, chat in
            InstructionRecord(id: "chat \(index)", turns: try XCTUnwrap(chat.arrayValue).compactMap(\.objectValue).map {
                ChatTurn(roles[$0["role"]!.stringValue!]!, $0["content"]!.stringValue!)
            }, source: SourceLocation(file: "t", line: index + 1), original: .text(""))
        }
        let chatml = try BytePairTokenizer(huggingFace: fixturesFolder + "/qwen2/tiny-qwen2/tokenizer.json")
        let llama3 = try BytePairTokenizer(huggingFace: fixturesFolder + "/llama3/tiny-llama3/tokenizer.json")
        let expected: [String: (PromptTemplate?, String?)] = [
            "SmolLM2-135M-Instruct": (.chatml, "You are a helpful AI assistant named SmolLM, trained by Hugging Face"),
            "Qwen2.5-Instruct": (.chatml, "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."),
            "Qwen3": (.qwen3, nil), "Meta-Llama-3-Instruct": (.llama3, nil), "Llama-3.1-Instruct": (.llama31, nil),
            "Llama-3.2-Instruct": (.llama31, nil), "an [INST] template": (nil, nil),
        ]
        let templates = try XCTUnwrap(reference["templates"]?.arrayValue).compactMap(\.objectValue)
        XCTAssertEqual(Set(templates.compactMap { $0["name"]?.stringValue }), Set(expected.keys))
        for entry in templates {
            let name = try XCTUnwrap(entry["name"]?.stringValue)
            let chat = ModelChatTemplate(source: try XCTUnwrap(entry["source"]?.stringValue), origin: name)
            XCTAssertEqual(chat.promptTemplate, expected[name]?.0, name)
            XCTAssertEqual(chat.defaultSystemPrompt, expected[name]?.1, name)
            XCTAssertNil(chat.unrenderedPart, name)
            guard let template = chat.promptTemplate else { continue }
            let formatter = try PromptFormatter(template: template, tokenizer: template.rawValue.hasPrefix("llama") ? llama3 : chatml, maxLength: 512,
                                                defaultSystemPrompt: chat.defaultSystemPrompt)
            let rendered = try XCTUnwrap(entry["rendered"]?.arrayValue).compactMap(\.stringValue)
            XCTAssertEqual(rendered.count, records.count, name)
            for (record, text) in zip(records, rendered) {
                XCTAssertEqual(formatter.pieces(record, endOfResponse: "").map(\.text).joined(), text, "\(name), \(record.id)")
            }
        }
    }

    /// The default system prompt opens a chat without a system turn only: a chat's own system turn stays, a
    /// document gets none, and the prompt is no answer (it is not trained).
    func testTheDefaultSystemPromptOpensOnlyAChatWithoutOne() throws {
        let tokenizer = try BytePairTokenizer(huggingFace: fixturesFolder + "/qwen2/tiny-qwen2/tokenizer.json")
        let formatter = try PromptFormatter(template: .chatml, tokenizer: tokenizer, maxLength: 256, defaultSystemPrompt: "Be brief.")
        func record(_ turns: [ChatTurn]) -> InstructionRecord {
            InstructionRecord(id: "r", turns: turns, source: SourceLocation(file: "t", line: 1), original: .text(""))
        }
        let plain = formatter.pieces(record([ChatTurn(.user, "Hi"), ChatTurn(.assistant, "Hello")]), endOfResponse: "")
        XCTAssertEqual(plain.first?.text, "<|im_start|>system\nBe brief.<|im_end|>\n")
        XCTAssertEqual(plain.filter(\.trained).map(\.text), ["Hello<|im_end|>"])
        let own = formatter.pieces(record([ChatTurn(.system, "Be long."), ChatTurn(.user, "Hi"), ChatTurn(.assistant, "Hello")]), endOfResponse: "")
        XCTAssertEqual(own.first?.text, "<|im_start|>system\nBe long.<|im_end|>\n")
        XCTAssertFalse(own.map(\.text).joined().contains("Be brief."))
        let document = formatter.pieces(record([ChatTurn(.assistant, "A text.")]), endOfResponse: "")
        XCTAssertFalse(document.map(\.text).joined().contains("Be brief."))
        let without = try PromptFormatter(template: .chatml, tokenizer: tokenizer, maxLength: 256)
        let example = try XCTUnwrap(formatter.example(record([ChatTurn(.user, "Hi"), ChatTurn(.assistant, "Hello")])))
        let plainExample = try XCTUnwrap(without.example(record([ChatTurn(.user, "Hi"), ChatTurn(.assistant, "Hello")])))
        XCTAssertGreaterThan(example.ids.count, plainExample.ids.count)
        XCTAssertEqual(example.lossMask.filter { $0 == 1 }.count, plainExample.lossMask.filter { $0 == 1 }.count, "the same answer tokens trained")
    }

    /// A Llama template that dates its system turn otherwise than Llama 3.1's (another cut-off, no date) is still
    /// known as llama3, and what it writes beyond it said. The default prompt is read from a literal with Jinja's
    /// escapes, and never from a literal the chat's own content continues.
    func testWhatATemplateWritesBeyondRaisesIsNamed() {
        for cutOff in ["{{- \"Cutting Knowledge Date: December 2023\\n\" }}",
                       "{{- \"Cutting Knowledge Date: September 2025\\n\" }}{{- \"Today Date: \" + date_string }}{%- set date_string = \"26 Jul 2024\" %}"] {
            let dated = ModelChatTemplate(source: "{{- bos_token }}{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}" + cutOff
                                          + "{{- '<|eot_id|>' }}", origin: "t")
            XCTAssertEqual(dated.promptTemplate, .llama3, cutOff)
            XCTAssertNotNil(dated.unrenderedPart, cutOff)
        }
        let escaped = ModelChatTemplate(source: "{{ '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>' }}"
                                        + "{{ \"<|im_start|>system\\nYou\\'re \\\"kind\\\".\\tOK<|im_end|>\\n\" }}", origin: "t")
        XCTAssertEqual(escaped.defaultSystemPrompt, "You're \"kind\".\tOK")
        XCTAssertNil(ModelChatTemplate(source: "{{ '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>' }}", origin: "t").defaultSystemPrompt)
    }

    /// Read from a GGUF's tokenizer.chat_template, an HF folder's chat_template.jinja or tokenizer_config.json (a
    /// text, or the template named "default" of a list); none where there is none; refused naming the file.
    func testTheTemplateIsReadFromGGUFFilesAndHuggingFaceFolders() throws {
        let folder = try scratchFolder(self)
        var gguf = GGUFBuilder()
        gguf.header(tensors: 0, keys: 1)
        gguf.string("tokenizer.chat_template")
        gguf.u32(8)  // a string
        gguf.string("{{ '<|im_start|>' + message['role'] + '<|im_end|>' }}")
        let chat = try XCTUnwrap(ModelChatTemplate.read(gguf: gguf.write(self)))
        XCTAssertEqual(chat.promptTemplate, .chatml)
        XCTAssertTrue(chat.origin.hasPrefix("tokenizer.chat_template of "))
        var none = GGUFBuilder()
        none.header(tensors: 0, keys: 0)
        XCTAssertNil(try ModelChatTemplate.read(gguf: none.write(self)))
        var number = GGUFBuilder()
        number.header(tensors: 0, keys: 1)
        number.string("tokenizer.chat_template")
        number.u32(4)  // a 32-bit unsigned integer
        number.u32(7)
        let numberPath = try number.write(self)
        assertThrows([numberPath, "tokenizer.chat_template", "not a string"]) { _ = try ModelChatTemplate.read(gguf: numberPath) }

        XCTAssertNil(try ModelChatTemplate.read(folder: folder))
        let config = folder + "/tokenizer_config.json"
        try #"{"chat_template": [{"name": "tool_use", "template": "x"}, {"name": "default", "template": "<|start_header_id|><|eot_id|>"}]}"#
            .write(toFile: config, atomically: true, encoding: .utf8)
        XCTAssertEqual(try ModelChatTemplate.read(folder: folder)?.promptTemplate, .llama3)
        try #"{"chat_template": "<|im_start|><|im_end|>enable_thinking"}"#.write(toFile: config, atomically: true, encoding: .utf8)
        XCTAssertEqual(try ModelChatTemplate.read(folder: folder)?.promptTemplate, .qwen3)
        try "<|im_start|><|im_end|>".write(toFile: folder + "/chat_template.jinja", atomically: true, encoding: .utf8)
        XCTAssertEqual(try ModelChatTemplate.read(folder: folder)?.promptTemplate, .chatml, "chat_template.jinja first, as transformers reads it")
        try FileManager.default.removeItem(atPath: folder + "/chat_template.jinja")
        try #"{"chat_template": 3}"#.write(toFile: config, atomically: true, encoding: .utf8)
        assertThrows([config, "chat_template"]) { _ = try ModelChatTemplate.read(folder: folder) }
    }

    /// raise's own chat templates, as a saved model carries them for transformers, are known again as the same
    /// template with the same default system prompt (escapes and all); alpaca and plain have none.
    func testRaisesOwnChatTemplatesAreKnownAgain() {
        for template in [PromptTemplate.chatml, .qwen3, .llama3, .llama31] {
            for prompt in [nil, "Be brief.", "It's \"fine\":\n\ta \\ b."] {
                let source = template.chatTemplate(defaultSystemPrompt: prompt)
                let chat = ModelChatTemplate(source: source ?? "", origin: "t")
                XCTAssertEqual(chat.promptTemplate, template, "\(template) \(prompt ?? "-")")
                XCTAssertEqual(chat.defaultSystemPrompt, prompt, "\(template) \(prompt ?? "-")")
            }
        }
        XCTAssertNil(PromptTemplate.alpaca.chatTemplate(defaultSystemPrompt: nil))
        XCTAssertNil(PromptTemplate.plain.chatTemplate(defaultSystemPrompt: "x"))
    }
}
