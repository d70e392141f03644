// Pool: instruction records and the tokenized examples a model reads them as, index for index — the
// selection pool, or a target split. One value instead of two arrays kept in step by hand.

/// Records and their examples, in the same order.
public struct Pool: Sendable {
    /// The records, as read.
    public let records: [InstructionRecord]
    /// Each record's ids and answer mask.
    public let examples: [TokenizedExample]
    /// What fitting the records into the formatter's context cut (nothing tallied for a pool made of examples).
    public let cuts: ContextCuts

    /// A pool of `records` and their `examples` (one each, in the same order).
    public init(records: [InstructionRecord], examples: [TokenizedExample], cuts: ContextCuts = ContextCuts(context: 0)) {
        precondition(records.count == examples.count, "Pool: \(records.count) records, \(examples.count) examples")
        self.records = records
        self.examples = examples
        self.cuts = cuts
    }

    /// The pool of the records that keep a response token under `formatter` (the others are dropped), with the
    /// tally of what the context cut from those kept.
    public init(formatting records: [InstructionRecord], with formatter: PromptFormatter) {
        let fit = formatter.fit(records)
        self.init(records: fit.positions.map { records[$0] }, examples: fit.examples, cuts: fit.cuts)
    }

    /// The pools of `parts` one after another, in order (the files of one split, each fitted to the same context).
    public init(joining parts: [Pool]) {
        var cuts = ContextCuts(context: parts.first?.cuts.context ?? 0)
        for part in parts { cuts.add(part.cuts) }
        self.init(records: parts.flatMap(\.records), examples: parts.flatMap(\.examples), cuts: cuts)
    }

    /// Records in the pool.
    public var count: Int { records.count }
    /// Whether it holds no record.
    public var isEmpty: Bool { records.isEmpty }
    /// The mean number of tokens per example: what a token budget is divided by.
    public var meanTokens: Double { examples.meanTokens }
}
