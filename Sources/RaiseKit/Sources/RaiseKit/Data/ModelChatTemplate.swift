// ModelChatTemplate: the chat template a model carries — the Jinja text of a GGUF's tokenizer.chat_template, or
// of an HF folder's chat_template.jinja or tokenizer_config.json — and what raise makes of it: which of raise's
// prompt templates writes the same chats, and the system prompt it gives a chat that has none. raise runs no
// Jinja: it knows the templates by the markers they write and reads the default system prompt from its literal.
import Foundation

/// A model's own chat template, where it was found, and the raise prompt template that renders its chats.
public struct ModelChatTemplate: Sendable {
    /// The template's Jinja text.
    public let source: String
    /// Where it was read, for messages: "tokenizer.chat_template of FILE" or a file's path.
    public let origin: String

    /// A chat template read from `origin`.
    public init(source: String, origin: String) {
        self.source = source
        self.origin = origin
    }

    /// The chat template of the GGUF file at `path`, or nil when it has none.
    ///
    /// - Throws: `RaiseError.file` when the file is no GGUF, or its `tokenizer.chat_template` is not a string.
    public static func read(gguf path: String) throws -> ModelChatTemplate? {
        let key = "tokenizer.chat_template"
        guard let value = try GGUFFile(path: path).metadata[key] else { return nil }
        guard let source = value.stringValue else { throw RaiseError.file(path: path, detail: "metadata '\(key)' is not a string") }
        return ModelChatTemplate(source: source, origin: "\(key) of \(path)")
    }

    /// The chat template of the Hugging Face folder `directory`: its chat_template.jinja, else the `chat_template`
    /// of its tokenizer_config.json (a text, or the one named "default" of a list of named templates); nil when
    /// it has neither.
    ///
    /// - Throws: `RaiseError.file` naming the file that cannot be read, or whose `chat_template` is neither.
    public static func read(folder directory: String) throws -> ModelChatTemplate? {
        let jinja = directory + "/chat_template.jinja"
        if FileManager.default.fileExists(atPath: jinja) {
            return ModelChatTemplate(source: try String(contentsOfFile: jinja, encoding: .utf8), origin: jinja)
        }
        let config = directory + "/tokenizer_config.json"
        guard FileManager.default.fileExists(atPath: config), let value = try JSONValue.readObject(path: config)["chat_template"] else {
            return nil
        }
        if let source = value.stringValue { return ModelChatTemplate(source: source, origin: "chat_template of \(config)") }
        let named = value.arrayValue?.compactMap(\.objectValue).first { $0["name"]?.stringValue == "default" }
        guard let source = named?["template"]?.stringValue else {
            throw RaiseError.file(path: config, detail: "field 'chat_template' is neither a text nor a list holding one named \"default\"")
        }
        return ModelChatTemplate(source: source, origin: "chat_template \"default\" of \(config)")
    }

    /// The raise template that writes what this one writes for chats of system, user and assistant turns, told by
    /// its markers: Llama 3's headers, Llama 3.1's when it writes its dated system turn (its cut-off "December 2023"
    /// and its date "26 Jul 2024"); ChatML's turns, Qwen3's when it has the switch for its empty think block
    /// (`enable_thinking`); nil for any other (Mistral's [INST], Gemma's, Phi's turns…).
    public var promptTemplate: PromptTemplate? {
        if source.contains("<|start_header_id|>") && source.contains("<|eot_id|>") {
            let dated = [PromptTemplate.llama31CutOff, PromptTemplate.llama31DateLabel, PromptTemplate.llama31Date].allSatisfy(source.contains)
            return dated ? .llama31 : .llama3
        }
        guard source.contains("<|im_start|>") && source.contains("<|im_end|>") else { return nil }
        return source.contains("enable_thinking") ? .qwen3 : .chatml
    }

    /// The system prompt the template writes when a chat brings none — SmolLM2's "You are a helpful AI assistant
    /// named SmolLM, …", Qwen2.5's "You are Qwen, …": the text of its one string literal that holds a whole system
    /// turn, `'<|im_start|>system\n…<|im_end|>'` (or Llama 3's `'<|start_header_id|>system<|end_header_id|>\n\n…<|eot_id|>'`).
    /// Llama 3.1's turn begins with its dated preamble, which is not part of the prompt. Nil when there is none
    /// (Qwen3's, Llama 3's, Llama 3.1's).
    public var defaultSystemPrompt: String? {
        let template = promptTemplate
        let (opening, newlines, closing) = template == .llama3 || template == .llama31
            ? ("<|start_header_id|>system<|end_header_id|>", 2, "<|eot_id|>") : ("<|im_start|>system", 1, "<|im_end|>")
        var rest = source[...]
        scan: while let start = rest.range(of: opening) {
            defer { rest = rest[start.upperBound...] }
            guard let quote = rest[..<start.lowerBound].last, quote == "'" || quote == "\"" else { continue }
            var text = Self.literal(rest[start.upperBound...], closedBy: quote)
            for _ in 0..<newlines {  // the turn's header ends with its line breaks, escaped or not
                if text.hasPrefix("\\n") { text = text.dropFirst(2) } else if text.hasPrefix("\n") { text = text.dropFirst() } else { continue scan }
            }
            guard let end = text.range(of: closing) else { continue }
            var prompt = Self.unescaped(text[..<end.lowerBound])
            if template == .llama31, prompt.hasPrefix(PromptTemplate.llama31SystemPreamble) {
                prompt.removeFirst(PromptTemplate.llama31SystemPreamble.count)
            }
            if !prompt.isEmpty { return prompt }
        }
        return nil
    }

    /// What this template writes that raise's template does not, when known: a Llama template that writes a dated
    /// system turn ("Cutting Knowledge Date: …") other than Llama 3.1's.
    public var unrenderedPart: String? {
        promptTemplate == .llama3 && source.contains("Cutting Knowledge Date")
            ? "the system turn it writes with a knowledge cut-off and a date other than Llama 3.1's" : nil
    }

    /// The rest of a Jinja string literal from `text` on: up to its closing `quote` (an escaped one is part of it).
    static func literal(_ text: Substring, closedBy quote: Character) -> Substring {
        var escaped = false
        for index in text.indices {
            if escaped {
                escaped = false
            } else if text[index] == "\\" {
                escaped = true
            } else if text[index] == quote {
                return text[..<index]
            }
        }
        return text
    }

    /// A Jinja string literal's text without its escapes (\n, \t, \', \", \\).
    static func unescaped(_ literal: Substring) -> String {
        var text = "", escaped = false
        for character in literal {
            if escaped {
                switch character {
                case "n": text.append("\n")
                case "t": text.append("\t")
                default: text.append(character)
                }
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                text.append(character)
            }
        }
        return text
    }
}
