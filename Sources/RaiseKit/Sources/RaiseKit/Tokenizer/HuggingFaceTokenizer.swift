// HuggingFaceTokenizer: a byte-level BPE read from a Hugging Face `tokenizer.json` — the file a model folder
// carries as the Hub ships it — with its roles from `tokenizer_config.json` beside it when present. Reads
// `model` (type BPE: vocab and merges, as "a b" strings or ["a", "b"] pairs), `added_tokens` (the special ones
// are matched as text) and the pre-tokenizer (GPT-2's ByteLevel, alone or after SmolLM2's single-digit split).
import Foundation

extension BytePairTokenizer {
    /// The tokenizer of a Hugging Face `tokenizer.json` at `path`.
    ///
    /// - Throws: `RaiseError.file` naming the file and the field that is missing, malformed or unsupported.
    public convenience init(huggingFace path: String) throws {
        let json = try JSONValue.readObject(path: path)
        func fail(_ detail: String) -> RaiseError { .file(path: path, detail: detail) }
        guard let model = json["model"]?.objectValue else { throw fail("field 'model' is missing") }
        guard model["type"]?.stringValue == "BPE" else {
            throw fail("field 'model.type' is \(model["type"]?.serialized ?? "missing"); raise reads byte-level BPE only")
        }
        guard let entries = model["vocab"]?.objectValue, let merges = model["merges"]?.arrayValue else {
            throw fail("field 'model.vocab' or 'model.merges' is missing")
        }
        var specials = [String: Int32]()
        for token in json["added_tokens"]?.arrayValue ?? [] {
            guard let object = token.objectValue, let content = object["content"]?.stringValue, let id = object["id"]?.intValue,
                  id >= 0, id < Int(BytePairTokenizer.maximumVocabulary) else {
                throw fail("field 'added_tokens': an entry without content or a valid id")
            }
            if object["special"] == .bool(true) { specials[content] = Int32(id) }
        }
        var vocabulary = [[UInt8]: Int32]()
        for token in entries.keys where specials[token] == nil {
            guard let id = entries[token]!.intValue, id >= 0, id < Int(BytePairTokenizer.maximumVocabulary) else {
                throw fail("field 'model.vocab': token '\(token)' has no valid id")
            }
            guard let bytes = ByteUnicode.bytes(of: token) else { throw fail("field 'model.vocab': token '\(token)' is not byte-level") }
            if vocabulary[bytes] == nil { vocabulary[bytes] = Int32(id) }
        }
        var mergeList = [([UInt8], [UInt8])]()
        for (index, merge) in merges.enumerated() {
            let parts = merge.stringValue.map { $0.split(separator: " ", omittingEmptySubsequences: false).map(String.init) }
                ?? merge.arrayValue?.compactMap(\.stringValue) ?? []
            guard parts.count == 2, let left = ByteUnicode.bytes(of: parts[0]), let right = ByteUnicode.bytes(of: parts[1]) else {
                throw fail("field 'model.merges': merge \(index + 1) is not two byte-level tokens")
            }
            mergeList.append((left, right))
        }
        let roles = try HuggingFaceTokenizerConfig(besides: path, specials: specials)
        try self.init(vocabulary: vocabulary, merges: mergeList, specials: specials,
                      preTokenizer: try HuggingFaceTokenizerConfig.preTokenizer(json["pre_tokenizer"], path: path), roles: roles.roles, name: path)
    }
}

/// The parts of a Hugging Face tokenizer that are not the vocabulary: roles and the pre-tokenizer.
struct HuggingFaceTokenizerConfig {
    /// BOS (only when the config adds it), EOS and PAD, by id; nil when there is no tokenizer_config.json.
    let roles: (bos: Int32?, eos: Int32?, pad: Int32?)?

    /// The roles named by tokenizer_config.json in the folder of `path`, if it is there.
    ///
    /// - Throws: `RaiseError.file` when it names a token that is not a special token.
    init(besides path: String, specials: [String: Int32]) throws {
        let configPath = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("tokenizer_config.json").path
        guard FileManager.default.fileExists(atPath: configPath) else {
            roles = nil
            return
        }
        let config = try JSONValue.readObject(path: configPath)
        func id(_ key: String) throws -> Int32? {
            guard let value = config[key], value != .null else { return nil }
            guard let text = value.stringValue ?? value.objectValue?["content"]?.stringValue, let id = specials[text] else {
                throw RaiseError.file(path: configPath, detail: "field '\(key)': \(value.serialized) is not one of the special tokens")
            }
            return id
        }
        let addsBOS = config["add_bos_token"] == .bool(true)
        roles = (addsBOS ? try id("bos_token") : nil, try id("eos_token"), try id("pad_token") ?? id("eos_token"))
    }

    /// The pre-tokenizer a `pre_tokenizer` field describes: ByteLevel alone is GPT-2's; a Sequence of a
    /// single-digit Digits split and ByteLevel is SmolLM2's.
    ///
    /// - Throws: `RaiseError.file` naming the field for any other.
    static func preTokenizer(_ value: JSONValue?, path: String) throws -> PreTokenizer {
        guard let object = value?.objectValue else { return .gpt2 }
        let steps = object["type"]?.stringValue == "Sequence" ? (object["pretokenizers"]?.arrayValue?.compactMap(\.objectValue) ?? []) : [object]
        let types = steps.compactMap { $0["type"]?.stringValue }
        if types == ["ByteLevel"] { return .gpt2 }
        if types == ["Digits", "ByteLevel"], steps[0]["individual_digits"] == .bool(true) { return .isolatedDigits }
        throw RaiseError.file(path: path, detail: "field 'pre_tokenizer' (\(types.joined(separator: ", "))) is not supported: raise reads "
                              + "GPT-2's ByteLevel, alone or after single-digit Digits")
    }
}
