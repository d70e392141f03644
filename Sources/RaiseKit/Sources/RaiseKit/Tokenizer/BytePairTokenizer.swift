// BytePairTokenizer: byte-level BPE as GPT-2 defines it. Text is split into words (PreTokenizer),
// each word's UTF-8 bytes start as one token each, and the adjacent pair with the lowest merge rank
// is merged until none is left (unless, as in Llama 3's, a word that is a token of its own is that
// token whatever the merges would make of it: `ignoresMerges`). Reads and writes the encoder.json +
// vocab.bpe pair that GPT-2 published, so vocabularies trained here are readable by other tools and
// vice versa.
import Foundation

/// A GPT-2-style byte-level BPE tokenizer.
public final class BytePairTokenizer: Tokenizer {
    public let vocabularySize: Int
    public let specialTokens: SpecialTokens
    /// Each id's bytes (empty for an unused id).   (V)
    let tokenBytes: [[UInt8]]
    /// The id of each single byte.   (256)
    private let byteIDs: [Int32]
    /// (left id, right id) packed in 64 bits -> (rank, merged id).
    private let merges: [UInt64: (rank: Int32, id: Int32)]
    /// The merges in rank order, as bytes (what vocab.bpe stores).
    public let mergeList: [([UInt8], [UInt8])]
    /// Special-token texts, longest first, as scalars (matched before pre-tokenization).
    private let specialScalars: [(scalars: [Unicode.Scalar], id: Int32)]
    /// The first scalar of every special token: text without one of these is all ordinary.
    private let specialStarts: Set<Unicode.Scalar>
    /// How text is split into words before merging.
    public let preTokenizer: PreTokenizer
    /// Whether a word that is a token of its own becomes that token without merging (HF's `ignore_merges`, on in
    /// Llama 3's tokenizer): BPE can reach a token by other merges than those of the word's pieces, or not at all.
    public let ignoresMerges: Bool
    /// Each token's id by its bytes, kept only when `ignoresMerges` (the words looked up whole).
    private let wholeWords: [[UInt8]: Int32]
    /// The bytes that have no token of their own: `encode` drops them, as HF tokenizers does without an
    /// unknown token (SmolLM2 lacks six control bytes and two lead bytes of unassigned planes); empty for
    /// GPT-2 and every vocabulary raise trains.
    public var droppedBytes: [UInt8] { (0..<256).filter { byteIDs[$0] < 0 }.map { UInt8($0) } }
    /// Encodings of words seen before.
    private var cache: [[UInt8]: [Int32]] = [:]

    /// The largest vocabulary raise accepts (ids are checked against it before anything is allocated).
    public static let maximumVocabulary: Int32 = 1 << 24

