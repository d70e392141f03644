// HuggingFaceTokenizer: a byte-level BPE read from a Hugging Face `tokenizer.json` — the file a model folder
// carries as the Hub ships it — with its roles from `tokenizer_config.json` beside it when present. Reads
// `model` (type BPE: vocab and merges, as "a b" strings or ["a", "b"] pairs, and Llama 3's `ignore_merges`),
// `added_tokens` (matched as text, special or not, as HF tokenizers matches them: Qwen2.5's `<tool_call>` is
// one token) and the pre-tokenizer (GPT-2's ByteLevel, alone or after SmolLM2's single-digit split, Qwen2's
// split pattern after its NFC normalizer, or Llama 3's), and the post-processor's template, which decides BOS
// as it does in transformers.
// Writes the same two files, so that a model folder raise saves loads in transformers (`AutoTokenizer`).
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
        var specials = [String: Int32](), addedByID = [Int32: String](), nonSpecial = Set<Int32>()
        for token in json["added_tokens"]?.arrayValue ?? [] {
            guard let object = token.objectValue, let content = object["content"]?.stringValue, let id = object["id"]?.intValue,
                  id >= 0, id < Int(BytePairTokenizer.maximumVocabulary) else {
                throw fail("field 'added_tokens': an entry without content or a valid id")
            }
            guard specials[content] == nil, addedByID[Int32(id)] == nil else {
                throw fail("field 'added_tokens': '\(content)' (id \(id)) repeats the text or the id of an earlier entry")
            }
            specials[content] = Int32(id)
            addedByID[Int32(id)] = content
            if object["special"] == .bool(false) { nonSpecial.insert(Int32(id)) }
        }
        var vocabulary = [[UInt8]: Int32](), tokenOfID = [Int32: String]()
        for token in entries.keys where specials[token] == nil {
            guard let id = entries[token]!.intValue, id >= 0, id < Int(BytePairTokenizer.maximumVocabulary) else {
                throw fail("field 'model.vocab': token '\(token)' has no valid id")
            }
            guard let bytes = ByteUnicode.bytes(of: token) else { throw fail("field 'model.vocab': token '\(token)' is not byte-level") }
            if let added = addedByID[Int32(id)] {
                throw fail("field 'model.vocab': token '\(token)' has id \(id), which the added token '\(added)' holds")
            }
            if let other = tokenOfID.updateValue(token, forKey: Int32(id)) {
                throw fail("field 'model.vocab': tokens '\(other)' and '\(token)' have the same id \(id)")
            }
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
        guard let ignoresMerges = (model["ignore_merges"] ?? .bool(false)).boolValue else {
            throw fail("field 'model.ignore_merges' is \(model["ignore_merges"]!.serialized), not true or false")
        }
        var roles = try HuggingFaceTokenizerConfig(besides: path, specials: specials).roles
        if let template = try HuggingFaceTokenizerConfig.templatePrefix(of: json, path: path, specials: specials) {
            let defaults = BytePairTokenizer.defaultRoles(specials)
            roles = (template.first, roles?.eos ?? defaults.eos, roles?.pad ?? defaults.pad)
        }
        try self.init(vocabulary: vocabulary, merges: mergeList, specials: specials, nonSpecial: nonSpecial,
                      preTokenizer: try HuggingFaceTokenizerConfig.preTokenizer(of: json, path: path), ignoresMerges: ignoresMerges,
                      roles: roles, name: path)
    }

    /// Writes `tokenizer.json` (BPE vocabulary and merges, the tokens matched as text as added tokens, special
    /// or not as they were read, the pre-tokenizer, a post-processor that puts BOS first when there is one, and
    /// a ByteLevel decoder) and `tokenizer_config.json` (BOS/EOS/PAD by text, and `chatTemplate` when given)
    /// into `directory`, atomically. Reading them back gives the same ids for every text, and so does HF tokenizers.
    public func saveHuggingFace(directory: String, maxLength: Int, chatTemplate: String? = nil) throws {
        try Folder.create(directory)
        let specials = specialTokens.byText.sorted { $0.value < $1.value }
        let specialIDs = Set(specials.map(\.value))
        /// The text of special token `id`; nil for none, or for a role that is no special token (only a GGUF
        /// file can name one), which is then written as no role at all.
        func specialText(_ id: Int32?) -> String? { id.flatMap { id in specials.first { $0.value == id }?.key } }
        var vocabulary = JSONObject()
        for (id, bytes) in tokenBytes.enumerated() where !bytes.isEmpty && !specialIDs.contains(Int32(id)) {
            vocabulary[ByteUnicode.string(bytes)] = .number(Double(id))
        }
        for (text, id) in specials { vocabulary[text] = .number(Double(id)) }
        let added = specials.map { text, id in
            JSONValue.object(JSONObject([("id", .number(Double(id))), ("content", .string(text)), ("single_word", .bool(false)),
                                         ("lstrip", .bool(false)), ("rstrip", .bool(false)), ("normalized", .bool(false)),
                                         ("special", .bool(!specialTokens.nonSpecial.contains(id)))]))
        }
        let byteLevel = JSONValue.object(JSONObject([("type", .string("ByteLevel")), ("add_prefix_space", .bool(false)),
                                                     ("trim_offsets", .bool(true)), ("use_regex", .bool(true))]))
        func sequence(_ first: JSONObject, then last: JSONValue) -> JSONValue {
            .object(JSONObject([("type", .string("Sequence")), ("pretokenizers", .array([.object(first), last]))]))
        }
        let preTokenizer: JSONValue = switch self.preTokenizer {
        case .gpt2: byteLevel
        case .isolatedDigits: sequence(JSONObject([("type", .string("Digits")), ("individual_digits", .bool(true))]), then: byteLevel)
        case .qwen2, .llama3:
            sequence(JSONObject([("type", .string("Split")),
                                 ("pattern", .object(JSONObject([("Regex", .string(HuggingFaceTokenizerConfig.splitPatterns[self.preTokenizer]!))]))),
                                 ("behavior", .string("Isolated")), ("invert", .bool(false))]),
                     then: .object(JSONObject([("type", .string("ByteLevel")), ("add_prefix_space", .bool(false)),
                                               ("trim_offsets", .bool(false)), ("use_regex", .bool(false))])))
        }
        let normalizer: JSONValue = self.preTokenizer == .qwen2 ? .object(JSONObject([("type", .string("NFC"))])) : .null
        // transformers' fast tokenizers add BOS by this template, not by add_bos_token.
        let postProcessor: JSONValue = specialText(specialTokens.bos).map { text in
            func item(_ kind: String, _ id: String, _ typeID: Int) -> JSONValue {
                .object(JSONObject([(kind, .object(JSONObject([("id", .string(id)), ("type_id", .number(Double(typeID)))])))]))
            }
            let tokens = JSONObject([(text, .object(JSONObject([("id", .string(text)), ("ids", .array([.number(Double(specialTokens.bos!))])),
                                                                ("tokens", .array([.string(text)]))])))])
            return .object(JSONObject([("type", .string("TemplateProcessing")),
                                       ("single", .array([item("SpecialToken", text, 0), item("Sequence", "A", 0)])),
                                       ("pair", .array([item("SpecialToken", text, 0), item("Sequence", "A", 0), item("Sequence", "B", 1)])),
                                       ("special_tokens", .object(tokens))]))
        } ?? .null
        let model = JSONObject([
            ("type", .string("BPE")), ("dropout", .null), ("unk_token", .null), ("continuing_subword_prefix", .null),
            ("end_of_word_suffix", .null), ("fuse_unk", .bool(false)), ("byte_fallback", .bool(false)), ("ignore_merges", .bool(ignoresMerges)),
            ("vocab", .object(vocabulary)),
            ("merges", .array(mergeList.map { .string(ByteUnicode.string($0.0) + " " + ByteUnicode.string($0.1)) })),
        ])
        let tokenizer = JSONObject([
            ("version", .string("1.0")), ("truncation", .null), ("padding", .null), ("added_tokens", .array(added)),
            ("normalizer", normalizer), ("pre_tokenizer", preTokenizer), ("post_processor", postProcessor), ("decoder", byteLevel),
            ("model", .object(model)),
        ])
        try AtomicFile.write(JSONValue.object(tokenizer).serialized + "\n", to: directory + "/tokenizer.json")
        func text(_ id: Int32?) -> JSONValue { specialText(id).map(JSONValue.string) ?? .null }
        var config = JSONObject([
            ("tokenizer_class", .string("PreTrainedTokenizerFast")), ("add_bos_token", .bool(specialTokens.bos != nil)),
            ("bos_token", text(specialTokens.bos)), ("eos_token", text(specialTokens.eos)), ("pad_token", text(specialTokens.pad)),
            ("model_max_length", .number(Double(maxLength))), ("clean_up_tokenization_spaces", .bool(false)),
        ])
        if let chatTemplate { config["chat_template"] = .string(chatTemplate) }
        try AtomicFile.write(JSONValue.object(config).serialized + "\n", to: directory + "/tokenizer_config.json")
    }
}

