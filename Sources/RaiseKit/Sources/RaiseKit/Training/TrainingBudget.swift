// TrainingBudget: how many update steps a run gets. Every method gets the same number of steps and the
// same batch size; the budget may be written as steps, as a share of the full-data baseline's steps
// (3 epochs over the whole pool, the RAISE paper's protocol), as examples or as tokens — always
// resolved to steps before any work starts, by one rule: a share or a token count rounds to the nearest
// step; an example count must be whole batches (else it is refused, naming the two nearest).

/// A training budget as the user wrote it.
public enum TrainingBudget: Equatable, Sendable, CustomStringConvertible {
    case steps(Int)
    /// A percentage of the full-data baseline's steps.
    case percent(Double)
    case examples(Int)
    case tokens(Int)

    /// Epochs the full-data baseline trains for.
    public static let fullDataEpochs = 3

    /// Parses `500`, `500steps`, `1%`, `2000examples` or `100000tokens`.
    ///
    /// - Throws: `RaiseError.invalidArgument` naming `--budget`.
    public init(parsing text: String) throws {
        func number(_ suffix: String) -> Double? { text.hasSuffix(suffix) ? DecimalText.value(of: text.dropLast(suffix.count)) : nil }
        func count(_ n: Double?) -> Int? { n.flatMap { Int(exactly: $0) }.flatMap { $0 >= 1 ? $0 : nil } }
        if let p = number("%"), p > 0, p <= 100_000 { self = .percent(p) }
        else if let n = count(number("examples")) { self = .examples(n) }
        else if let n = count(number("tokens")) { self = .tokens(n) }
        else if let n = count(number("steps") ?? DecimalText.value(of: text)) { self = .steps(n) }
        else {
            throw RaiseError.invalidArgument(name: "--budget", detail: "'\(text)': expected N steps, N%, Nexamples or Ntokens, with N > 0")
        }
    }

    /// The budget as a user writes it: `500steps`, `1%`, `2000examples`, `100000tokens`.
    public var description: String {
        switch self {
        case .steps(let n): return "\(n)steps"
        case .percent(let p): return (p == p.rounded() ? String(Int(p)) : String(p)) + "%"
        case .examples(let n): return "\(n)examples"
        case .tokens(let n): return "\(n)tokens"
        }
    }

    /// The full-data baseline's steps for a pool: 3 epochs of `poolSize` examples in batches.
    public static func fullDataSteps(poolSize: Int, batchSize: Int) -> Int {
        max(1, (fullDataEpochs * poolSize + batchSize - 1) / batchSize)
    }

    /// The budget in steps.
    ///
    /// - Throws: `RaiseError.invalidArgument` when the pool is empty, the budget rounds to no step, or an
    ///   example budget is not a whole number of batches.
    public func steps(poolSize: Int, batchSize: Int, meanTokensPerExample: Double) throws -> Int {
        guard poolSize > 0 else { throw RaiseError.invalidArgument(name: "--data", detail: "the pool is empty") }
        let steps: Int
        switch self {
        case .steps(let n): steps = n
        case .percent(let p): steps = Int((Double(TrainingBudget.fullDataSteps(poolSize: poolSize, batchSize: batchSize)) * p / 100).rounded())
        case .examples(let n):
            guard n % batchSize == 0 || n < batchSize else {
                throw RaiseError.invalidArgument(name: "--budget", detail: "\(self) is not a whole number of batches of \(batchSize) examples: "
                                                 + "use \(n / batchSize * batchSize)examples or \((n / batchSize + 1) * batchSize)examples")
            }
            steps = n / batchSize
        case .tokens(let n):
            guard meanTokensPerExample > 0 else {
                throw RaiseError.invalidArgument(name: "--budget", detail: "a token budget needs tokenized examples (a model and its tokenizer)")
            }
            steps = Int((Double(n) / (meanTokensPerExample * Double(batchSize))).rounded())
        }
        guard steps >= 1 else {
            throw RaiseError.invalidArgument(name: "--budget", detail: "\(self) is less than one training step of \(batchSize) examples")
        }
        return steps
    }
}

extension Array where Element == TokenizedExample {
    /// The mean number of tokens per example (0 for none): what a token budget is divided by.
    public var meanTokens: Double { isEmpty ? 0 : Double(reduce(0) { $0 + $1.ids.count }) / Double(count) }
}
