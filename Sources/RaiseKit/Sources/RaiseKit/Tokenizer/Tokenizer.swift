// Tokenizer: text to token ids and back. Every model backend names the tokenizer it uses; prompt
// templates, features and rewards only see this protocol.

/// The special tokens of a vocabulary (absent ones are nil).
public struct SpecialTokens: Equatable, Sendable {
    /// Begins a sequence, when the vocabulary has such a token.
    public var bos: Int32?
    /// Ends a response (appended after every answer, and trained on).
    public var eos: Int32?
    /// Fills unused positions of a batch.
    public var pad: Int32?
    /// Every special token by its text (`<|endoftext|>`, `<|im_start|>`, …); `encode` maps these
    /// strings to their ids wherever they occur in the text.
    public var byText: [String: Int32]
    /// The ids of `byText` that their source does not call special: HF's added tokens with `special: false`
    /// and GGUF's user-defined tokens (Qwen2.5's `<tool_call>`). Matched as text all the same; HF keeps them
    /// when it decodes with `skip_special_tokens`.
    public var nonSpecial: Set<Int32>

    /// Special tokens with the given ids; none by default.
    public init(bos: Int32? = nil, eos: Int32? = nil, pad: Int32? = nil, byText: [String: Int32] = [:], nonSpecial: Set<Int32> = []) {
        self.bos = bos
        self.eos = eos
        self.pad = pad
        self.byText = byText
        self.nonSpecial = nonSpecial
    }
}

/// Converts between text and token ids.
public protocol Tokenizer: AnyObject {
    /// The number of ids (the largest id + 1).
    var vocabularySize: Int { get }
    /// The special tokens.
    var specialTokens: SpecialTokens { get }
    /// The ids of `text`; special-token strings become their ids. Never fails; a byte the vocabulary has
    /// no token for is dropped (GPT-2's and trained vocabularies have all 256).
    func encode(_ text: String) -> [Int32]
    /// The bytes that `ids` stand for (the exact inverse of `encode` on the concatenated text).
    func decodeBytes(_ ids: [Int32]) -> [UInt8]
}

extension Tokenizer {
    /// The text `ids` stand for; bytes that are not valid UTF-8 (a cut inside a character) become U+FFFD.
    public func decode(_ ids: [Int32]) -> String { String(decoding: decodeBytes(ids), as: UTF8.self) }
}
