// The dynamic, loss-based selectors: at every step each draws a uniform candidate set larger than the
// batch, asks for the current model's loss on it, and picks the batch from it — by reducible loss
// (RHO-LOSS), by rank-based sampling (online batch selection), or easiest first (self-paced learning).
import Foundation
import RaiseKit

/// The skeleton every loss-based selector shares: draw the seeded candidate set, measure the current
/// model's loss on it, and let the selector choose its batch among the candidates (`choose`).
class CandidateSelector: InstructionSelector {
    let mode = SelectionMode.everyStep
    /// None by default: the current losses come with each request.
    var requiredFeatures: [String] { [] }
    /// The selector's id, named in its errors.
    let id: String
    let factor: Int
    var rng: RandomGenerator

    init(id: String, factor: Int, seed: UInt64) {
        self.id = id
        self.factor = factor
        rng = RandomGenerator(seed: seed)
    }

    func select(_ request: SelectionRequest) throws -> [Int] {
        let candidates = rng.sample(min(request.poolSize, factor * request.count), of: request.poolSize)
        let losses = try losses(candidates, of: request, selector: id)
        return try choose(candidates: candidates, losses: losses, request: request).map { candidates[$0] }
    }

    /// The positions in `candidates` of this step's batch, given each candidate's current loss.
    func choose(candidates: [Int], losses: [Float], request: SelectionRequest) throws -> [Int] {
        fatalError("\(id): a loss-based selector chooses its batch in its own `choose`")
    }

    /// `count` distinct positions of `weights` drawn in proportion to them (without replacement).
    func sample(weights: [Double], count: Int) -> [Int] {
        var weights = weights, chosen = [Int]()
        for _ in 0..<min(count, weights.count) {
            let total = weights.reduce(0, +)
            var target = Double(rng.nextFloat()) * total
            var pick = weights.lastIndex { $0 > 0 } ?? 0
            for (i, w) in weights.enumerated() where w > 0 {
                target -= w
                if target < 0 { pick = i; break }
            }
            chosen.append(pick)
            weights[pick] = 0
        }
        return chosen
    }
}

/// selector.rho-loss: the candidates with the highest reducible holdout loss, current − reference, where
/// the reference loss comes from a model trained on the target validation split (`--reference-model`).
final class RhoLossSelector: CandidateSelector {
    static let factory = PluginFactory(
        id: "selector.rho-loss", kind: .selector, version: "1.0.0",
        summary: "RHO-LOSS: highest reducible holdout loss among candidates, every step (needs --reference-model)",
        parameters: [PluginParameter("candidates", .integer(1...64), default: "4", "candidate set size, in batches")],
        create: { RhoLossSelector(id: "selector.rho-loss", factor: $0.integer("candidates"), seed: $0.seed) })

    override var requiredFeatures: [String] { [FeaturePipeline.referencePrefix + FeatureSpec.loss] }

    override func choose(candidates: [Int], losses: [Float], request: SelectionRequest) throws -> [Int] {
        let reference = try column(FeatureColumn.reference(FeatureColumn.loss), of: request, selector: id)
        let reducible = zip(candidates, losses).map { $1 - reference[$0] }
        return Array(ranked(reducible).prefix(request.count))
    }
}

/// selector.online-loss: Loshchilov & Hutter's online batch selection — candidates ranked by current
/// loss, picked with probability ∝ exp(−ln(pressure) · rank / M), so the hardest is `pressure` times as
/// likely as the easiest.
final class OnlineLossSelector: CandidateSelector {
    static let factory = PluginFactory(
        id: "selector.online-loss", kind: .selector, version: "1.0.0",
        summary: "online batch selection: rank-based sampling by current loss, every step",
        parameters: [PluginParameter("candidates", .integer(1...64), default: "4", "candidate set size, in batches"),
                     PluginParameter("pressure", .number(1...1e6), default: "100", "how much likelier the hardest is than the easiest")],
        create: { OnlineLossSelector(factor: $0.integer("candidates"), pressure: $0.number("pressure"), seed: $0.seed) })

    let pressure: Double

    init(factor: Int, pressure: Double, seed: UInt64) {
        self.pressure = pressure
        super.init(id: "selector.online-loss", factor: factor, seed: seed)
    }

    override func choose(candidates: [Int], losses: [Float], request: SelectionRequest) throws -> [Int] {
        let order = ranked(losses)  // hardest first
        var weights = [Double](repeating: 0, count: candidates.count)
        for (rank, position) in order.enumerated() { weights[position] = exp(-log(pressure) * Double(rank) / Double(max(candidates.count - 1, 1))) }
        return sample(weights: weights, count: request.count)
    }
}

/// selector.sspl: self-paced learning — uniform among the easiest candidates by current loss, the easy
/// share growing linearly from `start` to all of them over training (the RAISE paper's dynamic baseline).
final class SelfPacedSelector: CandidateSelector {
    static let factory = PluginFactory(
        id: "selector.sspl", kind: .selector, version: "1.0.0",
        summary: "self-paced learning: easy to hard by current loss, every step",
        parameters: [PluginParameter("candidates", .integer(1...64), default: "4", "candidate set size, in batches"),
                     PluginParameter("start", .number(0.01...1), default: "0.3", "the easy share allowed at the first step")],
        create: { SelfPacedSelector(factor: $0.integer("candidates"), start: $0.number("start"), seed: $0.seed) })

    let start: Double

    init(factor: Int, start: Double, seed: UInt64) {
        self.start = start
        super.init(id: "selector.sspl", factor: factor, seed: seed)
    }

    override func choose(candidates: [Int], losses: [Float], request: SelectionRequest) throws -> [Int] {
        let easiest = ranked(losses, descending: false)
        let progress = Double(request.step) / Double(max(request.totalSteps - 1, 1))
        let allowed = min(candidates.count, max(request.count, Int((Double(candidates.count) * (start + (1 - start) * progress)).rounded(.up))))
        return sample(weights: Array(repeating: 1, count: allowed), count: request.count).map { easiest[$0] }
    }
}
