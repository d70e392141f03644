// ContextCut: what fitting a record into a model's context removed, and the tally of it over a pool or split.
// A record longer than the context loses the start of its prompt first (its answer kept whole), then, when
// the answer alone is too long, the whole prompt and the end of the answer. A loss over such examples
// measures answers read without (part of) their instruction, so every command that formats records says
// how many were cut, and how.

/// The parts of one record that `PromptFormatter` cut to fit the context (empty: none).
public struct ContextCut: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Some of the prompt's first tokens (the rest of the prompt and the whole answer kept).
    public static let promptStart = ContextCut(rawValue: 1)
    /// Every prompt token: the answer is read without its instruction.
    public static let wholePrompt = ContextCut(rawValue: 2)
    /// The answer's last tokens.
    public static let answerEnd = ContextCut(rawValue: 4)
}

/// How many of a split's records were cut to fit a context, by what they lost.
public struct ContextCuts: Sendable, Equatable {
    /// The context the records were fitted to, in tokens (0: unknown, for a pool not made by a formatter).
    public let context: Int
    /// Records tallied.
    public private(set) var records = 0
    /// Records that lost anything.
    public private(set) var cut = 0
    /// Records that lost the start of their prompt only.
    public private(set) var promptStart = 0
    /// Records that lost their whole prompt.
    public private(set) var wholePrompt = 0
    /// Records that lost the end of their answer.
    public private(set) var answerEnd = 0

    /// An empty tally for records fitted to `context` tokens.
    public init(context: Int) { self.context = context }

    /// Counts one record and what it lost.
    public mutating func add(_ lost: ContextCut) {
        records += 1
        guard !lost.isEmpty else { return }
        cut += 1
        if lost.contains(.wholePrompt) { wholePrompt += 1 } else if lost.contains(.promptStart) { promptStart += 1 }
        if lost.contains(.answerEnd) { answerEnd += 1 }
    }

    /// Adds another tally of the same context (a later window of the same file, another file of the same split).
    public mutating func add(_ other: ContextCuts) {
        precondition(other.context == context, "ContextCuts: adding a tally of context \(other.context) to one of \(context)")
        records += other.records
        cut += other.cut
        promptStart += other.promptStart
        wholePrompt += other.wholePrompt
        answerEnd += other.answerEnd
    }

    /// One sentence for a warning about `what` (a file, a pool), or nil when nothing was cut.
    public func warning(_ what: String) -> String? {
        guard cut > 0 else { return nil }
        var parts = [String]()
        if promptStart > 0 { parts.append("\(promptStart) lost the start of their prompt") }
        if wholePrompt > 0 { parts.append("\(wholePrompt) their whole prompt, so that their answers are read without the instruction") }
        if answerEnd > 0 { parts.append("\(answerEnd) the end of their answer") }
        return "\(what): \(cut) of \(records) record(s) are longer than the context of \(context) tokens and were cut: "
            + parts.joined(separator: "; ")
    }
}
