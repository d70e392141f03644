// BenchLearningRates: the peak learning rate of each run of a benchmark. By default the equal-treatment
// rule holds within a budget — every entry trains at the same rate — but a budget of 11 steps is not judged
// at a rate made for 1,125: each budget's rate is swept on validation with random selection (the full-data
// baseline's with full data), unless `--lr` fixes one rate for all. With `--lr-per entry` every entry is
// swept at every budget the same way and trains at its own best rate: a rate random selection chose says
// little of how fast a targeted selection should train.
import RaiseKit

/// Whose sweep sets a run's learning rate (`--lr-per`).
enum RateScope: String, CaseIterable {
    /// The budget's: random selection is swept at each budget, and every entry there trains at its best rate.
    case budget
    /// The entry's own: every entry is swept at every budget, and trains at its own best rate.
    case entry
}

/// The learning rate of every run, and the sweeps that chose them.
struct BenchLearningRates {
    /// One sweep: an entry at a budget, tried at each rate on one seed.
    struct Sweep {
        let budget: String
        /// The entry swept (its name in reports).
        let entry: String
        /// (rate, validation loss) at each rate tried.
        let points: [(lr: Double, loss: Double)]

        /// The rate with the lowest validation loss.
        var best: Double { points.min { $0.loss < $1.loss }!.lr }
    }

    /// The rate `--lr` fixed for every budget, if any.
    let fixed: Double?
    /// Each budget's sweep: random selection at a budget, full data at the full-data budget.
    var sweeps: [Sweep] = []
    /// With `--lr-per entry`, every other entry's own sweep at each budget of the plan.
    var entrySweeps: [Sweep] = []

    init(fixed: Double?) { self.fixed = fixed }

    /// The rate of `budget`: the fixed one, or its sweep's best (nil for a budget not swept).
    func rate(_ budget: String?) -> Double? {
        if let fixed { return fixed }
        return sweeps.first { $0.budget == budget }?.best
    }

    /// The rate of a budget of the plan (every one is swept, unless fixed).
    func rate(_ budget: String) -> Double {
        guard let rate = rate(Optional(budget)) else { fatalError("BenchLearningRates: budget \(budget) was not swept") }
        return rate
    }

    /// The rate `entry` trains at in `budget`: its own sweep's best with `--lr-per entry`, else the budget's.
    func rate(_ budget: String, entry: String) -> Double {
        entrySweeps.first { $0.budget == budget && $0.entry == entry }?.best ?? rate(budget)
    }

    /// Every sweep, the budgets' first.
    var allSweeps: [Sweep] { sweeps + entrySweeps }

    /// A caution for each sweep whose best rate is the smallest or largest swept: a better one may lie beyond.
    var edges: [String] {
        allSweeps.compactMap { sweep in
            let rates = sweep.points.map(\.lr)
            guard rates.count > 1, let low = rates.min(), let high = rates.max(), sweep.best == low || sweep.best == high else { return nil }
            return "Budget \(sweep.budget)\(about(sweep)): the best rate (\(sweep.best)) is the \(sweep.best == low ? "smallest" : "largest") swept; "
                + "a rate beyond the sweep may suit it better (widen `--lr-sweep`)."
        }
    }

    /// A caution for each sweep whose runner-up rate scored within `spread(budget, entry)` of the best — the seed
    /// spread of the swept entry's validation loss at that budget. A sweep runs one seed, so it does not settle
    /// such a rate: another seed or CPU may choose the other one, and every run trained at it moves with it.
    func unsettled(spread: (_ budget: String, _ entry: String) -> Double?) -> [String] {
        allSweeps.compactMap { sweep in
            let ranked = sweep.points.sorted { $0.loss < $1.loss }
            guard ranked.count > 1, let spread = spread(sweep.budget, sweep.entry), ranked[1].loss - ranked[0].loss < spread else { return nil }
            let moving = entrySweeps.isEmpty ? "every entry at this budget" : sweep.entry + " there"
            return "Budget \(sweep.budget)\(about(sweep)): lr \(ranked[1].lr) scored within the seed spread of \(sweep.entry) there (±"
                + String(format: "%.4f", spread) + ") of the chosen \(ranked[0].lr) (" + String(format: "%.4f against %.4f", ranked[1].loss, ranked[0].loss)
                + "): the sweep does not settle \(entrySweeps.isEmpty ? "this budget's rate" : "this rate"), and on another seed or CPU it may choose "
                + "the other one, moving \(moving) with it (`--lr` fixes a rate)."
        }
    }

    /// The entry a caution is about, where sweeps are per entry.
    private func about(_ sweep: Sweep) -> String { entrySweeps.isEmpty ? "" : ", \(sweep.entry)" }
}
