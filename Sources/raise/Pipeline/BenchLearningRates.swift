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
}
