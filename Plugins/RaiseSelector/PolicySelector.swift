// selector.raise: RAISE in use. At every step it rebuilds the fused state of the pool from the
// request (the step, how often each instruction was used, the static features the policy reads), scores
// it with the trained acquisition function and picks each cluster's quota — no learning. By default it
// draws the picks from softmax(F/τ), seeded, as during policy training — but from its nucleus, the top
// scores holding 97% of the mass (`nucleus`; training draws from all, to explore): the policy was optimised
// as that stochastic policy, and its top-b alone is a different one — on the embedded suite the top-b
// of a policy trained for 3 episodes took the same 26 records for all 113 steps and ended at validation
// loss 6.4 where random reached 1.9. `choice=top` takes the top-b (the paper's deployment) for policies
// whose availability feature has learned to move on. Clusters are k-means over the pool's semantic
// columns, made at the first step.
import RaiseKit

/// Chooses each step's batch with a trained RAISE policy.
final class PolicySelector: ExplainingSelector {
    static let factory = PluginFactory(
        id: "selector.raise", kind: .selector, version: "1.2.0",
        summary: "RAISE: a policy trained by `raise train-selector` picks every step's batch",
        parameters: [PluginParameter("policy", .text, default: nil, "the policy folder written by raise train-selector"),
                     PluginParameter("choice", .choice(["sample", "top"]), default: "sample",
                                     "draw each step's picks from the policy as in training (sample), or take the top scores (top)"),
                     PluginParameter("nucleus", .number(0.01...1), default: "\(SelectionPolicy.nucleusInUse)",
                                     "with choice=sample, draw from the top scores holding this share of the softmax mass (1: from every record)"),
                     PluginParameter("groups", .text, default: "",
                                     "the state groups the policy must read, joined by + (the benchmark trains its policy with them; "
                                     + "default: all but current-loss)"),
                     PluginParameter("relevance", .text, default: "",
                                     "the relevance signal the policy's prior must rank by: "
                                     + RelevanceSignal.allCases.map(\.rawValue).joined(separator: ", ")
                                     + " (the benchmark trains its policy with it; default: similarity)")],
        create: { arguments in
            let policy = try PolicyFolder(arguments.text("policy")).loadPolicy()
            let wanted = arguments.text("groups")
            if !wanted.isEmpty, try StateGroup.parseList(wanted, option: "selector.raise: parameter 'groups'") != policy.settings.layout.groups {
                throw RaiseError.invalidArgument(name: "selector.raise", detail: "parameter 'groups' is \(wanted), but the policy in \(arguments.text("policy")) "
                                                 + "reads \(policy.settings.layout.groups.map(\.rawValue).joined(separator: "+"))")
            }
            let signal = arguments.text("relevance")
            if !signal.isEmpty, try RelevanceSignal.parse(signal, option: "selector.raise: parameter 'relevance'") != policy.settings.layout.relevanceSignal {
                throw RaiseError.invalidArgument(name: "selector.raise", detail: "parameter 'relevance' is \(signal), but the policy in \(arguments.text("policy")) "
                                                 + "ranks by \(policy.settings.layout.relevanceSignal.rawValue)")
            }
            return PolicySelector(policy: policy, sampling: arguments.text("choice") == "sample", nucleus: arguments.number("nucleus"),
                                  seed: arguments.seed)
        })

    let mode = SelectionMode.everyStep
    let policy: SelectionPolicy
    /// The share of the softmax mass each step's draw comes from.
    private let nucleus: Double
    private let seed: UInt64
    /// The draws' random stream; nil when taking the top scores.
    private var rng: RandomGenerator?
    private var pool: PolicyPool?
    private var currentLoss: [Float]?
    private(set) var lastChoice: [(score: Float, cluster: Int)] = []

    init(policy: SelectionPolicy, sampling: Bool, nucleus: Double, seed: UInt64) {
        self.policy = policy
        self.nucleus = nucleus
        self.seed = seed
        rng = sampling ? RandomGenerator(seed: seed ^ 0x7261_6973_6550_4C21) : nil
    }

    var requiredFeatures: [String] { policy.settings.layout.featureSpecs }

    func select(_ request: SelectionRequest) throws -> [Int] {
        let settings = policy.settings
        if pool == nil { pool = try PolicyPool(columns: request.features, count: request.poolSize, settings: settings, seed: seed) }
        let pool = pool!
        guard request.count <= request.poolSize else {
            throw RaiseError.invalidArgument(name: "selector.raise", detail: "cannot choose \(request.count) of a pool of \(request.poolSize)")
        }
        var progress = TrainingProgress(totalSteps: request.totalSteps, poolSize: request.poolSize)
        progress.step = request.step
        progress.timesSelected = request.timesSelected
        if policy.wantsLosses(at: request.step, measured: currentLoss != nil) {
            guard request.currentLosses != nil else {
                throw RaiseError.invalidArgument(name: "selector.raise", detail: "the policy's state group 'current-loss' reads the model being trained, "
                                                 + "so its picks cannot be chosen ahead of training: use raise finetune")
            }
            let losses = try losses(Array(0..<request.poolSize), of: request, selector: "selector.raise")
            currentLoss = PoolFeatures.standardised([losses], count: request.poolSize).scalars
        }
        progress.currentLoss = currentLoss
        let pick = policy.pick(pool, progress: progress, batchSize: request.count, nucleus: nucleus, rng: &rng)
        lastChoice = pick.indices.map { (pick.scores[$0], pool.clusters.assignments[$0]) }
        return pick.indices
    }
}
