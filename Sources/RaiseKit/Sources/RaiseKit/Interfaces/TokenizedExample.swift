// TokenizedExample: the unit every model, feature, reward and selector sees — token ids and the mask
// that says which of them are scored (the answer), as a prompt template produces them.

/// One instruction example as token ids with an answer mask.
public struct TokenizedExample: Hashable, Sendable {
    /// Prompt tokens followed by answer tokens (and the end-of-sequence token that closes the answer).
    public var ids: [Int32]
    /// The weight of predicting `ids[i]` from `ids[..<i]`: 1 on answer tokens, 0 elsewhere. Same length
    /// as `ids`; position 0 is never scored.
    public var lossMask: [Float]

    /// An example; `lossMask` must have one entry per id.
    public init(ids: [Int32], lossMask: [Float]) {
        precondition(ids.count == lossMask.count, "TokenizedExample: \(ids.count) ids but \(lossMask.count) mask values")
        self.ids = ids
        self.lossMask = lossMask
    }

    /// The number of scored (answer) tokens.
    public var answerTokenCount: Int { lossMask.lazy.filter { $0 > 0 }.count }

    /// Each of `prompts` followed by each of `candidates` in turn (prompt-major), only that last token scored:
    /// an example's loss is −log p(candidate | prompt).
    ///
    /// - Throws: `RaiseError.invalidArgument` naming `backend` when a prompt is empty (nothing to predict from).
    public static func nextToken(_ candidates: [Int32], after prompts: [[Int32]], backend: String) throws -> [TokenizedExample] {
        if let empty = prompts.firstIndex(where: \.isEmpty) {
            throw RaiseError.invalidArgument(name: backend, detail: "next-token log-probabilities need non-empty prompts (prompt \(empty) is empty)")
        }
        return prompts.flatMap { prompt in
            candidates.map { TokenizedExample(ids: prompt + [$0], lossMask: [Float](repeating: 0, count: prompt.count) + [1]) }
        }
    }
}
