// PreTokenizer: the split of text into words before BPE, written out by hand instead of with a
// regular-expression engine. GPT-2's pattern is
//
//     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// tried in that order at each position: contractions, an optional space then letters, numbers or
// other symbols, and whitespace runs — which leave their last character to the next word when a
// non-space follows, so that " word" keeps its space. Llama 3's is OpenAI's cl100k_base pattern,
//
//     (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// the same idea with contractions in any case, any one non-letter (a tab, a bracket) leading a word,
// digits in runs of up to three, and line breaks kept with what ends before them. Qwen2's (Qwen2.5's
// tokenizer.json) is that pattern with `\p{N}` for `\p{N}{1,3}`: digits one by one.
import Foundation

/// How text is cut into words before BPE: GPT-2's pattern, optionally with every digit split off first
/// (SmolLM2), Qwen2's pattern after NFC normalization, or Llama 3's.
public enum PreTokenizer: String, Sendable, CaseIterable {
    /// GPT-2's pattern alone.
    case gpt2
    /// Every \p{N} character is a word of its own; the text between is split by GPT-2's pattern.
    case isolatedDigits
    /// Qwen2's pattern, on the text in Unicode normalization form C.
    case qwen2
    /// Llama 3's pattern (cl100k_base's), on the text as it is.
    case llama3

    /// The text as this pre-tokenizer's words are cut from it: in NFC for Qwen2 (its tokenizer.json's
    /// normalizer), unchanged otherwise.
    func normalized(_ scalars: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
        guard self == .qwen2 else { return Array(scalars) }
        var text = String.UnicodeScalarView()
        text.append(contentsOf: scalars)
        return Array(String(text).precomposedStringWithCanonicalMapping.unicodeScalars)
    }

    /// The words of a text given as scalars: ranges of scalar indices, in order, covering all of it.
    func words(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        switch self {
        case .gpt2: return PreTokenizer.split(scalars)
        case .qwen2: return PreTokenizer.splitCL100K(scalars, digitsPerWord: 1)
        case .llama3: return PreTokenizer.splitCL100K(scalars, digitsPerWord: 3)
        case .isolatedDigits: break
        }
        var words = [Range<Int>](), start = 0
        for (i, scalar) in scalars.enumerated() where PreTokenizer.classify(scalar) == .number {
            if start < i { words += PreTokenizer.split(Array(scalars[start..<i])).map { $0.lowerBound + start..<$0.upperBound + start } }
            words.append(i..<i + 1)
            start = i + 1
        }
        if start < scalars.count {
            words += PreTokenizer.split(Array(scalars[start...])).map { $0.lowerBound + start..<$0.upperBound + start }
        }
        return words
    }

    /// The character classes the pattern distinguishes.
    enum CharacterClass { case letter, number, whitespace, other }

    private static let asciiClasses: [CharacterClass] = (0..<128).map { classifyByProperties(Unicode.Scalar(UInt8($0))) }

    /// The class of one scalar: \p{L}, \p{N}, \s (White_Space) or anything else.
    static func classify(_ scalar: Unicode.Scalar) -> CharacterClass {
        scalar.value < 128 ? asciiClasses[Int(scalar.value)] : classifyByProperties(scalar)
    }

    private static func classifyByProperties(_ scalar: Unicode.Scalar) -> CharacterClass {
        if scalar.properties.isWhitespace { return .whitespace }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return .other
        }
    }

    /// The words of a text given as scalars: ranges of scalar indices, in order, covering all of it.
    static func split(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        let classes = scalars.map(classify)
        var words = [Range<Int>]()
        var i = 0
        let n = scalars.count
        func run(from start: Int, while predicate: (CharacterClass) -> Bool) -> Int {
            var j = start
            while j < n, predicate(classes[j]) { j += 1 }
            return j
        }
        while i < n {
            let start = i
            if scalars[i] == "'", let length = contractionLength(scalars, at: i) {
                i += length
            } else if classes[i] == .letter {
                i = run(from: i) { $0 == .letter }
            } else if classes[i] == .number {
                i = run(from: i) { $0 == .number }
            } else if scalars[i] == " ", i + 1 < n, classes[i + 1] != .whitespace {
                let next = classes[i + 1]
                i = next == .other ? run(from: i + 1) { $0 == .other } : run(from: i + 1) { $0 == next }
            } else if classes[i] == .other {
                i = run(from: i) { $0 == .other }
            } else {  // whitespace: the run, less its last character when a non-space follows
                let end = run(from: i) { $0 == .whitespace }
                i = (end < n && end - i > 1) ? end - 1 : end
            }
            words.append(start..<i)
        }
        return words
    }

    /// The words of a text given as scalars under cl100k_base's pattern (the header's second), with digit runs
    /// of up to `digitsPerWord` (3 as written, Llama 3; 1 in Qwen2's): ranges of scalar indices, in order,
    /// covering all of it.
    static func splitCL100K(_ scalars: [Unicode.Scalar], digitsPerWord: Int) -> [Range<Int>] {
        let classes = scalars.map(classify)
        let n = scalars.count
        func isLineBreak(_ j: Int) -> Bool { scalars[j] == "\r" || scalars[j] == "\n" }
        func run(from start: Int, while predicate: (Int) -> Bool) -> Int {
            var j = start
            while j < n, predicate(j) { j += 1 }
            return j
        }
        var words = [Range<Int>]()
        var i = 0
        while i < n {
            let start = i
            if scalars[i] == "'", let length = contractionLength(scalars, at: i, anyCase: true) {
                i += length
            } else if classes[i] == .letter {
                i = run(from: i) { classes[$0] == .letter }
            } else if classes[i] != .number, !isLineBreak(i), i + 1 < n, classes[i + 1] == .letter {
                i = run(from: i + 1) { classes[$0] == .letter }  // one non-letter leads: " word", "\tword", "(word"
            } else if classes[i] == .number {
                i = min(run(from: i) { classes[$0] == .number }, i + digitsPerWord)
            } else if classes[i] == .other || (scalars[i] == " " && i + 1 < n && classes[i + 1] == .other) {
                i = run(from: classes[i] == .other ? i : i + 1) { classes[$0] == .other }
                i = run(from: i, while: isLineBreak)  // "!!\n\n"
            } else {  // white space: up to its last line break, else the run less its last character before a non-space
                let end = run(from: i) { classes[$0] == .whitespace }
                if let lastBreak = (i..<end).last(where: isLineBreak) {
                    i = lastBreak + 1
                } else {
                    i = (end < n && end - i > 1) ? end - 1 : end
                }
            }
            words.append(start..<i)
        }
        return words
    }

    /// The length of a contraction ('s 't 're 've 'm 'll 'd, or in any case when `anyCase`) starting at `i`, or nil.
    private static func contractionLength(_ s: [Unicode.Scalar], at i: Int, anyCase: Bool = false) -> Int? {
        func at(_ k: Int) -> Unicode.Scalar? {
            guard i + k < s.count else { return nil }
            return anyCase && ("A"..."Z").contains(s[i + k]) ? Unicode.Scalar(s[i + k].value + 32) : s[i + k]
        }
        switch at(1) {
        case "s", "t", "m", "d": return 2
        case "r" where at(2) == "e", "v" where at(2) == "e", "l" where at(2) == "l": return 3
        default: return nil
        }
    }
}