    /// A tokenizer from its vocabulary and merges.
    ///
    /// - Parameters:
    ///   - vocabulary: each token's bytes and id. A byte with no token of its own is dropped when encoding,
    ///     as HF tokenizers does without an unknown token (SmolLM2 lacks a few control bytes).
    ///   - merges: (left bytes, right bytes) in rank order; both sides and their concatenation must be tokens.
    ///   - specials: texts and ids of the tokens matched as text (not reachable by merges).
    ///   - nonSpecial: the ids of `specials` that are not special (HF's `special: false`, GGUF's user-defined).
    ///   - ignoresMerges: a word that is a token of its own is that token (Llama 3).
    ///   - roles: BOS, EOS and PAD ids; by default `<|endoftext|>` serves all three (`<|pad|>` as PAD if present).
    /// - Throws: `RaiseError.invalidArgument` naming the first inconsistency.
    public init(vocabulary: [[UInt8]: Int32], merges mergeList: [([UInt8], [UInt8])], specials: [String: Int32],
                nonSpecial: Set<Int32> = [], preTokenizer: PreTokenizer = .gpt2, ignoresMerges: Bool = false,
                roles: (bos: Int32?, eos: Int32?, pad: Int32?)? = nil, name: String = "tokenizer") throws {
        let largest = max(vocabulary.values.max() ?? -1, specials.values.max() ?? -1)
        guard vocabulary.values.allSatisfy({ $0 >= 0 }), specials.values.allSatisfy({ $0 >= 0 }), largest < BytePairTokenizer.maximumVocabulary else {
            throw RaiseError.invalidArgument(name: name, detail: "token ids must be 0..<\(BytePairTokenizer.maximumVocabulary) (found \(largest))")
        }
        if let empty = specials.first(where: { $0.key.isEmpty }) {
            throw RaiseError.invalidArgument(name: name, detail: "special token \(empty.value) has an empty text")
        }
        if let stray = nonSpecial.subtracting(specials.values).min() {
            throw RaiseError.invalidArgument(name: name, detail: "non-special added token \(stray) is not one of the tokens matched as text")
        }
        let size = Int((vocabulary.values.max() ?? -1) + 1)
        var tokenBytes = [[UInt8]](repeating: [], count: max(size, (specials.values.max().map { Int($0) + 1 }) ?? 0))
        for (bytes, id) in vocabulary { tokenBytes[Int(id)] = bytes }
        var byteIDs = [Int32](repeating: -1, count: 256)  // -1: a byte the vocabulary lacks
        for byte in 0..<256 { byteIDs[byte] = vocabulary[[UInt8(byte)]] ?? -1 }
        var merges = [UInt64: (rank: Int32, id: Int32)]()
        for (rank, (left, right)) in mergeList.enumerated() {
            guard let a = vocabulary[left], let b = vocabulary[right], let merged = vocabulary[left + right] else {
                throw RaiseError.invalidArgument(name: name, detail: "merge \(rank + 1) ('\(ByteUnicode.string(left)) \(ByteUnicode.string(right))') names a token missing from the vocabulary")
            }
            let key = UInt64(UInt32(a)) << 32 | UInt64(UInt32(b))
            if merges[key] == nil { merges[key] = (Int32(rank), merged) }
        }
        for (text, id) in specials { tokenBytes[Int(id)] = Array(text.utf8) }
        self.tokenBytes = tokenBytes
        self.byteIDs = byteIDs
        self.merges = merges
        self.mergeList = mergeList
        vocabularySize = tokenBytes.count
        specialScalars = specials.map { (Array($0.key.unicodeScalars), $0.value) }.sorted { $0.scalars.count > $1.scalars.count }
        specialStarts = Set(specialScalars.compactMap(\.scalars.first))
        self.preTokenizer = preTokenizer
        self.ignoresMerges = ignoresMerges
        wholeWords = ignoresMerges ? vocabulary : [:]
        let (bos, eos, pad) = roles ?? BytePairTokenizer.defaultRoles(specials)
        for (role, id) in [("BOS", bos), ("EOS", eos), ("PAD", pad)] where id.map({ $0 < 0 || Int($0) >= tokenBytes.count }) ?? false {
            throw RaiseError.invalidArgument(name: name, detail: "\(role) id \(id!) is not a token (0..<\(tokenBytes.count))")
        }
        specialTokens = SpecialTokens(bos: bos, eos: eos, pad: pad, byText: specials, nonSpecial: nonSpecial)
    }

    /// The roles of a vocabulary that names none: `<|endoftext|>` serves all three (`<|im_end|>` ends
    /// sequences without it, `<|pad|>` pads if present).
    static func defaultRoles(_ specials: [String: Int32]) -> (bos: Int32?, eos: Int32?, pad: Int32?) {
        let endOfText = specials["<|endoftext|>"]
        return (endOfText, endOfText ?? specials["<|im_end|>"], specials["<|pad|>"] ?? endOfText)
    }

