// SelectionState: RAISE's fused state — one row per pool instruction, rebuilt at every training step
// from four groups (the paper's 39 dimensions with 32 semantic ones), each of which can be switched off:
//   stage        [(t−1)/T, t/T]                       where training is (t is the 1-based step)
//   difficulty   [log(1+prompt tokens), log(1+response tokens), log P(y|x), log P(y)]  under the auxiliary model
//   semantics    the PCA-reduced embedding (32 dims by default)
//   availability [log(1 + times selected so far)]
// and, beyond the paper,
//   current-loss [the model being trained's own loss on the instruction, refreshed every k steps]
//   relevance    [similarity to the target's validation embeddings (or another RelevanceSignal), LESS
//                 gradient alignment with the validation gradients]   computed before training
// Static columns are standardised over the pool (mean 0, deviation 1), so a
// policy sees the same scale on any pool.

import Foundation

/// A group of state columns.
public enum StateGroup: String, CaseIterable, Sendable {
    case stage, difficulty, semantics, availability
    case currentLoss = "current-loss"
    case relevance

    /// The paper's groups.
    public static let paper: [StateGroup] = [.stage, .difficulty, .semantics, .availability]
    /// The paper's groups and the relevance to the target: the default.
    public static let targetAware: [StateGroup] = paper + [.relevance]

    /// Parses a list separated by commas or plus signs (`stage,difficulty`; `stage+difficulty` inside a
    /// plugin spec, whose commas separate parameters), kept in canonical order.
    ///
    /// - Throws: `RaiseError.invalidArgument` naming `option` and the unknown group.
    public static func parseList(_ text: String, option: String) throws -> [StateGroup] {
        var groups = Set<StateGroup>()
        for word in text.split(whereSeparator: { $0 == "," || $0 == "+" }) {
            guard let group = StateGroup(rawValue: String(word)) else {
                throw RaiseError.invalidArgument(name: option, detail: "unknown state group '\(word)'; known: "
                                                 + allCases.map(\.rawValue).joined(separator: ", "))
            }
            groups.insert(group)
        }
        guard !groups.isEmpty else { throw RaiseError.invalidArgument(name: option, detail: "no state group") }
        return allCases.filter(groups.contains)
    }
}

/// Which groups a state holds and where each sits in a row.
public struct StateLayout: Equatable, Sendable {
    /// The groups, in canonical order.
    public let groups: [StateGroup]
    /// The width of the semantics group.
    public let semanticDimensions: Int
    /// The relevance group's first column, which the relevance prior ranks by.
    public let relevanceSignal: RelevanceSignal

    /// A layout of `groups` (any order; kept canonical).
    public init(groups: [StateGroup], semanticDimensions: Int = 32, relevanceSignal: RelevanceSignal = .similarity) {
        self.groups = StateGroup.allCases.filter(groups.contains)
        self.semanticDimensions = semanticDimensions
        self.relevanceSignal = relevanceSignal
    }

    /// The number of columns of `group`.
    public func width(of group: StateGroup) -> Int {
        switch group {
        case .stage: return 2
        case .difficulty: return 4
        case .semantics: return semanticDimensions
        case .availability, .currentLoss: return 1
        case .relevance: return 2  // its signal, then LESS's gradient alignment
        }
    }

    /// Columns in a row.
    public var width: Int { groups.reduce(0) { $0 + width(of: $1) } }

    /// Where `group` sits in a row, or nil when it is switched off.
    public func columns(of group: StateGroup) -> Range<Int>? {
        var start = 0
        for g in groups {
            if g == group { return start..<start + width(of: g) }
            start += width(of: g)
        }
        return nil
    }

    /// The width of the critic's summary: the stage, then the pooled non-stage columns.
    public var summaryWidth: Int { 2 + width - (columns(of: .stage)?.count ?? 0) }

    /// The feature-extractor specs whose columns `PoolFeatures` reads.
    public var featureSpecs: [String] {
        var specs = [String]()
        if groups.contains(.difficulty) { specs += [FeatureSpec.length, FeatureSpec.ifd] }
        specs.append(FeatureSpec.embedding(dimensions: semanticDimensions))  // clusters need it even without the group
        // Similarity to the target in the same reduced space as the semantics (or the signal chosen instead).
        if groups.contains(.relevance) { specs += relevanceSignal.featureSpecs(semanticDimensions: semanticDimensions) + [FeatureSpec.gradient] }
        return specs
    }
}

/// The static, standardised per-instruction columns of a pool.
public struct PoolFeatures: Sendable {
    /// Instructions in the pool.
    public let count: Int
    /// Prompt and response lengths and log-likelihoods.   (N, 4)
    public let difficulty: Tensor?
    /// The reduced embedding, also what clusters are made of.   (N, S)
    public let semantics: Tensor
    /// The relevance signal (similarity to the target, by default) and gradient alignment with it.   (N, 2)
    public let relevance: Tensor?

