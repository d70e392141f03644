// BenchPlan: what `raise bench run` will do — every (budget, selector, seed) run with its steps — and
// where each finished run is kept, so that an interrupted benchmark resumes where it stopped. The
// full-data baseline does not depend on the budget: it runs once per seed (3 epochs) and is shown in
// every budget's table; the oracle is a reference, not a selector.
import Foundation
import RaiseKit

/// One entry of the benchmark's line-up.
struct BenchEntry: Equatable {
    /// What the entry is.
    enum Kind: String {
        /// A selector plugin (its spec).
        case selector
        /// Full data, 3 epochs: the baseline.
        case fullData = "full data"
        /// The clean target-task records of the hidden tags: the headroom, not a method.
        case oracle = "reference"
    }

    let kind: Kind
    /// The selector spec (`random`, `raise`, `ifd:experience=8`), or "full" / "oracle".
    let spec: String

    /// The name in reports.
    var name: String {
        switch kind {
        case .selector: return spec
        case .fullData: return "full data"
        case .oracle: return "oracle (reference)"
        }
    }

    /// A file-name-safe form of the name.
    var slug: String { BenchEntry.fileName(name) }

    /// A file-name-safe name for the policy a RAISE entry trains: its spec without the parameters that say only how
    /// selector.raise uses the trained policy (`choice`, `nucleus`), so that variants differing in those alone
    /// (`raise` and `raise:choice=top`) share one policy, trained once — the same settings train the same policy.
    var policySlug: String {
        guard let parsed = try? PluginSpec(parsing: spec, option: "--selector") else { return slug }
        let training = parsed.settings.filter { !BenchEntry.usageParameters.contains($0.name) }
        guard training.count < parsed.settings.count else { return slug }
        return BenchEntry.fileName(BenchEntry.specText(parsed.id, training))
    }

    /// selector.raise's parameters that choose how a trained policy is used, not how it is trained.
    static let usageParameters: Set<String> = ["choice", "nucleus"]

    /// `text` with every character but letters, digits and "-" replaced by "_".
    private static func fileName(_ text: String) -> String { String(text.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }) }

    /// The ids RAISE's selector is named by in a spec.
    static let raiseIDs = ["raise", "selector.raise"]

    /// Whether this is RAISE without a given policy, so the benchmark trains one (under either of its ids).
    var trainsPolicy: Bool {
        guard kind == .selector, let parsed = try? PluginSpec(parsing: spec, option: "--selector") else { return false }
        return BenchEntry.raiseIDs.contains(parsed.id) && parsed.setting("policy") == nil
    }

    /// The episodes a RAISE entry's spec asks its policy to be trained for (`raise:episodes=0`: none, the policy
    /// used as it starts — with the relevance group, the prior alone), or nil for the benchmark's `--episodes`.
    /// A setting of the benchmark, which trains the policy, not of selector.raise, which only uses one.
    ///
    /// - Throws: `RaiseError.invalidArgument` for a value that is not a count, or `episodes` beside a given policy.
    func policyEpisodes() throws -> Int? {
        guard kind == .selector, let value = BenchEntry.episodesSetting(of: try PluginSpec(parsing: spec, option: "--selector")) else { return nil }
        guard trainsPolicy else {
            throw RaiseError.invalidArgument(name: "--selector \(spec)", detail: "parameter 'episodes' is how long the benchmark trains the policy; "
                                             + "with a given policy= it trains none")
        }
        guard let episodes = Int(value), episodes >= 0 else {
            throw RaiseError.invalidArgument(name: "--selector \(spec)", detail: "parameter 'episodes' is '\(value)'; expected a whole number, 0 or more")
        }
        return episodes
    }

    /// The value of `episodes` in a RAISE spec; nil for another selector's spec or one that sets none.
    private static func episodesSetting(of spec: PluginSpec) -> String? {
        guard raiseIDs.contains(spec.id) else { return nil }
        return spec.setting("episodes")
    }

    /// Refuses `episodes` in a RAISE spec given to a command that uses a trained policy (`finetune`, `select`):
    /// it is how long `raise bench run` trains one, saying how to train one by hand instead.
    ///
    /// - Throws: `RaiseError.invalidArgument` naming the spec and the parameter.
    static func refuseEpisodesOutsideBench(_ spec: PluginSpec) throws {
        guard episodesSetting(of: spec) != nil else { return }
        throw RaiseError.invalidArgument(name: "--selector \(spec.id)", detail: "parameter 'episodes' is how long `raise bench run` trains "
                                         + "the policy it uses; here, train one with `raise train-selector --episodes N --out DIR` and pass raise:policy=DIR")
    }

    /// The selector spec of a RAISE entry the benchmark trains a policy for, with that policy's folder (and
    /// without `episodes`, which is the benchmark's).
    func spec(policy: String) throws -> String {
        let parsed = try PluginSpec(parsing: spec, option: "--selector")
        let settings = parsed.settings.filter { $0.name != "episodes" } + [(name: "policy", value: policy)]
        return BenchEntry.specText(parsed.id, settings)
    }

    /// The spec text of plugin `id` with `settings` (`raise:relevance=dsir,policy=DIR`; the id alone without any).
    private static func specText(_ id: String, _ settings: [(name: String, value: String)]) -> String {
        settings.isEmpty ? id : id + ":" + settings.map { $0.name + "=" + PluginSpec.quoted($0.value) }.joined(separator: ",")
    }
}

/// One run: an entry at a budget with a seed.
struct BenchRun {
    let budget: String
    let steps: Int
    let entry: BenchEntry
    let seed: UInt64

    /// Where the finished run's result is kept.
    func resultPath(out: String) -> String {
        "\(out)/runs/\(entry.kind == .fullData ? "full" : BenchPlan.slug(budget))/\(entry.slug)-seed\(seed).json"
    }
}

/// Budgets, entries and seeds of a benchmark.
struct BenchPlan {
    let budgets: [(label: String, steps: Int)]
    let entries: [BenchEntry]
    let seeds: [UInt64]
    /// Steps of the full-data baseline.
    let fullDataSteps: Int

    /// Every run, full data once per seed, then budget by budget.
    var runs: [BenchRun] {
        var runs = [BenchRun]()
        if let full = entries.first(where: { $0.kind == .fullData }) {
            runs += seeds.map { BenchRun(budget: BenchPlan.fullDataLabel, steps: fullDataSteps, entry: full, seed: $0) }
        }
        for budget in budgets {
            for entry in entries where entry.kind != .fullData {
                runs += seeds.map { BenchRun(budget: budget.label, steps: budget.steps, entry: entry, seed: $0) }
            }
        }
        return runs
    }

    /// The budget label of the full-data runs.
    static let fullDataLabel = "100%"

    /// A budget label as a folder name ("10%" → "10pct").
    static func slug(_ budget: String) -> String { budget.replacingOccurrences(of: "%", with: "pct") }
}