/// The parts of a Hugging Face tokenizer that are not the vocabulary: roles, the pre-tokenizer and its normalizer.
struct HuggingFaceTokenizerConfig {
    /// BOS (only when the config adds it), EOS and PAD (EOS when the config has no `pad_token`; none when it
    /// is null, as raise writes it for a tokenizer without one), by id; nil when there is no tokenizer_config.json.
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
        let pad = config["pad_token"] == nil ? try id("eos_token") : try id("pad_token")  // absent: EOS pads; null: none
        roles = (addsBOS ? try id("bos_token") : nil, try id("eos_token"), pad)
    }

    /// The special tokens a tokenizer.json's `post_processor` puts before every text, when it has a
    /// TemplateProcessing (alone, or in a Sequence beside ByteLevel, which only moves offsets): none for a
    /// single template of `$A` alone, one — the BOS — for `[BOS] $A`. transformers' fast tokenizers add BOS
    /// by this template, whatever tokenizer_config.json's `add_bos_token` says. nil when there is no template.
    ///
    /// - Throws: `RaiseError.file` naming the field for any other post-processor or template (one that adds
    ///   tokens after the text, or more than one before it): raise would not add what it adds.
    static func templatePrefix(of json: JSONObject, path: String, specials: [String: Int32]) throws -> [Int32]? {
        guard let value = json["post_processor"], value != .null else { return nil }
        func refuse(_ why: String) -> RaiseError {
            .file(path: path, detail: "field 'post_processor' (\(value.serialized.prefix(160))) is not supported: \(why)")
        }
        let object = value.objectValue ?? JSONObject()  // anything malformed has no type raise reads
        let steps = object["type"]?.stringValue == "Sequence" ? (object["processors"]?.arrayValue ?? []).map { $0.objectValue ?? JSONObject() } : [object]
        let templates = steps.filter { $0["type"]?.stringValue == "TemplateProcessing" }
        guard steps.allSatisfy({ ["ByteLevel", "TemplateProcessing"].contains($0["type"]?.stringValue ?? "") }), templates.count <= 1 else {
            throw refuse("raise reads ByteLevel and one TemplateProcessing")
        }
        guard let template = templates.first else { return nil }
        let items = (template["single"]?.arrayValue ?? []).map { $0.objectValue ?? JSONObject() }
        guard let last = items.last, last["Sequence"]?.objectValue?["id"] == .string("A"), items.count <= 2 else {
            throw refuse("raise reads a single template of $A, alone or after one special token")
        }
        return try items.dropLast().map { item in
            guard let text = item["SpecialToken"]?.objectValue?["id"]?.stringValue, let id = specials[text] else {
                throw refuse("what the template puts before $A is not one of the added tokens")
            }
            return id
        }
    }

    /// The split patterns of the pre-tokenizers that have one, as their tokenizer.json spells them: Qwen2's
    /// (Qwen2.5's) and Llama 3's.
    static let splitPatterns: [PreTokenizer: String] = [
        .qwen2: #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#,
        .llama3: #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#,
    ]

    /// The pre-tokenizer a tokenizer.json's `pre_tokenizer` and `normalizer` fields describe: ByteLevel alone
    /// (with its own regex) is GPT-2's; a Sequence of a single-digit Digits split and ByteLevel is SmolLM2's; a
    /// Sequence of a Split by Qwen2's pattern and ByteLevel without its own regex, after the NFC normalizer, is
    /// Qwen2's; the same with Llama 3's pattern and no normalizer is Llama 3's. Only Qwen2's takes a normalizer,
    /// and none may add a space before the text (ByteLevel's `add_prefix_space`).
    ///
    /// - Throws: `RaiseError.file` naming the field for any other.
    static func preTokenizer(of json: JSONObject, path: String) throws -> PreTokenizer {
        let mode = try preTokenizer(json["pre_tokenizer"], path: path)
        let normalizer = json["normalizer"].flatMap { $0 == .null ? nil : $0 }
        let type = normalizer.map { $0.objectValue?["type"]?.stringValue ?? "" }  // nil: none; "": malformed
        let expected = mode == .qwen2 ? "NFC" : nil
        guard type == expected else {
            throw RaiseError.file(path: path, detail: "field 'normalizer' (\(json["normalizer"]?.serialized ?? "none")) is not supported with this "
                                  + "pre-tokenizer: raise applies \(expected ?? "no normalizer") before it")
        }
        return mode
    }

    /// The pre-tokenizer a `pre_tokenizer` field describes, as `preTokenizer(of:path:)` reads it.
    private static func preTokenizer(_ value: JSONValue?, path: String) throws -> PreTokenizer {
        guard let object = value?.objectValue else { return .gpt2 }
        let steps = object["type"]?.stringValue == "Sequence" ? (object["pretokenizers"]?.arrayValue?.compactMap(\.objectValue) ?? []) : [object]
        let types = steps.compactMap { $0["type"]?.stringValue }
        let byteLevel = steps.last ?? JSONObject()
        if types.last == "ByteLevel", byteLevel["add_prefix_space"] == .bool(true) {
            throw RaiseError.file(path: path, detail: "field 'pre_tokenizer': ByteLevel's add_prefix_space is not supported: raise adds no space "
                                  + "before the text")
        }
        let splitsByGPT2 = byteLevel["use_regex"] != .bool(false)  // ByteLevel's own regex: GPT-2's pattern
        if types == ["ByteLevel"], splitsByGPT2 { return .gpt2 }
        if types == ["Digits", "ByteLevel"], steps[0]["individual_digits"] == .bool(true), splitsByGPT2 { return .isolatedDigits }
        if types == ["Split", "ByteLevel"], let pattern = steps[0]["pattern"]?.objectValue?["Regex"]?.stringValue,
           let mode = splitPatterns.first(where: { $0.value == pattern })?.key,
           steps[0]["behavior"]?.stringValue == "Isolated", steps[0]["invert"] != .bool(true), !splitsByGPT2 {
            return mode
        }
        throw RaiseError.file(path: path, detail: "field 'pre_tokenizer' (\(types.joined(separator: ", "))) is not supported: raise reads "
                              + "GPT-2's ByteLevel (with its regex), alone or after single-digit Digits, or Qwen2's or Llama 3's Split then "
                              + "ByteLevel without its regex")
    }
}