    /// Reads the columns of `layout.featureSpecs` (`prompt_tokens`, `response_tokens`, `loss_conditional`,
    /// `loss_unconditional`, `embedding_i`, the relevance signal's column, `gradient_alignment`) and standardises them.
    ///
    /// - Throws: `RaiseError.invalidArgument` naming a missing or short column.
    public init(columns: [String: [Float]], count: Int, layout: StateLayout) throws {
        func column(_ name: String) throws -> [Float] {
            guard let values = columns[name], values.count == count else {
                throw RaiseError.invalidArgument(name: "state", detail: "feature column '\(name)' is missing or not \(count) long")
            }
            return values
        }
        self.count = count
        if layout.groups.contains(.difficulty) {
            let raw = [try column(FeatureColumn.promptTokens).map { log1p($0) }, try column(FeatureColumn.responseTokens).map { log1p($0) },
                       try column(FeatureColumn.lossConditional).map { -$0 }, try column(FeatureColumn.lossUnconditional).map { -$0 }]
            difficulty = PoolFeatures.standardised(raw, count: count)
        } else {
            difficulty = nil
        }
        semantics = PoolFeatures.standardised(try (0..<layout.semanticDimensions).map { try column(FeatureColumn.embedding($0)) }, count: count)
        relevance = layout.groups.contains(.relevance)
            ? PoolFeatures.standardised([try layout.relevanceSignal.values(count: count, column: column),
                                         try column(FeatureColumn.gradientAlignment)], count: count) : nil
    }

    /// The columns of a static group (difficulty, semantics, relevance); nil for a group that changes
    /// during training or is switched off.   -> (N, width of the group)
    public func staticColumns(of group: StateGroup) -> Tensor? {
        switch group {
        case .difficulty: return difficulty
        case .semantics: return semantics
        case .relevance: return relevance
        case .stage, .availability, .currentLoss: return nil
        }
    }

    /// Columns as a row-major matrix, each shifted to mean 0 and scaled to deviation 1.   -> (N, columns)
    public static func standardised(_ columns: [[Float]], count: Int) -> Tensor {
        let (width, out) = (columns.count, Tensor(zeros: [count, columns.count]))
        for (c, values) in columns.enumerated() {
            let (mean, deviation) = moments(values)
            for i in 0..<count { out.data[i * width + c] = Float((Double(values[i]) - mean) / deviation) }
        }
        return out
    }

    /// Mean and standard deviation (at least 1e-6).
    public static func moments(_ values: [Float]) -> (mean: Double, deviation: Double) {
        let mean = values.reduce(0.0) { $0 + Double($1) } / Double(max(values.count, 1))
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(max(values.count, 1))
        return (mean, max(variance.squareRoot(), 1e-6))
    }
}

/// What changes during a run: the step, how often each instruction was used, the current losses.
public struct TrainingProgress: Sendable {
    /// The 0-based step about to run.
    public var step: Int
    /// Steps in the run.
    public var totalSteps: Int
    /// Times each instruction was trained on so far.   (N)
    public var timesSelected: [Int]
    /// The trained model's standardised loss of each instruction at the last refresh, when measured.   (N)
    public var currentLoss: [Float]?

    /// The progress at the start of a run over `poolSize` instructions.
    public init(totalSteps: Int, poolSize: Int) {
        step = 0
        self.totalSteps = totalSteps
        timesSelected = Array(repeating: 0, count: poolSize)
    }
}

extension StateLayout {
    /// The fused state of every instruction.   -> (N, width)
    public func fusedState(_ features: PoolFeatures, _ progress: TrainingProgress) -> Tensor {
        let (n, w) = (features.count, width)
        let out = Tensor(uninitialized: [n, w])
        let (row, stage) = (out.data, stageValues(progress))
        for group in groups {
            let start = columns(of: group)!.lowerBound
            switch group {
            case .stage:
                for i in 0..<n { (row[i * w + start], row[i * w + start + 1]) = stage }
            case .difficulty, .semantics, .relevance:
                copyColumns(features.staticColumns(of: group)!, into: out, at: start)
            case .availability:
                for i in 0..<n { row[i * w + start] = log1p(Float(progress.timesSelected[i])) }
            case .currentLoss:
                for i in 0..<n { row[i * w + start] = progress.currentLoss?[i] ?? 0 }
            }
        }
        return out
    }

    /// The critic's input: the stage, then the non-stage columns of the fused state averaged over what
    /// has been trained on so far (weighted by use; zeros before the first step).   -> (1, summaryWidth)
    public func summary(of features: PoolFeatures, _ progress: TrainingProgress) -> Tensor {
        let out = Tensor(zeros: [1, summaryWidth])
        (out.data[0], out.data[1]) = stageValues(progress)
        let used = progress.timesSelected.reduce(0, +)
        guard used > 0 else { return out }
        var at = 2
        for group in groups where group != .stage {
            for (i, times) in progress.timesSelected.enumerated() where times > 0 {
                let weight = Float(times) / Float(used)
                switch group {
                case .stage: break
                case .difficulty, .semantics, .relevance:
                    let columns = features.staticColumns(of: group)!, k = columns.shape[1]
                    for j in 0..<k { out.data[at + j] += weight * columns.data[i * k + j] }
                case .availability: out.data[at] += weight * log1p(Float(times))
                case .currentLoss: out.data[at] += weight * (progress.currentLoss?[i] ?? 0)
                }
            }
            at += width(of: group)
        }
        return out
    }

    private func stageValues(_ progress: TrainingProgress) -> (Float, Float) {
        let total = Float(max(progress.totalSteps, 1))
        return (Float(progress.step) / total, Float(progress.step + 1) / total)
    }

    private func copyColumns(_ source: Tensor, into out: Tensor, at start: Int) {
        let (n, c, w) = (source.shape[0], source.shape[1], out.shape[1])
        for i in 0..<n { (out.data + i * w + start).update(from: source.data + i * c, count: c) }
    }
}
