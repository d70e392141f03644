// SelectionPolicy: RAISE's networks. The acquisition function F_θ (the actor) is an MLP that scores
// each instruction's fused state; the critic V_φ is an MLP on the state summary (stage + pooled
// features of what has been trained on) that predicts the return still to come. Only F selects: each
// cluster's quota is drawn without replacement from softmax(F/τ) (Plackett–Luce), so that PPO has
// log-probabilities — in use too, from the nucleus of that softmax by default (selector.raise's `nucleus`),
// unless the top scores are asked for (`choice=top`).
// PolicyFolder saves and loads a policy.
import Foundation

/// The shape of a policy: its state, networks and batch diversity.
public struct PolicySettings: Equatable, Sendable {
    /// Which state groups the actor reads.
    public var layout: StateLayout
    /// Width of the hidden layer of actor and critic.
    public var hidden = 64
    /// The actor's hidden activation: relu or tanh (the critic's is tanh).
    public var activation = Activation.relu
    /// k-means clusters the batch is spread over.
    public var clusters = 1
    /// Softmax temperature of the Plackett–Luce draw.
    public var temperature: Float = 1
    /// Steps between refreshes of the current-loss group (when it is on).
    public var lossRefresh = 10
    /// With the relevance group on: the score the initial actor adds to relevant instructions — those whose
    /// standardised relevance signal (target similarity by default) is `relevanceThreshold` or more get all
    /// of it, those `relevanceWidth` below none, linearly between — so that they are drawn first, evenly (0: a
    /// plain random start). Policy training raises it where `PoolFeatures.relevanceBonus` asks for more, unless
    /// it was given.
    public var relevancePrior: Float = 5
    /// Where the prior's ramp tops out, in deviations of the relevance signal; policy training sets it (and
    /// the width) with `PoolFeatures.relevanceEdge`, so the prior starts from the records nearest-to-target
    /// would take, or from fewer when the target's look-alikes end before them.
    public var relevanceThreshold: Float = 1
    /// The ramp's width, in deviations of the relevance signal (positive).
    public var relevanceWidth: Float = 1

    /// Settings over `layout`, other fields at their defaults.
    public init(layout: StateLayout) { self.layout = layout }

    /// How the likelihood signal's loss reduction is scaled, saved beside the signal: a policy saved before it
    /// was (by ranks) had its prior placed on another scale, and is refused rather than run on this one.
    public static let likelihoodScores = "normal"

    /// The settings as saved in config.json.
    public var json: JSONObject {
        var object = JSONObject([("groups", .array(layout.groups.map { .string($0.rawValue) })),
                                 ("semantic_dims", .number(Double(layout.semanticDimensions))),
                                 ("relevance_signal", .string(layout.relevanceSignal.rawValue)),
                                 ("hidden", .number(Double(hidden))),
                                 ("activation", .string(activation.rawValue)),
                                 ("clusters", .number(Double(clusters))), ("temperature", .number(Double(temperature))),
                                 ("loss_refresh", .number(Double(lossRefresh))), ("relevance_prior", .number(Double(relevancePrior))),
                                 ("relevance_threshold", .number(Double(relevanceThreshold))), ("relevance_width", .number(Double(relevanceWidth)))])
        if layout.relevanceSignal == .likelihood { object["likelihood_scores"] = .string(PolicySettings.likelihoodScores) }
        return object
    }

