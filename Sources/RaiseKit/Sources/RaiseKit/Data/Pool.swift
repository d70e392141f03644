// Pool: instruction records and the tokenized examples a model reads them as, index for index — the
// selection pool, or a target split. One value instead of two arrays kept in step by hand.

/// Records and their examples, in the same order.
public struct Pool: Sendable {
    /// The records, as read.
    public let records: [InstructionRecord]
    /// Each record's ids and answer mask.
    public let examples: [TokenizedExample]

    /// A pool of `records` and their `examples` (one each, in the same order).
    public init(records: [InstructionRecord], examples: [TokenizedExample]) {
        precondition(records.count == examples.count, "Pool: \(records.count) records, \(examples.count) examples")
        self.records = records
        self.examples = examples
    }

    /// The pool of the records that keep a response token under `formatter` (the others are dropped).
    public init(formatting records: [InstructionRecord], with formatter: PromptFormatter) {
        var kept = [InstructionRecord](), examples = [TokenizedExample]()
        for record in records {
            guard let example = formatter.example(record) else { continue }
            kept.append(record)
            examples.append(example)
        }
        self.init(records: kept, examples: examples)
    }

    /// Records in the pool.
    public var count: Int { records.count }
    /// Whether it holds no record.
    public var isEmpty: Bool { records.isEmpty }
    /// The mean number of tokens per example: what a token budget is divided by.
    public var meanTokens: Double { examples.meanTokens }
}
