// PreTokenizer: GPT-2's split of text into words before BPE, written out by hand instead of with a
// regular-expression engine. The pattern it implements is
//
//     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// tried in that order at each position: contractions, an optional space then letters, numbers or
// other symbols, and whitespace runs — which leave their last character to the next word when a
// non-space follows, so that " word" keeps its space.

/// GPT-2's pre-tokenization, optionally with every digit split off first (SmolLM2, LLaMA 3 style).
public enum PreTokenizer: String, Sendable, CaseIterable {
    /// GPT-2's pattern alone.
    case gpt2
    /// Every \p{N} character is a word of its own; the text between is split by GPT-2's pattern.
    case isolatedDigits

    /// The words of a text given as scalars: ranges of scalar indices, in order, covering all of it.
    func words(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        guard self == .isolatedDigits else { return PreTokenizer.split(scalars) }
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

    /// The length of a contraction ('s 't 're 've 'm 'll 'd) starting at `i`, or nil.
    private static func contractionLength(_ s: [Unicode.Scalar], at i: Int) -> Int? {
        func at(_ k: Int) -> Unicode.Scalar? { i + k < s.count ? s[i + k] : nil }
        switch at(1) {
        case "s", "t", "m", "d": return 2
        case "r" where at(2) == "e", "v" where at(2) == "e", "l" where at(2) == "l": return 3
        default: return nil
        }
    }
}
