// PromptTemplateJinja: raise's chat templates written as the Jinja chat templates transformers runs, so that a model
// saved for transformers after training in one of them has `apply_chat_template` write what raise wrote. Only the
// chat templates: alpaca and plain are no chat format a tokenizer carries.
import Foundation

extension PromptTemplate {
    /// This template as a Jinja chat template — giving a chat without a system turn `defaultSystemPrompt` when one is
    /// given, and a generation prompt when asked — or nil for alpaca and plain. `ModelChatTemplate` knows it again:
    /// the same template and default system prompt.
    public func chatTemplate(defaultSystemPrompt: String?) -> String? {
        switch self {
        case .chatml, .qwen3:
            let system = defaultSystemPrompt.map {
                "{%- if messages[0]['role'] != 'system' %}{{- '<|im_start|>system\\n" + Self.jinjaText($0) + "<|im_end|>\\n' }}{%- endif %}"
            } ?? ""
            guard self == .qwen3 else {
                return system + "{%- for message in messages %}{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + "
                    + "'<|im_end|>\\n' }}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
            }
            // An answer's think block is split off; the answer to the last question is written after it (an empty one
            // when it has none), an earlier answer without it (PromptTemplate.qwen3Answer).
            return system + "{%- for message in messages %}{%- set content = message['content'] %}{%- if message['role'] == 'assistant' %}"
                + "{%- set is_final = loop.last and loop.index0 > 0 and messages[loop.index0 - 1]['role'] == 'user' %}{%- set block = '' %}"
                + "{%- if '</think>' in content %}"
                + "{%- set block = ((content.split('</think>')|first).rstrip('\\n').split('<think>')|last).strip('\\n') %}"
                + "{%- set content = (content.split('</think>')|last).lstrip('\\n') %}{%- endif %}"
                + "{%- if is_final %}{%- set content = '<think>\\n' + block + '\\n</think>\\n\\n' + content.lstrip('\\n') %}{%- endif %}"
                + "{%- endif %}{{- '<|im_start|>' + message['role'] + '\\n' + content + '<|im_end|>\\n' }}{%- endfor %}"
                + "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}"
                + "{%- if enable_thinking is not defined or enable_thinking is false %}{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}{%- endif %}"
        case .llama3, .llama31:
            let header = "<|start_header_id|>system<|end_header_id|>\\n\\n" + (self == .llama31 ? Self.jinjaText(Self.llama31SystemPreamble) : "")
            let defaultTurn = defaultSystemPrompt.map { "{{- '" + header + Self.jinjaText($0.trimmingCharacters(in: .whitespacesAndNewlines)) + "<|eot_id|>' }}" }
            // Llama 3.1's system turn is always written: the chat's own system prompt after the preamble, else the default.
            let system = self == .llama31
                ? "{%- if messages[0]['role'] == 'system' %}{{- '" + header + "' + messages[0]['content'] | trim + '<|eot_id|>' }}{%- else %}"
                    + (defaultTurn ?? "{{- '" + header + "<|eot_id|>' }}") + "{%- endif %}"
                : defaultTurn.map { "{%- if messages[0]['role'] != 'system' %}" + $0 + "{%- endif %}" } ?? ""
            let turn = "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}"
            let turns = self == .llama31 ? "{%- if not (loop.first and message['role'] == 'system') %}" + turn + "{%- endif %}" : turn
            return "{{- '<|begin_of_text|>' }}" + system + "{%- for message in messages %}" + turns + "{%- endfor %}"
                + "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}"
        case .alpaca, .plain:
            return nil
        }
    }

    /// `text` escaped for a single-quoted Jinja string literal.
    static func jinjaText(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "\\": escaped += "\\\\"
            case "'": escaped += "\\'"
            case "\n": escaped += "\\n"
            case "\t": escaped += "\\t"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
