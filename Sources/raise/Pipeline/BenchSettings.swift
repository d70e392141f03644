// BenchSettings: what every finished run in a benchmark folder depends on besides its own budget, entry,
// seed and learning rate — the base model and the pool as tokenized, the target splits, the feature
// model, the batch, the evaluation and RAISE's policy training. The first run of a folder saves them
// (settings.json); a resumed benchmark whose settings differ stops and names the difference, rather
// than putting runs of two set-ups into one report.
import Foundation
import RaiseKit

/// The settings a benchmark folder's runs were made with.
struct BenchSettings {
    /// Setting → value.
    let values: [String: String]

    /// The settings of this benchmark: fingerprints of the data as the model reads it, and the options
    /// that change a finished run (`ratePerEntry`: each entry trains at its own swept rate).
    init(model: any LanguageModel, pool: [TokenizedExample], validation: [TokenizedExample], test: [TokenizedExample]?,
         featureModels: [String: String], settings: BenchRunSettings, ratePerEntry: Bool) {
        func hex(_ value: UInt64) -> String { String(value, radix: 16) }
        let policy = settings.policy
        var values = ["model and pool": hex(FeatureCache.fingerprint(model: model, examples: pool)),
                  "validation split": hex(FeatureCache.fingerprint(model: nil, examples: validation)),
                  "test split": test.map { hex(FeatureCache.fingerprint(model: nil, examples: $0)) } ?? "none",
                  "batch": String(settings.batchSize), "eval points": String(settings.evaluationPoints), "test match": settings.match.rawValue,
                  "policy episodes": String(policy.episodes), "policy reward": policy.reward,
                  "policy reward every": String(policy.rewardEvery), "policy clusters": String(policy.clusters),
                  "policy budget": policy.budget?.label ?? "each budget",
                  // PPO's settings changed on 2026-12-02 (GAE λ 0 → 0.9): a folder from before is refused, not mixed in.
                  "policy ppo": JSONValue.object(PPOSettings().json).serialized,
                  // Episodes per PPO update went from 1 to 3 on 2026-12-04: a folder from before is refused, not mixed in.
                  "policy episodes per update": String(PolicyTrainingSettings(steps: 1, batchSize: 1, seed: 0).episodesPerUpdate),
                  // Training steps were cut into passes by length on 2026-12-03: the same sums in another order, so
                  // other bits; a folder from before is refused, and `bench evaluate` could not rebuild its models.
                  "training passes": "by length, \(MicroBatches.passCost) tokens a pass"].merging(featureModels) { $1 }
        // Settings added later are recorded only when given, so that earlier folders keep their settings.
        if case .source(let file) = settings.target { values["oracle data"] = file }
        if let limit = settings.exactMatchLimit { values["exact match on"] = "the first \(limit) test records" }
        if ratePerEntry { values["learning rate"] = "each entry's own, swept" }
        if policy.checkEpisodes > 0 { values["policy check episodes"] = String(policy.checkEpisodes) }
        self.values = values
    }

    /// Where a benchmark folder keeps its settings.
    static func path(out: String) -> String { out + "/settings.json" }

    /// Saves these settings in `out` if it has none yet; otherwise checks they are the ones saved.
    ///
    /// - Throws: `RaiseError.file` naming the saved file and every setting that differs.
    func claim(out: String) throws {
        try RunSettings(values: values).claim(path: BenchSettings.path(out: out), what: "this folder's runs were made",
                                              hint: "use another --out, or remove the folder to start over")
    }
}
