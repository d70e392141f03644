// PromptTemplate: turns a record into token ids and the loss mask that is 1 exactly on the response
// tokens (and the end token that closes each response). Each piece of text is tokenized on its own,
// so the mask follows the template's pieces exactly. Too long an example loses prompt tokens from
// the left first, then response tokens from the right; one left with no response token is skipped.
import Foundation

/// The prompt formats raise can train with.
public enum PromptTemplate: String, CaseIterable, Sendable {
    /// Stanford Alpaca's instruction / input / response layout.
    case alpaca
    /// ChatML: <|im_start|>role … <|im_end|> turns (the tokenizer needs those two special tokens).
    case chatml
    /// Qwen3's ChatML, in its non-thinking mode: the answer to the last question begins with an empty
    /// <think>\n\n</think>\n\n block (in the prompt), as Qwen3's chat template writes it and its generation
    /// prompt asks for it. An answer with a think block of its own (one closed by </think>) is rewritten as that
    /// template rewrites it: the last answer's block respaced (and trained on), earlier answers' blocks dropped.
    case qwen3
    /// Llama 3's chat: <|begin_of_text|>, then <|start_header_id|>role<|end_header_id|> turns, each closed by
    /// <|eot_id|>, their texts trimmed, as Llama 3 Instruct's chat template renders them.
    case llama3
    /// Llama 3.1's chat (also 3.2's and 3.3's): Llama 3's, with a system turn that always opens the chat with the
    /// model's knowledge cut-off and a date — `llama31SystemPreamble`, then the chat's own system prompt, if any —
    /// as their chat templates write it with the date they fall back to.
    case llama31 = "llama3.1"
    /// The instruction (and input) on its own line, then the response; a text document as it is.
    case plain

    /// An answer as Qwen3's chat template writes it, and what ends the prompt before it. Its think block — the text
    /// before the first </think>, after the last <think> in it — is split from the answer proper (after the last
    /// </think>); the answer to the last question is written `<think>\n` block `\n</think>\n\n` answer (the block an
    /// empty one, in the prompt, when it has none), an earlier answer without its block. Line breaks around each
    /// part are dropped as the template's strip, lstrip and rstrip drop them.
    static func qwen3Answer(_ content: String, isFinal: Bool) -> (promptEnd: String, answer: String) {
        func dropLineBreaks<S: StringProtocol>(_ text: S, leading: Bool = true, trailing: Bool = true) -> String {
            var scalars = Substring(text).unicodeScalars[...]  // by scalar, as Python strips: "\r\n" loses its "\n" only
            while leading, scalars.first == "\n" { scalars = scalars.dropFirst() }
            while trailing, scalars.last == "\n" { scalars = scalars.dropLast() }
            return String(String.UnicodeScalarView(scalars))
        }
        guard let firstClose = content.range(of: "</think>"), let lastClose = content.range(of: "</think>", options: .backwards) else {
            return isFinal ? ("<think>\n\n</think>\n\n", dropLineBreaks(content, trailing: false)) : ("", content)
        }
        let answer = dropLineBreaks(content[lastClose.upperBound...], trailing: false)
        guard isFinal else { return ("", answer) }
        let block = dropLineBreaks(content[..<firstClose.lowerBound], leading: false).components(separatedBy: "<think>").last ?? ""
        return ("", "<think>\n" + dropLineBreaks(block) + "\n</think>\n\n" + answer)
    }

    /// The parts of Llama 3.1's dated system turn, as its chat template writes them: its knowledge cut-off, the
    /// label of the date, and the date it writes when given none.
    static let llama31CutOff = "Cutting Knowledge Date: December 2023", llama31DateLabel = "Today Date: ", llama31Date = "26 Jul 2024"

    /// What Llama 3.1's system turn opens with: its knowledge cut-off, and the date its chat template writes when
    /// given none (transformers gives Llama 3.2's template the day of rendering instead: pass `date_string="26 Jul
    /// 2024"` to `apply_chat_template` to write this).
    public static let llama31SystemPreamble = llama31CutOff + "\n" + llama31DateLabel + llama31Date + "\n\n"

    static let alpacaHeader = "Below is an instruction that describes a task. Write a response that appropriately completes the request."
    static let alpacaHeaderWithInput = "Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request."

