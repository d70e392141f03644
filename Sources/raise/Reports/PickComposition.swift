// PickComposition: what each entry trained on, by category — each pool record's task family, task or source
// file (`InstructionRecord.category`) — counted once for report.md's table "What each entry picked" and for
// composition.svg's bars, so that the text report says what the chart shows.
import Foundation
import RaiseKit

/// What an entry's runs at one budget trained on: shares of the examples its steps saw.
struct PickShares {
    /// Each category's share.
    let byCategory: [String: Double]
    /// The share tagged noisy (a wrong answer), and the share tagged a duplicate: on tagged data only.
    let noisy: Double
    let duplicate: Double
}

extension BenchReport {
    /// The pool's categories, sorted.
    var categories: [String] { Array(Set(records.map(\.category))).sorted() }

    /// What the runs of `entry` shown at `budget` picked, every step's examples counted (a record picked
    /// twice, twice); nil when the entry has no run there.
    func pickShares(_ entry: String, _ budget: String) -> PickShares? {
        let group = runs(entry, budget)
        guard !group.isEmpty else { return nil }
        var counts = [String: Int](), total = 0, noisy = 0, duplicate = 0
        for run in group {
            for (i, times) in run.picks {
                counts[records[i].category, default: 0] += times
                total += times
                if records[i].hiddenTags["noisy"] == "true" { noisy += times }
                if let d = records[i].hiddenTags["duplicate"], d != "none" { duplicate += times }
            }
        }
        let share = { (count: Int) in Double(count) / Double(max(total, 1)) }
        return PickShares(byCategory: counts.mapValues(share), noisy: share(noisy), duplicate: share(duplicate))
    }

    /// report.md's section: at each budget, each entry's picks by category, in percent of its examples; ""
    /// when the pool is of one category.
    var compositionTable: String {
        let categories = categories
        guard categories.count > 1 else { return "" }
        var text = "\n## What each entry picked\n\nThe share of each entry's training examples (every step's, over its seeds) "
        text += "from each part of the pool: its task family, else its task, else the file it came from.\n"
        for budget in budgets {
            text += "\n### Budget \(budget.label)\n\n| entry | " + categories.joined(separator: " | ") + " |\n|---|"
                + String(repeating: "---|", count: categories.count) + "\n"
            for entry in entries {
                guard let shares = pickShares(entry, budget.label) else { continue }
                text += "| \(entry) | " + categories.map { String(format: "%.0f%%", 100 * (shares.byCategory[$0] ?? 0)) }.joined(separator: " | ") + " |\n"
            }
        }
        return text
    }
}