    /// Reads settings saved by `json`.
    ///
    /// - Throws: `RaiseError.file` naming `path` and the field at fault.
    public init(json: JSONObject, path: String) throws {
        func int(_ key: String, _ range: ClosedRange<Int>) throws -> Int {
            guard let value = json[key]?.intValue, range.contains(value) else {
                throw RaiseError.file(path: path, detail: "field '\(key)': expected an integer in \(range)")
            }
            return value
        }
        guard let names = json["groups"]?.arrayValue?.compactMap(\.stringValue) else {
            throw RaiseError.file(path: path, detail: "field 'groups': expected an array of state group names")
        }
        let groups = try StateGroup.parseList(names.joined(separator: ","), option: path + ": field 'groups'")
        // Policies saved before the signal could be chosen ranked by the target similarity.
        var signal = RelevanceSignal.similarity
        if let value = json["relevance_signal"] {
            guard let name = value.stringValue else { throw RaiseError.file(path: path, detail: "field 'relevance_signal': expected a string") }
            signal = try RelevanceSignal.parse(name, option: path + ": field 'relevance_signal'")
            if signal == .likelihood && json["likelihood_scores"]?.stringValue != PolicySettings.likelihoodScores {
                throw RaiseError.file(path: path, detail: "field 'relevance_signal': this policy ranks by the likelihood signal as raise made it "
                                      + "before it took the loss reduction's normal scores (by ranks); its prior was placed on that scale: "
                                      + "train the policy again")
            }
        }
        self.init(layout: StateLayout(groups: groups, semanticDimensions: try int("semantic_dims", 1...4096), relevanceSignal: signal))
        hidden = try int("hidden", 1...65_536)
        let name = json["activation"]?.stringValue ?? "relu"
        guard let activation = Activation(rawValue: name), activation == .relu || activation == .tanh else {
            throw RaiseError.file(path: path, detail: "field 'activation': expected relu or tanh, got '\(name)'")
        }
        self.activation = activation
        clusters = try int("clusters", 1...4096)
        lossRefresh = try int("loss_refresh", 1...1_000_000)
        guard let t = json["temperature"]?.numberValue, t > 0, t.isFinite else {
            throw RaiseError.file(path: path, detail: "field 'temperature': expected a positive number")
        }
        temperature = Float(t)
        // Policies saved before the prior existed started without one.
        relevancePrior = Float(json["relevance_prior"]?.numberValue ?? 0)
        relevanceThreshold = Float(json["relevance_threshold"]?.numberValue ?? 1)
        let width = json["relevance_width"]?.numberValue ?? 1
        guard width > 0, width.isFinite else {
            throw RaiseError.file(path: path, detail: "field 'relevance_width': expected a positive number")
        }
        relevanceWidth = Float(width)
    }
}

/// The actor and critic of RAISE, in one parameter store: MLPs with one hidden layer (ReLU or tanh in the
/// actor, scored incrementally at every step — see IncrementalScorer — tanh in the critic).
public final class SelectionPolicy {
    public let settings: PolicySettings
    /// Actor weights (`actor.*`) then critic weights (`critic.*`).
    public let parameters: ParameterStore
    /// F_θ: fused state (width) → score.
    public let actor: MLP
    /// V_φ: summary (summaryWidth) → value.
    public let critic: MLP
    /// Bumped whenever the weights change (`weightsChanged()`), so cached products are redone.
    public private(set) var version = 0
    private let incremental = IncrementalScorer()

    /// A freshly initialised policy; `seed` fixes the initial weights.
    public init(settings: PolicySettings, seed: UInt64) {
        self.settings = settings
        let layout = settings.layout
        actor = MLP(sizes: [layout.width, settings.hidden, 1], activation: settings.activation, prefix: "actor")
        critic = MLP(sizes: [layout.summaryWidth, settings.hidden, 1], activation: .tanh, prefix: "critic")
        var rng = RandomGenerator(seed: seed)
        parameters = ParameterStore(actor.parameterSpecs + critic.parameterSpecs, rng: &rng)
        if let relevance = layout.columns(of: .relevance), settings.relevancePrior != 0, settings.hidden >= 2, settings.activation == .relu {
            startRankingRelevanceFirst(relevance)
        }
    }

