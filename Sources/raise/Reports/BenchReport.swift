// BenchReport: the files of `raise bench run` made from its finished runs — results.csv (one row per run), report.md
// (mean ± std per entry and budget of validation loss, test loss and exact match, the best marked; on tagged data the
// target and noisy shares of the picks and the share of the random → oracle gap closed; whether RAISE earns its policy
// training, in RaiseVerdict.swift; the policy checks, in PolicyCheckTable.swift; what each entry picked, by category, in
// PickComposition.swift (also composition.svg's bars); for a selector run in variants, the
// one validation chooses; the learning-rate sweeps; the records the context cut; the environment), curves.svg
// (validation loss against steps, one colour per entry, a band for the seed spread), composition.svg (what each entry
// picked, by task family or source file), overlap.md (Jaccard overlap and rank correlation of the picks) and
// report.html (all of it in one self-contained page: the tables, both charts inline, the environment). Every file is
// written atomically.
import Foundation
import RaiseKit

/// Writes a benchmark's report files.
struct BenchReport {
    let results: [BenchResult]
    let budgets: [(label: String, steps: Int)]
    /// The steps of the full-data run (3 epochs over the pool), which percentage budgets are shares of.
    let fullDataSteps: Int
    let records: [InstructionRecord]
    /// Which records are the target's (the oracle's and the target-picks column's), if the pool can tell.
    let target: TargetRecords?
    /// How the test answers were found and compared (`--match`).
    let match: AnswerMatch
    /// Exact match was measured on the first this many test records (nil: all).
    let exactMatchLimit: Int?
    /// Each budget's learning rate and the sweeps that chose them.
    let rates: BenchLearningRates
    /// The checked RAISE policies' checks, by policy folder name (`policyCheckTable`).
    let policyChecks: [(policy: String, check: PolicyCheck)]
    /// What fitting the records into the model's context cut of the pool and of each target split.
    let contextCuts: [(what: String, cuts: ContextCuts)]
    /// How the records were formatted: the prompt template, and the default system prompt if any.
    let promptFormat: (template: PromptTemplate, systemPrompt: String?)
    let environment: [(String, String)]

    /// Writes every file into `out`; returns their paths.
    func write(to out: String) throws -> [String] {
        let (markdown, overlap, curves, composition) = (markdown, overlap, curves, composition)
        let html = BenchReport.html(report: markdown, charts: [curves, composition], overlap: overlap)
        let files = [("results.csv", csv), ("report.md", markdown), ("overlap.md", overlap), ("curves.svg", curves), ("composition.svg", composition),
                     ("report.html", html)]
        for (name, text) in files { try AtomicFile.write(text, to: out + "/" + name) }
        return files.map { out + "/" + $0.0 }
    }

    /// The entries in the order they ran (full data first).
    var entries: [String] {
        var seen = [String]()
        for r in results where !seen.contains(r.entry) { seen.append(r.entry) }
        return seen
    }

    /// The runs of `entry` shown under `budget` (full data under every budget).
    func runs(_ entry: String, _ budget: String) -> [BenchResult] {
        results.filter { $0.entry == entry && ($0.budget == budget || $0.kind == BenchEntry.Kind.fullData.rawValue) }
    }

    /// The mean and standard deviation of `metric` over the runs of `entry` shown under `budget`.
    func statistics(of entry: String, at budget: String, _ metric: (BenchResult) -> Double?) -> (mean: Double, deviation: Double) {
        BenchReport.meanAndDeviation(runs(entry, budget).compactMap(metric))
    }