    /// The special tokens the template writes.
    var markers: [String] {
        switch self {
        case .chatml, .qwen3: ["<|im_start|>", "<|im_end|>"]
        case .llama3, .llama31: ["<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
        case .alpaca, .plain: []
        }
    }

    /// The tokens that close an answer in the chat templates, whatever the tokenizer's end of sequence: where
    /// generation stops.
    public static let endOfTurnMarkers = ["<|im_end|>", "<|eot_id|>"]

    /// The first special token the template needs that `tokenizer` lacks (a chat template's markers), if any.
    public func missingMarker(in tokenizer: any Tokenizer) -> String? {
        markers.first { tokenizer.specialTokens.byText[$0] == nil }
    }

    /// Whether `tokenizer` has every special token the template needs.
    public func isReadable(by tokenizer: any Tokenizer) -> Bool { missingMarker(in: tokenizer) == nil }

    /// The record as text pieces, each marked trained (response) or not (prompt).
    public func pieces(_ record: InstructionRecord, endOfResponse: String) -> [(text: String, trained: Bool)] {
        var pieces = [(text: String, trained: Bool)]()
        let system = record.turns.first { $0.role == .system }?.content
        let dialogue = record.turns.filter { $0.role != .system }
        switch self {
        case .alpaca:
            var first = true
            for turn in dialogue {
                if turn.role == .user {
                    let header = system ?? (record.input.isEmpty ? PromptTemplate.alpacaHeader : PromptTemplate.alpacaHeaderWithInput)
                    var text = first ? header + "\n\n" : "\n\n"
                    text += "### Instruction:\n" + turn.content + "\n\n"
                    if first && !record.input.isEmpty { text += "### Input:\n" + record.input + "\n\n" }
                    pieces.append((text + "### Response:\n", false))
                    first = false
                } else {
                    pieces.append((turn.content + endOfResponse, true))
                }
            }
        case .chatml, .qwen3:
            if let system { pieces.append(("<|im_start|>system\n" + system + "<|im_end|>\n", false)) }
            let messages = record.chatTurns.filter { $0.role != .system }
            // Qwen3's last answer, rewritten once: its think block, or an empty one ending the prompt before it.
            let last = self == .qwen3 && messages.last?.role == .assistant ? Self.qwen3Answer(messages.last!.content, isFinal: true) : nil
            for (index, turn) in messages.enumerated() {
                if turn.role == .user {
                    let prompt = "<|im_start|>user\n" + turn.content + "<|im_end|>\n<|im_start|>assistant\n"
                    pieces.append((prompt + (index == messages.count - 2 ? last?.promptEnd ?? "" : ""), false))
                } else {
                    let answer = index == messages.count - 1 ? last?.answer
                        : self == .qwen3 ? Self.qwen3Answer(turn.content, isFinal: false).answer : nil
                    pieces.append(((answer ?? turn.content) + "<|im_end|>", true))
                    pieces.append(("\n", false))
                }
            }
        case .llama3, .llama31:
            func header(_ role: String) -> String { "<|start_header_id|>" + role + "<|end_header_id|>\n\n" }
            func trimmed(_ text: String) -> String { text.trimmingCharacters(in: .whitespacesAndNewlines) }
            let dated = self == .llama31 && dialogue.contains { $0.role == .user }  // a chat, not a document
            let systemTurn = dated ? Self.llama31SystemPreamble + trimmed(system ?? "") : system.map(trimmed)
            var prompt = "<|begin_of_text|>" + (systemTurn.map { header("system") + $0 + "<|eot_id|>" } ?? "")
            for turn in record.chatTurns where turn.role != .system {
                if turn.role == .user {
                    prompt += header("user") + trimmed(turn.content) + "<|eot_id|>" + header("assistant")
                    pieces.append((prompt, false))
                    prompt = ""
                } else {
                    pieces.append((trimmed(turn.content) + "<|eot_id|>", true))
                }
            }
        case .plain:
            for turn in dialogue {
                if turn.role == .user {
                    pieces.append((turn.content + (record.input.isEmpty ? "" : "\n" + record.input) + "\n", false))
                } else {
                    pieces.append((turn.content + endOfResponse, true))
                }
            }
        }
        return pieces
    }
}

/// Tokenizes records with a template, a tokenizer and a maximum length.
public struct PromptFormatter {
    public let template: PromptTemplate
    public let tokenizer: any Tokenizer
    /// The longest example produced, in tokens.
    public let maxLength: Int
    /// The system turn given to a chat that brings none (a model's own chat template may write one), if any.
    public let defaultSystemPrompt: String?