    /// The prior: with z the standardised relevance signal (target similarity by default), t the threshold and
    /// w the ramp's width, the actor's first two hidden units become relu((z − t)/w + 1) and relu((z − t)/w)
    /// and the output reads prior × (their difference) = prior × clamp((z − t)/w + 1, 0, 1) — a ramp, not a
    /// line, so the most similar few are not drawn over and over while the rest of the relevant ones wait. The
    /// other units keep their random start; training may undo it all.
    private func startRankingRelevanceFirst(_ relevance: Range<Int>) {
        let (width, first) = (settings.layout.width, parameters["actor.layer0.weight"].value)  // (H, width)
        let (bias, output) = (parameters["actor.layer0.bias"].value, parameters["actor.layer1.weight"].value)  // (H), (1, H)
        let (t, w) = (settings.relevanceThreshold, settings.relevanceWidth)
        for unit in 0..<2 {
            for c in 0..<width { first.data[unit * width + c] = c == relevance.lowerBound ? 1 / w : 0 }
            bias.data[unit] = unit == 0 ? 1 - t / w : -t / w
            output.data[unit] = unit == 0 ? settings.relevancePrior : -settings.relevancePrior
        }
    }

    /// F_θ of every row of the state.   state (N, width) -> (N)
    public func scores(_ state: Tensor) -> [Float] {
        actor(Variable(state), parameters: parameters, tape: Tape(recording: false)).value.scalars
    }

    /// F_θ of every pool instruction at `progress`: the same as `scores(fusedState(features, progress))`,
    /// at a fraction of the cost from the second step on (see IncrementalScorer).   -> (N)
    public func scores(_ features: PoolFeatures, _ progress: TrainingProgress) -> [Float] {
        incremental.scores(self, features, progress)
    }

    /// Steps whose scores one pass over the pool computes (later steps of the pass score again only the rows
    /// picked since; see IncrementalScorer): a step's selection cost is their mean.
    public static let stepsScoredPerPass = IncrementalScorer.stepsScoredPerPass

    /// The share of the softmax mass a policy in use draws from (selector.raise's `nucleus`): training draws
    /// from the whole pool, so that PPO may find records the prior ranks low; in use the tail that the
    /// prior's ramp leaves `PoolFeatures.defaultPriorSpill` of the first draws is cut. Measured with six draws
    /// of each trained policy on ten suites over two CPUs (docs/SELECTORS.md): better at 10% on all five
    /// standard ones, level on the rare-target ones.
    public static let nucleusInUse = 1 - PoolFeatures.defaultPriorSpill

    /// Tells the policy its weights were changed in place (by an optimizer or a load).
    public func weightsChanged() { version += 1 }

    /// V_φ of a summary.   summary (1, summaryWidth)
    public func value(_ summary: Tensor) -> Double {
        Double(critic(Variable(summary), parameters: parameters, tape: Tape(recording: false)).value.scalars[0])
    }

    /// Each cluster's picks for one step, by cluster: drawn from softmax(F/τ) over the cluster's `nucleus`
    /// (`rng` given; a share of its mass, 1: all of it, as in training) or its top scores (no `rng`).
    public func choose(scores: [Float], clusters: PoolClusters, batchSize: Int, nucleus: Double = 1, rng: inout RandomGenerator?) -> [[Int]] {
        zip(clusters.members, clusters.quota(batchSize: batchSize)).map { members, count in
            if rng == nil { return PlackettLuce.top(scores: scores, candidates: members, count: count) }
            let floor = PlackettLuce.nucleusFloor(scores: scores, candidates: members, mass: nucleus, temperature: settings.temperature, minimum: count)
            return PlackettLuce.sample(scores: scores, candidates: members, count: count, temperature: settings.temperature, floor: floor, rng: &rng!)
        }
    }

    /// Overwrites the weights with those of a safetensors file, checking names and shapes.
    public func loadParameters(from path: String) throws {
        try Checkpoint.copy(Safetensors.read(path: path), into: parameters, path: path)
        weightsChanged()
    }
}
