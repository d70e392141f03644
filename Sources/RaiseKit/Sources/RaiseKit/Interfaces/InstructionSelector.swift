// InstructionSelector: what a selector plugin (kind `selector`) makes — the policy that chooses which
// pool examples the model trains on.
//
// Contract. Static selectors (`mode == .once`) are asked once, before training, for the subset the
// trainer then cycles over; dynamic ones (`.everyStep`) are asked at every step for that step's batch
// and see the training state. Every method, RAISE included, gets the same number of update steps. A
// selector draws its randomness only from the seed in its `PluginArguments`, so a seed fixes its
// choices. Not thread-safe. A request it cannot meet (count larger than the pool) is a `RaiseError`.

/// When a selector chooses.
public enum SelectionMode: Sendable {
    /// Once, before training: a fixed subset.
    case once
    /// At every step: that step's batch.
    case everyStep
}

/// What a selector is told when asked to choose.
public struct SelectionRequest {
    /// The number of examples in the pool; answers are indices in 0..<poolSize.
    public let poolSize: Int
    /// How many indices to return: the subset size (once) or the batch size (every step).
    public let count: Int
    /// The 0-based training step about to run (0 for static selection).
    public let step: Int
    /// The number of update steps in the whole run.
    public let totalSteps: Int
    /// How often each pool example has been trained on so far.   (poolSize)
    public let timesSelected: [Int]
    /// Named per-example feature columns from feature extractors.   name -> (poolSize)
    public let features: [String: [Float]]
    /// The current model's mean answer loss of the given pool examples (dynamic selection only; nil for
    /// static selection, which happens before training).   indices (M) -> (M)
    public let currentLosses: (([Int]) throws -> [Float])?

    /// A request; `timesSelected` and every feature column must have `poolSize` entries.
    public init(poolSize: Int, count: Int, step: Int = 0, totalSteps: Int, timesSelected: [Int]? = nil,
                features: [String: [Float]] = [:], currentLosses: (([Int]) throws -> [Float])? = nil) {
        precondition(features.values.allSatisfy { $0.count == poolSize }, "SelectionRequest: a feature column is not poolSize long")
        self.poolSize = poolSize
        self.count = count
        self.step = step
        self.totalSteps = totalSteps
        self.timesSelected = timesSelected ?? Array(repeating: 0, count: poolSize)
        self.features = features
        self.currentLosses = currentLosses
    }
}

/// Chooses pool examples to train on.
public protocol InstructionSelector: AnyObject {
    /// Whether it chooses once or at every step.
    var mode: SelectionMode { get }

    /// The feature extractors (plugin specs, `feature.ifd:variant=loss`) whose columns it reads from
    /// `SelectionRequest.features`; the host computes them over the pool before asking.
    var requiredFeatures: [String] { get }

    /// The chosen pool indices, `request.count` of them (distinct, unless a selector documents otherwise).
    func select(_ request: SelectionRequest) throws -> [Int]
}

/// A selector that says why it chose: the score and cluster behind each index of its last answer
/// (RAISE's policy), written into `raise finetune`'s selection log.
public protocol ExplainingSelector: InstructionSelector {
    /// For each index of the last `select` answer, in order: its score and its cluster.
    var lastChoice: [(score: Float, cluster: Int)] { get }
}

extension InstructionSelector {
    /// No features, unless a selector says otherwise.
    public var requiredFeatures: [String] { [] }

    /// A feature column the request must hold.
    ///
    /// - Throws: `RaiseError.invalidArgument` naming the selector and the column when it is absent.
    public func column(_ name: String, of request: SelectionRequest, selector: String) throws -> [Float] {
        guard let column = request.features[name] else {
            throw RaiseError.invalidArgument(name: selector, detail: "feature column '\(name)' was not computed (it needs \(requiredFeatures.joined(separator: ", ")))")
        }
        return column
    }

    /// The current model's losses of `indices`.
    ///
    /// - Throws: `RaiseError.invalidArgument` naming the selector when the request carries no model.
    public func losses(_ indices: [Int], of request: SelectionRequest, selector: String) throws -> [Float] {
        guard let currentLosses = request.currentLosses else {
            throw RaiseError.invalidArgument(name: selector, detail: "needs the current model's losses (it selects during training)")
        }
        return try currentLosses(indices)
    }

    /// Pool indices ordered by `values`, highest first (ties: lower index first).
    public func ranked(_ values: [Float], descending: Bool = true) -> [Int] {
        values.indices.sorted { descending ? (values[$0], -$0) > (values[$1], -$1) : (values[$0], $0) < (values[$1], $1) }
    }
}