    /// A formatter; `defaultSystemPrompt`, when given, opens every chat that has no system turn of its own.
    ///
    /// - Throws: `RaiseError.invalidArgument` when the tokenizer lacks what the template needs (an EOS
    ///   token; ChatML's markers) or `maxLength` is below 2.
    public init(template: PromptTemplate, tokenizer: any Tokenizer, maxLength: Int, defaultSystemPrompt: String? = nil) throws {
        guard maxLength >= 2 else { throw RaiseError.invalidArgument(name: "max length", detail: "\(maxLength) is below 2") }
        guard let eos = tokenizer.specialTokens.eos, tokenizer.specialTokens.byText.values.contains(eos) else {
            throw RaiseError.invalidArgument(name: "template \(template.rawValue)", detail: "the tokenizer has no end-of-sequence special token (every response ends with its text)")
        }
        if let marker = template.missingMarker(in: tokenizer) {
            throw RaiseError.invalidArgument(name: "template \(template.rawValue)", detail: "the tokenizer has no \(marker) special token")
        }
        self.template = template
        self.tokenizer = tokenizer
        self.maxLength = maxLength
        self.defaultSystemPrompt = defaultSystemPrompt
    }

    /// The record as the template's text pieces, each marked trained (response) or not (prompt), after the
    /// default system prompt is given to a chat that has no system turn (a document is left as it is).
    public func pieces(_ record: InstructionRecord, endOfResponse: String) -> [(text: String, trained: Bool)] {
        var record = record
        if let defaultSystemPrompt, record.turns.contains(where: { $0.role == .user }), !record.turns.contains(where: { $0.role == .system }) {
            record.turns.insert(ChatTurn(.system, defaultSystemPrompt), at: 0)
        }
        return template.pieces(record, endOfResponse: endOfResponse)
    }

    /// The record's ids and answer mask, or nil when no response token survives truncation.
    public func example(_ record: InstructionRecord) -> TokenizedExample? {
        let example = tokenized(record)
        return example.lossMask.contains(1) ? example : nil
    }

    /// The record's ids and answer mask, cut to `maxLength` from the left (keeping the response) and then
    /// from the right; the mask may be all zeros when the response did not fit.
    public func tokenized(_ record: InstructionRecord) -> TokenizedExample { fitted(record).example }

    /// The record's ids and answer mask as `tokenized` makes them, and what the cut to `maxLength` removed.
    /// A document's leading BOS is no prompt: losing it counts as no cut to the prompt.
    public func fitted(_ record: InstructionRecord) -> (example: TokenizedExample, cut: ContextCut) {
        let specials = tokenizer.specialTokens
        let endText = specials.byText.first { $0.value == specials.eos! }!.key
        var ids = [Int32](), mask = [Float]()
        var promptStart = 0  // where the prompt begins: after a document's BOS
        if record.turns.allSatisfy({ $0.role != .user }), let bos = specials.bos {  // a document: BOS makes its first token predictable
            ids.append(bos)
            mask.append(0)
            promptStart = 1
        }
        for piece in pieces(record, endOfResponse: endText) {
            let pieceIDs = tokenizer.encode(piece.text)
            ids += pieceIDs
            mask += Array(repeating: piece.trained ? 1 : 0, count: pieceIDs.count)
        }
        var cut: ContextCut = []
        if ids.count > maxLength {
            let excess = ids.count - maxLength
            let firstTrained = mask.firstIndex(of: 1) ?? ids.count
            let fromLeft = min(excess, firstTrained)
            ids.removeFirst(fromLeft)
            mask.removeFirst(fromLeft)
            ids.removeLast(excess - fromLeft)
            mask.removeLast(excess - fromLeft)
            let (promptRemoved, promptLength) = (max(0, fromLeft - promptStart), firstTrained - promptStart)
            if promptRemoved > 0 { cut.insert(promptRemoved == promptLength ? .wholePrompt : .promptStart) }
            if excess > fromLeft { cut.insert(.answerEnd) }
        }
        if !mask.isEmpty { mask[0] = 0 }  // nothing precedes the first token
        return (TokenizedExample(ids: ids, lossMask: mask), cut)
    }

    /// The examples of `records`, and the ids of those skipped for having no response token left.
    public func examples(_ records: [InstructionRecord]) -> (examples: [TokenizedExample], skipped: [String]) {
        let fit = fit(records), kept = Set(fit.positions)
        return (fit.examples, records.indices.filter { !kept.contains($0) }.map { records[$0].id })
    }

    /// The examples of those `records` that keep a response token, the records' positions in `records`, and
    /// the tally of what the context cut from them.
    public func fit(_ records: [InstructionRecord]) -> (positions: [Int], examples: [TokenizedExample], cuts: ContextCuts) {
        var positions = [Int](), examples = [TokenizedExample](), cuts = ContextCuts(context: maxLength - 1)
        for (i, record) in records.enumerated() {
            let (example, cut) = fitted(record)
            guard example.lossMask.contains(1) else { continue }
            positions.append(i)
            examples.append(example)
            cuts.add(cut)
        }
        return (positions, examples, cuts)
    }
}
