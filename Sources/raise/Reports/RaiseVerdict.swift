// RaiseVerdict: report.md's answer to "does RAISE earn its policy training here?" — at each budget, each trained RAISE
// entry against the strongest other selector (the lowest validation loss among the rest) and against its own policy
// untrained (`raise:episodes=0` beside it). Validation decides, as a user choosing would; the test split is shown, not
// used. It judges only the runs it is given: it does not rank the selectors overall (the budget tables do).
import RaiseKit

extension BenchReport {
    /// The selector family an entry belongs to — `raise` for `raise`, `selector.raise:relevance=dsir` and
    /// `raise:episodes=0` alike — and its parsed spec; nil for an entry that is not a selector.
    func selectorFamily(_ entry: String) -> (id: String, spec: PluginSpec)? {
        guard results.first(where: { $0.entry == entry })?.kind == BenchEntry.Kind.selector.rawValue,
              let spec = try? PluginSpec(parsing: entry, option: "--selector") else { return nil }
        let prefix = PluginKind.selector.idPrefix
        return (spec.id.hasPrefix(prefix) ? String(spec.id.dropFirst(prefix.count)) : spec.id, spec)
    }

    /// The section, or "" when no RAISE entry trained a policy or no other selector ran beside it.
    var raiseVerdict: String {
        let families = entries.compactMap { entry in selectorFamily(entry).map { (entry: entry, id: $0.id, spec: $0.spec) } }
        let others = families.filter { $0.id != "raise" }.map(\.entry)
        let raise = families.filter { $0.id == "raise" }
        let isUntrained = { (spec: PluginSpec) in spec.setting("episodes").flatMap { Int($0) } == 0 }
        let trained = raise.filter { !isUntrained($0.spec) }
        guard !trained.isEmpty, !others.isEmpty else { return "" }
        // Its untrained twin: the same settings but `episodes=0` (the benchmark's `--episodes` is at least 1).
        func untrained(_ entry: (entry: String, id: String, spec: PluginSpec)) -> String? {
            let settings = entry.spec.settings.filter { $0.name != "episodes" }
            return raise.first { twin in
                isUntrained(twin.spec) && twin.spec.settings.filter { $0.name != "episodes" }.elementsEqual(settings) { $0 == $1 }
            }?.entry
        }
        let seeds = Set(results.map(\.seed)).count
        var text = "\n## Does RAISE earn its policy training?\n\nAt each budget, each trained RAISE entry against the strongest other "
        text += "selector — the one with the lowest validation loss among the rest, the one you would otherwise take — and, where it ran "
        text += "beside it, against its own policy untrained (`raise:episodes=0`: what the training added). A difference is the entry's mean "
        text += "loss minus the other's (negative: RAISE lower). The verdicts are on validation, which decides: ahead or behind where the "
        text += "difference is larger than the seed spread (the larger of the two standard deviations), level otherwise"
        text += seeds < 2 ? "; with one seed there is no spread to judge by." : "."
        text += " The test split is what to expect of the choice, which never saw it.\n\n"
        text += "| budget | RAISE entry | strongest other | val difference | test difference | verdict | val difference to untrained | "
        text += "test difference to untrained | training's verdict |\n|---|---|---|---|---|---|---|---|---|\n"
        for budget in budgets.map(\.label) {
            let loss = { (entry: String, metric: (BenchResult) -> Double?) in self.statistics(of: entry, at: budget, metric) }
            guard let strongest = others.filter({ !runs($0, budget).isEmpty }).min(by: { loss($0, \.validationLoss).mean < loss($1, \.validationLoss).mean })
            else { continue }
            for entry in trained where !runs(entry.entry, budget).isEmpty {
                let against = { (other: String?) -> (validation: String, test: String, verdict: String) in
                    guard let other, !self.runs(other, budget).isEmpty else { return ("—", "—", "—") }
                    let (mine, theirs) = (loss(entry.entry, \.validationLoss), loss(other, \.validationLoss))
                    let tests = (loss(entry.entry, \.testLoss), loss(other, \.testLoss))
                    let difference = mine.mean - theirs.mean
                    let spread = max(mine.deviation, theirs.deviation)
                    let verdict = seeds < 2 ? "—" : difference < -spread ? "ahead" : difference > spread ? "behind" : "level"
                    let test = self.runs(entry.entry, budget).contains { $0.testLoss != nil } ? String(format: "%+.4f", tests.0.mean - tests.1.mean) : "—"
                    return (String(format: "%+.4f", difference), test, verdict)
                }
                let (strongestValidation, strongestTest, strongestVerdict) = against(strongest)
                let (twinValidation, twinTest, twinVerdict) = against(untrained(entry))
                text += "| \(budget) | \(entry.entry) | \(strongest) | \(strongestValidation) | \(strongestTest) | \(strongestVerdict) | "
                    + "\(twinValidation) | \(twinTest) | \(twinVerdict) |\n"
            }
        }
        return text
    }
}