    var csv: String {
        var text = "budget,entry,kind,seed,val_loss,test_loss,test_exact_match,steps,batch,examples_seen,distinct_examples,lr,"
            + "preparation_s,selection_s,training_s,evaluation_s\n"
        for r in results {
            let fields: [String] = [r.budget, r.entry, r.kind, String(r.seed), String(format: "%.6f", r.validationLoss),
                                    r.testLoss.map { String(format: "%.6f", $0) } ?? "",
                                    r.testExactMatch.map { String(format: "%.4f", $0) } ?? "", String(r.steps), String(r.batch),
                                    String(r.steps * r.batch), String(r.distinctExamples), String(r.learningRate),
                                    String(format: "%.2f", r.preparationSeconds), String(format: "%.3f", r.selectionSeconds),
                                    String(format: "%.2f", r.trainingSeconds), String(format: "%.2f", r.evaluationSeconds)]
            text += fields.map { $0.contains(",") || $0.contains("\"") ? "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : $0 }
                .joined(separator: ",") + "\n"
        }
        return text
    }

    /// Mean and sample standard deviation.
    static func meanAndDeviation(_ values: [Double]) -> (mean: Double, deviation: Double) {
        let mean = values.reduce(0, +) / Double(max(values.count, 1))
        guard values.count > 1 else { return (mean, 0) }
        return (mean, (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot())
    }

    /// The learning-rate cautions: a budget whose best rate is at the sweep's edge, and one whose runner-up rate came
    /// within the swept entry's seed spread (its validation loss over this benchmark's seeds at that budget).
    var rateCautions: [String] {
        rates.edges + rates.unsettled { budget, entry in
            let losses = results.filter { $0.budget == budget && $0.entry == entry }.map(\.validationLoss)
            return losses.count > 1 ? BenchReport.meanAndDeviation(losses).deviation : nil
        }
    }

    var markdown: String {
        var text = "# Benchmark\n\n"
        text += "Every entry fine-tunes the same base model with the same trainer (batch \(results.first?.batch ?? 0), "
        text += "warm-up then cosine decay) for the budget's steps, at " + (rates.entrySweeps.isEmpty ? "the budget's" : "its own") + " peak learning rate (below); "
        text += "a budget of p% is p% of the full-data run's \(fullDataSteps) steps (3 epochs over the pool). "
        text += "Records are read in the \(promptFormat.template.rawValue) prompt template"
            + (promptFormat.systemPrompt.map { ", a chat without a system turn opening with the system prompt \"\($0)\". " } ?? ". ")
        text += "Target-task validation loss and test loss (mean answer loss; lower is better)"
        let measured: String
        switch match {
        case .exact: measured = "greedy exact match"
        case .finalAnswer: measured = "greedy exact match of the final answer"
        case .choice: measured = "greedy exact match of the option letter given"
        case .choiceLikelihood: measured = "exact match of the option letter the model finds likeliest (nothing generated)"
        }
        switch exactMatchLimit {
        case 0?: text += " (no exact match: `--exact-match-limit 0`)"
        case let limit?: text += " and \(measured) on the target test split's first \(limit) records (higher is better)"
        case nil: text += " and \(measured) on the target test split (higher is better)"
        }
        text += ", mean ± standard deviation over \(Set(results.map(\.seed)).count) seed(s). **Bold**: the best "
        text += "selector per column (references and the full-data baseline excluded)."
        switch target {
        case .hiddenTags:
            text += " The oracle reads the hidden tags: it shows the headroom, it is not a method. *Target picks*: the share of the steps' "
            text += "examples from the target task, and in brackets the share of those with a wrong answer."
        case .source(let file):
            text += " The oracle trains on the pool's records from \(file), the target's own source: it shows the headroom, it is not a "
            text += "method. *Target picks*: the share of the steps' examples from that file."
        case nil:
            break
        }
        if target != nil { text += " *Gap closed*: (random − entry) / (random − oracle) on validation loss, at the budget." }
        text += " *Preparation*: what a run computed before its first step — the features not yet in the feature cache (computed by no earlier "
        text += "run or process), and a RAISE policy's training, in the first of its runs to use it."
        text += "\n"
        for budget in budgets {
            let rate = rates.entrySweeps.isEmpty ? "peak learning rate \(rates.rate(budget.label))" : "each entry at its own peak learning rate (below)"
            text += "\n## Budget \(budget.label): \(budget.steps) steps, \(rate)\n\n"
            let targetColumns = switch target { case .hiddenTags: " target picks (noisy) | gap closed |"; case .source: " target picks | gap closed |"; case nil: "" }
            text += "| entry | steps | val loss | test loss | test exact match |" + targetColumns
            text += " distinct examples | preparation s/run | selection s/run |\n|---|---|---|---|---|" + (target == nil ? "" : "---|---|") + "---|---|---|\n"
            let selectors = entries.filter { e in runs(e, budget.label).first?.kind == BenchEntry.Kind.selector.rawValue }
            func best(_ metric: (BenchResult) -> Double?, lowest: Bool) -> String? {
                let means = selectors.map { statistics(of: $0, at: budget.label, metric).mean }
                // The best is marked only where the selectors differ: when all tie (0.0% exact match), none is.
                guard Set(means).count > 1 else { return nil }
                return means.indices.min { lowest ? means[$0] < means[$1] : means[$0] > means[$1] }.map { selectors[$0] }
            }
            let bests = [best(\.validationLoss, lowest: true), best(\.testLoss, lowest: true), best(\.testExactMatch, lowest: false)]
            let meanLoss = { (entry: String) in self.statistics(of: entry, at: budget.label, \.validationLoss).mean }
            let randomLoss = entries.first { $0 == "random" }.map(meanLoss)
            let oracleLoss = entries.first { runs($0, budget.label).first?.kind == BenchEntry.Kind.oracle.rawValue }.map(meanLoss)
            for entry in entries {
                let group = runs(entry, budget.label)
                guard let first = group.first else { continue }
                var cells = [String]()
                for (i, (values, format)) in [(group.map(\.validationLoss), "%.4f ± %.4f"), (group.compactMap(\.testLoss), "%.4f ± %.4f"),
                                              (group.compactMap(\.testExactMatch).map { 100 * $0 }, "%.1f%% ± %.1f")].enumerated() {
                    let (mean, deviation) = BenchReport.meanAndDeviation(values)
                    let cell = values.isEmpty ? "—" : String(format: format, mean, deviation)
                    cells.append(entry == bests[i] && !values.isEmpty ? "**\(cell)**" : cell)
                }
                if let target {
                    let (share, noisy) = targetShares(of: group, target: target)
                    cells.append(target == .hiddenTags ? String(format: "%.0f%% (%.0f%%)", 100 * share, 100 * noisy) : String(format: "%.0f%%", 100 * share))
                    // Full data ran for another number of steps: its gap is not this budget's.
                    if let randomLoss, let oracleLoss, randomLoss - oracleLoss > 1e-9, first.kind != BenchEntry.Kind.fullData.rawValue {
                        cells.append(String(format: "%.0f%%", 100 * (randomLoss - meanLoss(entry)) / (randomLoss - oracleLoss)))
                    } else {
                        cells.append("—")
                    }
                }
                let distinct = BenchReport.meanAndDeviation(group.map { Double($0.distinctExamples) }).mean
                let preparation = BenchReport.meanAndDeviation(group.map(\.preparationSeconds)).mean
                let selection = BenchReport.meanAndDeviation(group.map(\.selectionSeconds)).mean
                text += "| \(entry) | \(first.steps) | " + cells.joined(separator: " | ")
                    + " | \(Int(distinct.rounded())) | \(String(format: "%.1f", preparation)) | \(String(format: "%.2f", selection)) |\n"
            }
        }
        text += raiseVerdict + policyCheckTable + variantChoices + compositionTable
        if !rates.sweeps.isEmpty {
            let seed = results.map(\.seed).min() ?? 0
            if rates.entrySweeps.isEmpty {
                text += "\n## Learning rate\n\nEach budget's peak learning rate is the best on validation of those swept, with the entry named "
                text += "(random selection at a budget, full data for the full-data baseline; seed \(seed)); every entry at that budget trains at it.\n\n"
            } else {
                text += "\n## Learning rate\n\nEach entry's peak learning rate at each budget is the best on validation of those swept with that "
                text += "entry (seed \(seed); `--lr-per entry`); full data's is swept at its own steps. A RAISE policy trains at random "
                text += "selection's rate for the budget it is trained at.\n\n"
            }
            let points = rates.sweeps[0].points
            text += "| budget | swept with | " + points.map { "lr \($0.lr)" }.joined(separator: " | ")
            text += " | chosen |\n|---|---|" + String(repeating: "---|", count: points.count) + "---|\n"
            for sweep in rates.allSweeps {
                text += "| \(sweep.budget) | \(sweep.entry) | " + sweep.points.map { String(format: "%.4f", $0.loss) }.joined(separator: " | ")
                    + " | \(sweep.best) |\n"
            }
            let cautions = rateCautions
            if !cautions.isEmpty { text += "\n" + cautions.joined(separator: "\n\n") + "\n" }
        } else if let fixed = rates.fixed {
            text += "\n## Learning rate\n\nEvery entry at every budget trains at peak learning rate \(fixed) (`--lr`).\n"
        }
        text += contextSection
        text += "\n## Environment\n\n" + environment.map { "- \($0.0): \($0.1)" }.joined(separator: "\n") + "\n"
        text += "\nFiles: results.csv (every run), curves.svg, composition.svg, overlap.md; report.html holds them all in one page.\n"
        return text
    }

    /// The section on records longer than the model's context: for the pool and each target split, how many were
    /// cut and what they lost (a test loss over answers read without their instruction measures something else).
    var contextSection: String {
        guard let context = contextCuts.first?.cuts.context else { return "" }
        var text = "\n## Records cut to the context\n\nThe model reads \(context) tokens. A longer record loses the start of its prompt "
        text += "first, its answer kept whole, and only when the answer alone is too long its whole prompt and the end of its answer.\n\n"
        for (what, cuts) in contextCuts {
            text += "- " + (cuts.warning(what) ?? "\(what): none of its \(cuts.records) record(s) is cut") + "\n"
        }
        return text
    }

    /// The section on selectors benchmarked in variants (the same plugin with other parameters: `raise` and
    /// `raise:relevance=dsir`): at each budget, the variant with the lowest mean validation loss, its test loss —
    /// which the choice never saw, so what to expect of it — and the default's (the plugin without parameters).
    /// Empty when no selector ran in more than one variant.
    var variantChoices: String {
        var families = [(id: String, variants: [String], defaultEntry: String?)]()
        for entry in entries {
            guard let (id, spec) = selectorFamily(entry) else { continue }
            let isDefault = spec.settings.isEmpty
            if let i = families.firstIndex(where: { $0.id == id }) {
                families[i].variants.append(entry)
                if isDefault { families[i].defaultEntry = entry }
            } else {
                families.append((id, [entry], isDefault ? entry : nil))
            }
        }
        families.removeAll { $0.variants.count < 2 }
        guard !families.isEmpty else { return "" }
        var text = "\n## Variants chosen on validation\n\nWhere a selector ran in variants, take at your budget the one with the lowest "
        text += "validation loss: its test loss, which the choice never saw, is what to expect of it. The default is the selector "
        text += "without parameters. `raise select --selector VARIANT --budget B` exports a static variant's subset for your trainer; a "
        text += "RAISE variant's policies are kept in policies/ (one per seed), and `raise select --selector raise:policy=policies/FOLDER` "
        text += "exports its per-step schedule.\n\n| selector | budget | chosen on validation | val loss | test loss | the default's test loss |\n"
        text += "|---|---|---|---|---|---|\n"
        func mean(_ entry: String, _ budget: String, _ metric: (BenchResult) -> Double?) -> String {
            let values = runs(entry, budget).compactMap(metric)
            return values.isEmpty ? "—" : String(format: "%.4f", BenchReport.meanAndDeviation(values).mean)
        }
        for family in families {
            for budget in budgets.map(\.label) {
                let ran = family.variants.filter { !runs($0, budget).isEmpty }
                let loss = { (entry: String) in self.statistics(of: entry, at: budget, \.validationLoss).mean }
                guard let chosen = ran.min(by: { loss($0) < loss($1) }) else { continue }
                let defaultLoss = family.defaultEntry.map { mean($0, budget, \.testLoss) } ?? "—"
                text += "| \(family.id) | \(budget) | \(chosen) | \(mean(chosen, budget, \.validationLoss)) | \(mean(chosen, budget, \.testLoss)) | "
                    + "\(defaultLoss) |\n"
            }
        }
        return text
    }

    /// One HTML page that needs no other file: report.md's text and tables, the charts inline, overlap.md.
    static func html(report: String, charts: [String], overlap: String) -> String {
        let style = """
            body { font-family: system-ui, sans-serif; max-width: 1280px; margin: 2em auto; padding: 0 1em; color: #222; }
            table { border-collapse: collapse; margin: 1em 0; font-size: 14px; }
            th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
            th { background: #f3f3f3; }
            tbody tr:nth-child(even) { background: #fafafa; }
            figure { margin: 1.5em 0; overflow-x: auto; }
            svg { max-width: 100%; height: auto; }
            """
        let declaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        let figures = charts.map { "<figure>\n" + ($0.hasPrefix(declaration) ? String($0.dropFirst(declaration.count)) : $0) + "</figure>" }
        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>raise benchmark</title>\n<style>\n" + style
            + "</style>\n</head>\n<body>\n" + MarkdownHTML.html(report) + "<h2>Charts</h2>\n" + figures.joined(separator: "\n") + "\n"
            + MarkdownHTML.html(overlap, headingsBelow: 1)
            + "</body>\n</html>\n"
    }

    /// The share of the picks of `runs` (counted by steps) that are target-task records, and the share of
    /// those with a wrong answer.
    private func targetShares(of runs: [BenchResult], target targetRecords: TargetRecords) -> (target: Double, noisy: Double) {
        var (total, target, noisy) = (0, 0, 0)
        for run in runs {
            for (i, times) in run.picks {
                total += times
                guard targetRecords.contains(records[i]) else { continue }
                target += times
                if records[i].hiddenTags["noisy"] == "true" { noisy += times }
            }
        }
        return (Double(target) / Double(max(total, 1)), Double(noisy) / Double(max(target, 1)))
    }

    var curves: String {
        let panels = budgets.map { budget -> ChartPanel in
            let series = entries.compactMap { entry -> ChartSeries? in
                let group = runs(entry, budget.label)
                guard let first = group.first, first.kind != BenchEntry.Kind.fullData.rawValue else { return nil }
                let steps = first.curve.map(\.step)
                let testLosses = group.compactMap(\.testLoss)
                let detail = testLosses.isEmpty ? nil : String(format: "test %.3f", testLosses.reduce(0, +) / Double(testLosses.count))
                return ChartSeries(label: entry, detail: detail, points: steps.indices.compactMap { i in
                    let values = group.compactMap { $0.curve.count > i ? $0.curve[i].loss : nil }
                    guard let low = values.min(), let high = values.max() else { return nil }
                    return (Double(steps[i]), values.reduce(0, +) / Double(values.count), low, high)
                })
            }
            let full = results.filter { $0.kind == BenchEntry.Kind.fullData.rawValue }.map(\.validationLoss)
            let references = full.isEmpty ? [] : [(label: "full data (end of 3 epochs)", y: full.reduce(0, +) / Double(full.count))]
            return ChartPanel(title: "budget \(budget.label) (\(budget.steps) steps)", series: series, references: references)
        }
        return LineChart.render(panels: panels, xLabel: "training step", yLabel: "target validation loss")
    }

    var composition: String {
        // Noise and duplicate shares only mean something on data that tags them (the embedded suite).
        let tagged = records.contains { $0.hiddenTags["noisy"] != nil || $0.hiddenTags["duplicate"] != nil }
        let groups = budgets.map { budget -> (title: String, bars: [ChartBar]) in
            let bars = entries.compactMap { entry -> ChartBar? in
                guard let shares = pickShares(entry, budget.label) else { return nil }
                let note = tagged ? String(format: "noisy %.0f%%, dup. %.0f%%", 100 * shares.noisy, 100 * shares.duplicate) : ""
                return ChartBar(label: entry, shares: shares.byCategory, note: note)
            }
            return ("budget \(budget.label)", bars)
        }
        return BarChart.render(title: "What each entry picked, by task family (or source file)", groups: groups, categories: categories)
    }

    var overlap: String {
        var text = "# Overlap of the picks\n\nFor each budget, seed 0: the Jaccard overlap of the sets of records each entry trained on "
        text += "(upper triangle) and the Spearman rank correlation of how often each pool record was picked (lower triangle; "
            + "— where it is undefined: an entry that picks every record alike, such as full data).\n"
        for budget in budgets {
            let group = entries.compactMap { entry in runs(entry, budget.label).min { $0.seed < $1.seed } }
            guard group.count > 1 else { continue }
            text += "\n## Budget \(budget.label)\n\n| | " + group.map(\.entry).joined(separator: " | ") + " |\n|---|"
                + String(repeating: "---|", count: group.count) + "\n"
            let counts = group.map { run in (0..<records.count).map { Double(run.picks[$0] ?? 0) } }
            for (i, a) in group.enumerated() {
                text += "| \(a.entry) |"
                for (j, b) in group.enumerated() {
                    if i == j { text += " — |"; continue }
                    if j > i {
                        let (x, y) = (Set(a.picks.keys), Set(b.picks.keys))
                        text += String(format: " %.2f |", Double(x.intersection(y).count) / Double(max(x.union(y).count, 1)))
                    } else {
                        text += BenchReport.spearman(counts[i], counts[j]).map { String(format: " %.2f |", $0) } ?? " — |"
                    }
                }
                text += "\n"
            }
        }
        return text
    }

    /// Spearman's rank correlation (average ranks for ties); nil — undefined — when either side is constant
    /// (full data picks every record alike).
    static func spearman(_ a: [Double], _ b: [Double]) -> Double? {
        let (x, y) = (Ranks.average(a), Ranks.average(b))
        let (mx, my) = (x.reduce(0, +) / Double(x.count), y.reduce(0, +) / Double(y.count))
        var (sxy, sxx, syy) = (0.0, 0.0, 0.0)
        for i in x.indices { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); syy += (y[i] - my) * (y[i] - my) }
        return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : nil
    }
}
