// WordPieceTokenizer: BERT's uncased tokenizer. Text is cleaned (control characters dropped, every
// whitespace a separator), CJK ideographs set apart, split on whitespace, lower-cased with accents stripped
// (NFD, marks dropped), split again at every punctuation character, and each word cut greedily into the
// longest vocabulary pieces from its start, continuations written "##piece"; a word that cannot be cut,
// or is longer than 100 characters, becomes [UNK]. Reads BERT's vocab.txt (one token per line, the line
// number its id).
import Foundation

/// BERT's WordPiece tokenizer (the uncased variant: lower-cased, accents stripped).
public final class WordPieceTokenizer: Tokenizer {
    public let vocabularySize: Int
    public let specialTokens: SpecialTokens
    /// Each id's text (continuations keep their "##").   (V)
    private let tokens: [String]
    /// Each token's id.
    private let ids: [String: Int32]
    /// The id of [UNK].
    private let unknown: Int32
    /// Special-token texts, longest first (matched before anything else).
    private let specials: [(text: String, id: Int32)]
    /// Words longer than this (in characters) become [UNK], as in BERT.
    static let longestWord = 100

    /// A tokenizer over `tokens` (id = index); it must hold [UNK], [CLS], [SEP] and [PAD].
    ///
    /// - Throws: `RaiseError.invalidArgument` naming `name` and the missing token.
    public init(tokens: [String], name: String = "vocab.txt") throws {
        var ids = [String: Int32]()
        for (id, token) in tokens.enumerated() where ids[token] == nil { ids[token] = Int32(id) }
        func required(_ token: String) throws -> Int32 {
            guard let id = ids[token] else { throw RaiseError.invalidArgument(name: name, detail: "the vocabulary has no \(token) token") }
            return id
        }
        unknown = try required("[UNK]")
        let (cls, sep, pad) = (try required("[CLS]"), try required("[SEP]"), try required("[PAD]"))
        var byText = ["[UNK]": unknown, "[CLS]": cls, "[SEP]": sep, "[PAD]": pad]
        if let mask = ids["[MASK]"] { byText["[MASK]"] = mask }
        specialTokens = SpecialTokens(bos: cls, eos: sep, pad: pad, byText: byText)
        specials = byText.map { ($0.key, $0.value) }.sorted { $0.text.count > $1.text.count }
        self.tokens = tokens
        self.ids = ids
        vocabularySize = tokens.count
    }

    /// Reads BERT's vocab.txt: one token per line, ids from 0.
    ///
    /// - Throws: `RaiseError.file` naming `path` when it cannot be read or lacks a required token.
    public convenience init(vocabularyFile path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw RaiseError.file(path: path, detail: "cannot read the WordPiece vocabulary")
        }
        var lines = text.components(separatedBy: "\n").map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
        if lines.last == "" { lines.removeLast() }
        do {
            try self.init(tokens: lines, name: path)
        } catch let RaiseError.invalidArgument(_, detail) {
            throw RaiseError.file(path: path, detail: detail)
        }
    }

    // MARK: Encoding

    public func encode(_ text: String) -> [Int32] {
        var out = [Int32]()
        var rest = Substring(text)
        while !rest.isEmpty {
            // The nearest special token, if any, ends the ordinary text before it.
            var nearest: (range: Range<Substring.Index>, id: Int32)?
            for (special, id) in specials {
                if let range = rest.range(of: special), nearest == nil || range.lowerBound < nearest!.range.lowerBound {
                    nearest = (range, id)
                }
            }
            let plain = nearest.map { rest[..<$0.range.lowerBound] } ?? rest
            for word in Self.words(plain) { out += pieces(of: word) }
            guard let nearest else { break }
            out.append(nearest.id)
            rest = rest[nearest.range.upperBound...]
        }
        return out
    }

    /// BERT's basic tokenization: cleaned, CJK set apart, lower-cased, accents stripped, split at
    /// whitespace and punctuation.
    static func words(_ text: Substring) -> [String] {
        var words = [String]()
        var current = String.UnicodeScalarView()
        func flush() {
            if !current.isEmpty { words.append(String(current)) }
            current = String.UnicodeScalarView()
        }
        for scalar in text.lowercased().decomposedStringWithCanonicalMapping.unicodeScalars {
            let properties = scalar.properties
            if scalar.value == 0 || scalar.value == 0xFFFD || properties.generalCategory == .nonspacingMark { continue }
            if isControl(scalar) {
                continue
            } else if properties.isWhitespace {
                flush()
            } else if isPunctuation(scalar) || isCJK(scalar) {
                flush()
                words.append(String(scalar))
            } else {
                current.append(scalar)
            }
        }
        flush()
        return words
    }

    /// The longest-match-first pieces of one word, or [UNK].
    private func pieces(of word: String) -> [Int32] {
        let characters = Array(word.unicodeScalars)
        guard characters.count <= Self.longestWord else { return [unknown] }
        var out = [Int32]()
        var start = 0
        while start < characters.count {
            var end = characters.count
            var found: Int32?
            while start < end {
                var piece = String(String.UnicodeScalarView(characters[start..<end]))
                if start > 0 { piece = "##" + piece }
                if let id = ids[piece] { found = id; break }
                end -= 1
            }
            guard let found else { return [unknown] }
            out.append(found)
            start = end
        }
        return out
    }

    /// Control and other invisible characters, which BERT drops; tab and line breaks are whitespace.
    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "\t" || scalar == "\n" || scalar == "\r" { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .privateUse, .surrogate, .unassigned: return true
        default: return false
        }
    }

    /// ASCII symbols count as punctuation, as in BERT, besides Unicode's P* categories.
    private static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }

    /// The CJK Unified Ideograph blocks BERT sets apart.
    private static func isCJK(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        return (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
            || (0x2A700...0x2B73F).contains(v) || (0x2B740...0x2B81F).contains(v) || (0x2B820...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }

    // MARK: Decoding

    /// The text of `ids`, pieces joined as BERT's decoder joins them: a "##" continuation glued to the
    /// piece before, other tokens separated by a space. Lower-casing and stripped accents are not undone,
    /// so this inverts `encode` only on text that was already lower-case and unaccented.
    public func decodeBytes(_ ids: [Int32]) -> [UInt8] {
        var text = ""
        for id in ids where id >= 0 && Int(id) < tokens.count {
            let token = tokens[Int(id)]
            if token.hasPrefix("##") {
                text += token.dropFirst(2)
            } else {
                if !text.isEmpty { text += " " }
                text += token
            }
        }
        return Array(text.utf8)
    }
}
