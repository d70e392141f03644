// BenchLearningRates: the peak learning rate of each budget of a benchmark. The equal-treatment rule
// holds within a budget — every entry trains at the same rate — but a budget of 11 steps is not judged at
// a rate made for 1,125: each budget's rate is swept on validation with random selection (the full-data
// baseline's with full data), unless `--lr` fixes one rate for all.
import RaiseKit

/// The learning rate of every budget, and the sweeps that chose them.
struct BenchLearningRates {
    /// The rate `--lr` fixed for every budget, if any.
    let fixed: Double?
    /// For each swept budget: its label, the entry swept, and (rate, validation loss) at each rate tried.
    var sweeps: [(budget: String, entry: String, points: [(lr: Double, loss: Double)])] = []

    init(fixed: Double?) { self.fixed = fixed }

    /// The rate of `budget`: the fixed one, or the sweep's best (nil for a budget not swept).
    func rate(_ budget: String?) -> Double? {
        if let fixed { return fixed }
        guard let sweep = sweeps.first(where: { $0.budget == budget }) else { return nil }
        return sweep.points.min { $0.loss < $1.loss }!.lr
    }

    /// The rate of a budget of the plan (every one is swept, unless fixed).
    func rate(_ budget: String) -> Double {
        guard let rate = rate(Optional(budget)) else { fatalError("BenchLearningRates: budget \(budget) was not swept") }
        return rate
    }

    /// A caution for each budget whose best rate is the smallest or largest swept: a better one may lie beyond.
    var edges: [String] {
        sweeps.compactMap { sweep in
            let rates = sweep.points.map(\.lr)
            let best = rate(sweep.budget)
            guard rates.count > 1, let low = rates.min(), let high = rates.max(), best == low || best == high else { return nil }
            return "Budget \(sweep.budget): the best rate (\(best)) is the \(best == low ? "smallest" : "largest") swept; "
                + "a rate beyond the sweep may suit it better (widen `--lr-sweep`)."
        }
    }

    /// A caution for each budget whose runner-up rate scored within `spread(budget, entry)` of the best — the seed
    /// spread of the swept entry's validation loss at that budget. The sweep runs one seed, so it does not settle
    /// such a rate: another seed or CPU may choose the other one, and every entry of the budget moves with it.
    func unsettled(spread: (_ budget: String, _ entry: String) -> Double?) -> [String] {
        sweeps.compactMap { sweep in
            let ranked = sweep.points.sorted { $0.loss < $1.loss }
            guard ranked.count > 1, let spread = spread(sweep.budget, sweep.entry), ranked[1].loss - ranked[0].loss < spread else { return nil }
            return "Budget \(sweep.budget): lr \(ranked[1].lr) scored within the seed spread of \(sweep.entry) there (±"
                + String(format: "%.4f", spread) + ") of the chosen \(ranked[0].lr) (" + String(format: "%.4f against %.4f", ranked[1].loss, ranked[0].loss)
                + "): the sweep does not settle this budget's rate, and on another seed or CPU it may choose the other one, "
                + "moving every entry at this budget with it (`--lr` fixes a rate)."
        }
    }
}
