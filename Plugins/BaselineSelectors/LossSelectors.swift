// The dynamic, loss-based selectors: at every step each draws a uniform candidate set larger than the
// batch, asks for the current model's loss on it, and picks the batch from it — by reducible loss
// (RHO-LOSS), by rank-based sampling (online batch selection), or easiest first (self-paced learning).
import Foundation
import RaiseKit

/// Shared by the loss-based selectors: the seeded candidate draw.
class CandidateSelector {
    let mode = SelectionMode.everyStep
    let factor: Int
    var rng: RandomGenerator

    init(factor: Int, seed: UInt64) {
        self.factor = factor
        rng = RandomGenerator(seed: seed)
    }

    /// `factor × count` distinct pool indices drawn uniformly (the whole pool when it is smaller).
    func candidates(_ request: SelectionRequest) -> [Int] {
        rng.sample(min(request.poolSize, factor * request.count), of: request.poolSize)
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
final class RhoLossSelector: CandidateSelector, InstructionSelector {
    static let factory = PluginFactory(
        id: "selector.rho-loss", kind: .selector, version: "1.0.0",
        summary: "RHO-LOSS: highest reducible holdout loss among candidates, every step (needs --reference-model)",
        parameters: [PluginParameter("candidates", .integer(1...64), default: "4", "candidate set size, in batches")],
        create: { RhoLossSelector(factor: $0.integer("candidates"), seed: $0.seed) })

    let requiredFeatures = ["reference:feature.loss"]

    func select(_ request: SelectionRequest) throws -> [Int] {
        let reference = try column("reference_loss", of: request, selector: "selector.rho-loss")
        let pool = candidates(request)
        let current = try losses(pool, of: request, selector: "selector.rho-loss")
        let reducible = zip(pool, current).map { $1 - reference[$0] }
        return ranked(reducible).prefix(request.count).map { pool[$0] }
    }
}

/// selector.online-loss: Loshchilov & Hutter's online batch selection — candidates ranked by current
/// loss, picked with probability ∝ exp(−ln(pressure) · rank / M), so the hardest is `pressure` times as
/// likely as the easiest.
final class OnlineLossSelector: CandidateSelector, InstructionSelector {
    static let factory = PluginFactory(
        id: "selector.online-loss", kind: .selector, version: "1.0.0",
        summary: "online batch selection: rank-based sampling by current loss, every step",
        parameters: [PluginParameter("candidates", .integer(1...64), default: "4", "candidate set size, in batches"),
                     PluginParameter("pressure", .number(1...1e6), default: "100", "how much likelier the hardest is than the easiest")],
        create: { OnlineLossSelector(factor: $0.integer("candidates"), pressure: $0.number("pressure"), seed: $0.seed) })

    let pressure: Double

    init(factor: Int, pressure: Double, seed: UInt64) {
        self.pressure = pressure
        super.init(factor: factor, seed: seed)
    }

    func select(_ request: SelectionRequest) throws -> [Int] {
        let pool = candidates(request)
        let order = ranked(try losses(pool, of: request, selector: "selector.online-loss"))  // hardest first
        var weights = [Double](repeating: 0, count: pool.count)
        for (rank, position) in order.enumerated() { weights[position] = exp(-log(pressure) * Double(rank) / Double(max(pool.count - 1, 1))) }
        return sample(weights: weights, count: request.count).map { pool[$0] }
    }
}

/// selector.sspl: self-paced learning — uniform among the easiest candidates by current loss, the easy
/// share growing linearly from `start` to all of them over training (the RAISE paper's dynamic baseline).
final class SelfPacedSelector: CandidateSelector, InstructionSelector {
    static let factory = PluginFactory(
        id: "selector.sspl", kind: .selector, version: "1.0.0",
        summary: "self-paced learning: easy to hard by current loss, every step",
        parameters: [PluginParameter("candidates", .integer(1...64), default: "4", "candidate set size, in batches"),
                     PluginParameter("start", .number(0.01...1), default: "0.3", "the easy share allowed at the first step")],
        create: { SelfPacedSelector(factor: $0.integer("candidates"), start: $0.number("start"), seed: $0.seed) })

    let start: Double

    init(factor: Int, start: Double, seed: UInt64) {
        self.start = start
        super.init(factor: factor, seed: seed)
    }

    func select(_ request: SelectionRequest) throws -> [Int] {
        let pool = candidates(request)
        let easiest = ranked(try losses(pool, of: request, selector: "selector.sspl"), descending: false)
        let progress = Double(request.step) / Double(max(request.totalSteps - 1, 1))
        let allowed = min(pool.count, max(request.count, Int((Double(pool.count) * (start + (1 - start) * progress)).rounded(.up))))
        let chosen = sample(weights: Array(repeating: 1, count: allowed), count: request.count)
        return chosen.map { pool[easiest[$0]] }
    }
}
