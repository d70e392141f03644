// BytePairTrainer: learns a byte-level BPE vocabulary from a corpus, as GPT-2's was made. Words come
// from the same pre-tokenizer as encoding; every merge joins the most frequent adjacent pair (ties:
// the smaller pair of ids), counted with incremental updates so that each merge touches only the
// words that contain the pair. Deterministic for a corpus.

/// Byte-level BPE training.
public enum BytePairTrainer {
    /// The special tokens a trained vocabulary ends with: end of text (also BOS/EOS), ChatML markers, padding.
    public static let defaultSpecials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|pad|>"]

    /// Trains a vocabulary of `vocabularySize` tokens: 256 bytes, the merges, then `specials`.
    ///
    /// - Parameters:
    ///   - texts: the corpus, one document at a time.
    ///   - progress: called after each merge with (merges done, merges wanted).
    /// - Throws: `RaiseError.invalidArgument` when the size cannot hold the bytes and the specials.
    public static func train(texts: some Sequence<String>, vocabularySize: Int, specials: [String] = defaultSpecials,
                             progress: ((Int, Int) -> Void)? = nil) throws -> BytePairTokenizer {
        let wanted = vocabularySize - 256 - specials.count
        guard wanted >= 0 else {
            throw RaiseError.invalidArgument(name: "--vocab", detail: "\(vocabularySize) cannot hold 256 bytes and \(specials.count) special tokens")
        }
        // Distinct words and their counts.
        var wordIndex = [[UInt8]: Int](), words = [[Int32]](), frequencies = [Int]()
        for text in texts {
            let scalars = Array(text.unicodeScalars)
            for range in PreTokenizer.gpt2.words(scalars) {
                var bytes = [UInt8]()
                for scalar in scalars[range] { UTF8.encode(scalar) { bytes.append($0) } }
                if let index = wordIndex[bytes] {
                    frequencies[index] += 1
                } else {
                    wordIndex[bytes] = words.count
                    words.append(bytes.map { Int32($0) })
                    frequencies.append(1)
                }
            }
        }
        var tokens: [[UInt8]] = (0..<256).map { [UInt8($0)] }
        var counts = PairCounts()
        for (w, word) in words.enumerated() { counts.add(word, frequency: frequencies[w], wordIndex: w) }

        var merges = [([UInt8], [UInt8])]()
        while merges.count < wanted, let (pair, _) = counts.popBest() {
            let (a, b) = (Int32(truncatingIfNeeded: pair >> 32), Int32(truncatingIfNeeded: pair))
            let merged = Int32(tokens.count)
            tokens.append(tokens[Int(a)] + tokens[Int(b)])
            merges.append((tokens[Int(a)], tokens[Int(b)]))
            for w in counts.words(containing: pair) {
                counts.remove(words[w], frequency: frequencies[w])
                words[w] = apply(a, b, merged, to: words[w])
                counts.add(words[w], frequency: frequencies[w], wordIndex: w)
            }
            counts.commit()
            progress?(merges.count, wanted)
        }
        var vocabulary = [[UInt8]: Int32]()
        for (id, bytes) in tokens.enumerated() { vocabulary[bytes] = Int32(id) }
        var specialIDs = [String: Int32]()
        for (offset, text) in specials.enumerated() { specialIDs[text] = Int32(tokens.count + offset) }
        return try BytePairTokenizer(vocabulary: vocabulary, merges: merges, specials: specialIDs)
    }

    /// `word` with every (a, b) replaced by `merged`, left to right.
    private static func apply(_ a: Int32, _ b: Int32, _ merged: Int32, to word: [Int32]) -> [Int32] {
        var result = [Int32]()
        result.reserveCapacity(word.count)
        var k = 0
        while k < word.count {
            if k + 1 < word.count, word[k] == a, word[k + 1] == b {
                result.append(merged)
                k += 2
            } else {
                result.append(word[k])
                k += 1
            }
        }
        return result
    }
}

/// Adjacent-pair counts over all words, the words each pair occurs in, and a max-heap of pairs by
/// count whose stale entries are skipped when popped.
private struct PairCounts {
    private var count: [UInt64: Int] = [:]
    private var wordsByPair: [UInt64: Set<Int>] = [:]
    private var heap: [(count: Int, pair: UInt64)] = []
    private var changed = Set<UInt64>()

    private static func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(a)) << 32 | UInt64(UInt32(b)) }

    mutating func add(_ word: [Int32], frequency: Int, wordIndex: Int) {
        for k in 0..<max(word.count - 1, 0) {
            let pair = PairCounts.key(word[k], word[k + 1])
            count[pair, default: 0] += frequency
            wordsByPair[pair, default: []].insert(wordIndex)
            changed.insert(pair)
        }
    }

    mutating func remove(_ word: [Int32], frequency: Int) {
        for k in 0..<max(word.count - 1, 0) {
            let pair = PairCounts.key(word[k], word[k + 1])
            count[pair, default: 0] -= frequency
            changed.insert(pair)
        }
    }

    /// The words that contained `pair` (some may no longer: they are left as they are).
    func words(containing pair: UInt64) -> [Int] { (wordsByPair[pair] ?? []).sorted() }

    /// Pushes the pairs whose counts changed since the last commit.
    mutating func commit() {
        for pair in changed { push((count[pair] ?? 0, pair)) }
        changed.removeAll(keepingCapacity: true)
    }

    /// The most frequent pair that occurs at least twice (ties: the smaller pair). Merging it in every
    /// word brings its count to 0.
    mutating func popBest() -> (UInt64, Int)? {
        commit()
        while let top = heap.first {
            pop()
            guard count[top.pair] == top.count else { continue }  // stale entry
            guard top.count >= 2 else { return nil }
            return (top.pair, top.count)
        }
        return nil
    }

    private static func before(_ x: (count: Int, pair: UInt64), _ y: (count: Int, pair: UInt64)) -> Bool {
        x.count != y.count ? x.count > y.count : x.pair < y.pair
    }

    private mutating func push(_ entry: (count: Int, pair: UInt64)) {
        heap.append(entry)
        var i = heap.count - 1
        while i > 0, PairCounts.before(heap[i], heap[(i - 1) / 2]) {
            heap.swapAt(i, (i - 1) / 2)
            i = (i - 1) / 2
        }
    }

    private mutating func pop() {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        var i = 0
        while true {
            let (l, r) = (2 * i + 1, 2 * i + 2)
            var best = i
            if l < heap.count, PairCounts.before(heap[l], heap[best]) { best = l }
            if r < heap.count, PairCounts.before(heap[r], heap[best]) { best = r }
            if best == i { return }
            heap.swapAt(i, best)
            i = best
        }
    }
}