    /// Loads GPT-2's files: `encoder.json` (token string -> id) and `vocab.bpe` (merges, one per line).
    /// When the folder has a `raise_tokenizer.json` (written by `save`), it names the special tokens (and
    /// those of them that are not special, `non_special`), the pre-tokenizer, `ignore_merges` and the BOS/EOS/PAD ids;
    /// otherwise tokens written `<|name|>` are special.
    ///
    /// The folder is checked whole before use: `encoder.json`'s ids are 0..<N, each once; every special
    /// token of `raise_tokenizer.json` is a non-empty text that `encoder.json` holds at the same id; BOS,
    /// EOS and PAD are null or one of those ids.
    ///
    /// - Throws: `RaiseError` naming the file (and line or field) that is missing or malformed.
    public convenience init(directory: String) throws {
        let encoderPath = directory + "/encoder.json", mergesPath = directory + "/vocab.bpe"
        let extrasPath = directory + "/raise_tokenizer.json"
        let entries = try JSONValue.readObject(path: encoderPath)
        let extras = FileManager.default.fileExists(atPath: extrasPath) ? try JSONValue.readObject(path: extrasPath) : nil
        var tokenOfID = [String?](repeating: nil, count: entries.keys.count)
        for token in entries.keys {
            guard let id = entries[token]!.intValue, id >= 0 else {
                throw RaiseError.file(path: encoderPath, detail: "token '\(token)': id is not a non-negative integer")
            }
            guard id < entries.keys.count else {
                throw RaiseError.file(path: encoderPath, detail: "token '\(token)': id \(id) is beyond the \(entries.keys.count) tokens (ids must be 0..<\(entries.keys.count), each once)")
            }
            if let other = tokenOfID[id] {
                throw RaiseError.file(path: encoderPath, detail: "tokens '\(other)' and '\(token)' have the same id \(id)")
            }
            tokenOfID[id] = token
        }
        var specials = [String: Int32]()
        if let extras {
            guard let listed = extras["specials"]?.objectValue ?? (extras["specials"] == nil ? JSONObject() : nil) else {
                throw RaiseError.file(path: extrasPath, detail: "field 'specials': expected an object of token texts and ids")
            }
            for text in listed.keys {
                guard !text.isEmpty else { throw RaiseError.file(path: extrasPath, detail: "field 'specials': a special token has an empty text") }
                guard let id = listed[text]!.intValue, entries[text]?.intValue == id else {
                    throw RaiseError.file(path: extrasPath, detail: "field 'specials': '\(text)' is \(listed[text]!.serialized), but encoder.json holds it at \(entries[text].map(\.serialized) ?? "no id")")
                }
                specials[text] = Int32(id)
            }
        } else {
            for token in entries.keys where token.hasPrefix("<|") && token.hasSuffix("|>") && token.count > 4 {
                specials[token] = Int32(entries[token]!.intValue!)
            }
        }
        var vocabulary = [[UInt8]: Int32]()
        for token in entries.keys where specials[token] == nil {
            guard let bytes = ByteUnicode.bytes(of: token) else {
                throw RaiseError.file(path: encoderPath, detail: "token '\(token)' has a character outside GPT-2's byte table")
            }
            vocabulary[bytes] = Int32(entries[token]!.intValue!)
        }
        guard let mergesText = try? String(contentsOfFile: mergesPath, encoding: .utf8) else {
            throw RaiseError.file(path: mergesPath, detail: "cannot read as UTF-8")
        }
        var mergeList = [([UInt8], [UInt8])]()
        for (index, line) in mergesText.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.hasPrefix("#version") || line.isEmpty { continue }
            let parts = line.split(separator: " ")
            guard parts.count == 2, let left = ByteUnicode.bytes(of: String(parts[0])), let right = ByteUnicode.bytes(of: String(parts[1])) else {
                throw RaiseError.content(path: mergesPath, line: index + 1, column: nil, detail: "expected two tokens separated by one space")
            }
            mergeList.append((left, right))
        }
        var roles: (bos: Int32?, eos: Int32?, pad: Int32?)?
        var preTokenizer = PreTokenizer.gpt2
        var nonSpecial = Set<Int32>()
        var ignoresMerges = false
        if let extras {
            for value in extras["non_special"]?.arrayValue ?? [] {
                guard let id = value.intValue, specials.values.contains(Int32(clamping: id)) else {
                    throw RaiseError.file(path: extrasPath,
                                          detail: "field 'non_special': \(value.serialized) is not the id of one of the special tokens")
                }
                nonSpecial.insert(Int32(id))
            }
            func id(_ key: String) throws -> Int32? {
                guard let value = extras[key], value != .null else { return nil }
                guard let id = value.intValue, specials.values.contains(Int32(clamping: id)) else {
                    throw RaiseError.file(path: extrasPath, detail: "field '\(key)': \(value.serialized) is not the id of one of the special tokens")
                }
                return Int32(id)
            }
            roles = (try id("bos"), try id("eos"), try id("pad"))
            guard let mode = PreTokenizer(rawValue: extras["pre_tokenizer"]?.stringValue ?? "gpt2") else {
                throw RaiseError.file(path: extrasPath, detail: "field 'pre_tokenizer': expected one of \(PreTokenizer.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            preTokenizer = mode
            guard let ignores = (extras["ignore_merges"] ?? .bool(false)).boolValue else {
                throw RaiseError.file(path: extrasPath, detail: "field 'ignore_merges': expected true or false")
            }
            ignoresMerges = ignores
        }
        try self.init(vocabulary: vocabulary, merges: mergeList, specials: specials, nonSpecial: nonSpecial, preTokenizer: preTokenizer,
                      ignoresMerges: ignoresMerges, roles: roles, name: directory)
    }

    /// The tokenizer embedded in a GGUF file's metadata (`tokenizer.ggml.*`, model "gpt2"): tokens,
    /// merges, control tokens as specials (user-defined ones too, marked non-special), BOS (only when the
    /// file asks for it), EOS and PAD ids, and the pre-tokenizer: "gpt2" (or none given) is GPT-2's pattern, "smollm" splits digits one by one first,
    /// "qwen2" is Qwen2's, "llama-bpe" (or "llama3", "llama-v3") Llama 3's, whose whole words come before merges
    /// as llama.cpp reads it.
    ///
    /// - Throws: `RaiseError.file` naming the file and the key that is missing or malformed.
    public convenience init(gguf: GGUFFile) throws {
        func fail(_ detail: String) -> RaiseError { .file(path: gguf.path, detail: detail) }
        guard try gguf.value("tokenizer.ggml.model").stringValue == "gpt2" else {
            throw fail("tokenizer.ggml.model is not 'gpt2' (byte-level BPE); raise reads no other")
        }
        guard let tokens = try gguf.value("tokenizer.ggml.tokens").arrayValue?.compactMap(\.stringValue),
              let merges = try gguf.value("tokenizer.ggml.merges").arrayValue?.compactMap(\.stringValue) else {
            throw fail("tokenizer.ggml.tokens or tokenizer.ggml.merges is not an array of strings")
        }
        let types = gguf.metadata["tokenizer.ggml.token_type"]?.arrayValue?.compactMap(\.intValue)
        guard types == nil || types?.count == tokens.count else {
            throw fail("tokenizer.ggml.token_type has \(types!.count) integers for \(tokens.count) tokens")
        }
        var vocabulary = [[UInt8]: Int32](), specials = [String: Int32](), userDefined = Set<Int32>()
        for (id, token) in tokens.enumerated() {
            if types?[id] == 3 || types?[id] == 4 {  // control and user-defined tokens are matched as text
                specials[token] = Int32(id)
                if types?[id] == 4 { userDefined.insert(Int32(id)) }
            } else {
                guard let bytes = ByteUnicode.bytes(of: token) else { throw fail("token \(id) '\(token)' is not byte-level") }
                if vocabulary[bytes] == nil { vocabulary[bytes] = Int32(id) }
            }
        }
        var mergeList = [([UInt8], [UInt8])]()
        for (index, merge) in merges.enumerated() {
            let parts = merge.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, let left = ByteUnicode.bytes(of: String(parts[0])), let right = ByteUnicode.bytes(of: String(parts[1])) else {
                throw fail("merge \(index) '\(merge)' is not two byte-level tokens")
            }
            mergeList.append((left, right))
        }
        func id(_ key: String) throws -> Int32? {
            guard let value = gguf.metadata[key] else { return nil }
            guard let id = value.intValue, (0..<tokens.count).contains(id) else { throw fail("\(key) is not a token id (0..<\(tokens.count))") }
            return Int32(id)
        }
        let addsBOS = gguf.metadata["tokenizer.ggml.add_bos_token"]?.boolValue ?? false
        let pre = gguf.metadata["tokenizer.ggml.pre"]?.stringValue ?? "gpt2"
        let preTokenizers: [String: PreTokenizer] = ["gpt2": .gpt2, "default": .gpt2, "smollm": .isolatedDigits, "qwen2": .qwen2,
                                                     "llama-bpe": .llama3, "llama3": .llama3, "llama-v3": .llama3]
        guard let preTokenizer = preTokenizers[pre] else {
            throw fail("tokenizer.ggml.pre '\(pre)' is not supported (\(preTokenizers.keys.sorted().joined(separator: ", ")))")
        }
        try self.init(vocabulary: vocabulary, merges: mergeList, specials: specials, nonSpecial: userDefined, preTokenizer: preTokenizer,
                      ignoresMerges: preTokenizer == .llama3,
                      roles: (addsBOS ? try id("tokenizer.ggml.bos_token_id") : nil, try id("tokenizer.ggml.eos_token_id"),
                              try id("tokenizer.ggml.padding_token_id") ?? id("tokenizer.ggml.eos_token_id")),
                      name: gguf.path)
    }

    /// Writes `encoder.json`, `vocab.bpe` and `raise_tokenizer.json` (specials, the non-special among them,
    /// pre-tokenizer, `ignore_merges`, BOS/EOS/PAD) into `directory` (created if needed), atomically.
    public func save(directory: String) throws {
        try Folder.create(directory)
        var encoder = JSONObject()
        for (id, bytes) in tokenBytes.enumerated() {
            let special = specialTokens.byText.first { $0.value == Int32(id) }?.key
            encoder[special ?? ByteUnicode.string(bytes)] = .number(Double(id))
        }
        try AtomicFile.write(JSONValue.object(encoder).serialized, to: directory + "/encoder.json")
        let roles = [("bos", specialTokens.bos), ("eos", specialTokens.eos), ("pad", specialTokens.pad)]
        let extras = JSONObject([("pre_tokenizer", .string(preTokenizer.rawValue)), ("ignore_merges", .bool(ignoresMerges))]
                                + roles.map { ($0.0, $0.1.map { .number(Double($0)) } ?? .null) }
                                + [("specials", .object(JSONObject(specialTokens.byText.sorted { $0.value < $1.value }.map { ($0.key, .number(Double($0.value))) }))),
                                   ("non_special", .array(specialTokens.nonSpecial.sorted().map { .number(Double($0)) }))])
        try AtomicFile.write(JSONValue.object(extras).serialized + "\n", to: directory + "/raise_tokenizer.json")
        let lines = mergeList.map { ByteUnicode.string($0.0) + " " + ByteUnicode.string($0.1) }
        try AtomicFile.write((["#version: 0.2"] + lines).joined(separator: "\n") + "\n", to: directory + "/vocab.bpe")
    }

    public func encode(_ text: String) -> [Int32] {
        let scalars = Array(text.unicodeScalars)
        var ids = [Int32]()
        ids.reserveCapacity(scalars.count / 3)
        var start = 0, i = 0
        while i < scalars.count {
            if specialStarts.contains(scalars[i]), let special = specialScalars.first(where: { matches($0.scalars, scalars, at: i) }) {
                encodeOrdinary(scalars[start..<i], into: &ids)
                ids.append(special.id)
                i += special.scalars.count
                start = i
            } else {
                i += 1
            }
        }
        encodeOrdinary(scalars[start...], into: &ids)
        return ids
    }

    private func matches(_ pattern: [Unicode.Scalar], _ scalars: [Unicode.Scalar], at i: Int) -> Bool {
        guard scalars[i] == pattern[0], i + pattern.count <= scalars.count else { return false }
        for k in 1..<pattern.count where scalars[i + k] != pattern[k] { return false }
        return true
    }

    private func encodeOrdinary(_ scalars: ArraySlice<Unicode.Scalar>, into ids: inout [Int32]) {
        guard !scalars.isEmpty else { return }
        let text = preTokenizer.normalized(scalars)
        for word in preTokenizer.words(text) {
            var bytes = [UInt8]()
            for scalar in text[word] { UTF8.encode(scalar) { bytes.append($0) } }
            if let cached = cache[bytes] {
                ids.append(contentsOf: cached)
                continue
            }
            let encoded = mergeWord(bytes)
            if cache.count < 1 << 18 { cache[bytes] = encoded }
            ids.append(contentsOf: encoded)
        }
    }

    /// BPE on one word: start from byte tokens, merge the lowest-ranked adjacent pair until none merges; or,
    /// when `ignoresMerges`, the word's own token if it has one.
    private func mergeWord(_ bytes: [UInt8]) -> [Int32] {
        if let whole = wholeWords[bytes] { return [whole] }
        var symbols = bytes.map { byteIDs[Int($0)] }.filter { $0 >= 0 }
        while symbols.count > 1 {
            var best: (rank: Int32, index: Int, id: Int32)?
            for k in 0..<symbols.count - 1 {
                let key = UInt64(UInt32(symbols[k])) << 32 | UInt64(UInt32(symbols[k + 1]))
                if let merge = merges[key], merge.rank < (best?.rank ?? .max) { best = (merge.rank, k, merge.id) }
            }
            guard let best else { break }
            // Merge every occurrence of the best pair, left to right.
            let (left, right) = (symbols[best.index], symbols[best.index + 1])
            var merged = [Int32]()
            merged.reserveCapacity(symbols.count)
            var k = 0
            while k < symbols.count {
                if k + 1 < symbols.count, symbols[k] == left, symbols[k + 1] == right {
                    merged.append(best.id)
                    k += 2
                } else {
                    merged.append(symbols[k])
                    k += 1
                }
            }
            symbols = merged
        }
        return symbols
    }

    /// The bytes of `ids`; ids outside the vocabulary stand for nothing.
    public func decodeBytes(_ ids: [Int32]) -> [UInt8] {
        var bytes = [UInt8]()
        for id in ids where id >= 0 && Int(id) < tokenBytes.count { bytes.append(contentsOf: tokenBytes[Int(id)]) }
        return bytes
    }
}
