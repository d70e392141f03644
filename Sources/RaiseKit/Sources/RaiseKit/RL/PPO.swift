// PPO: proximal policy optimisation (Schulman et al., 2017) of RAISE's actor and critic after each
// episode. For each recorded step t, the state is rebuilt, the actor re-scores the pool and each
// cluster's picks get ratios against the policy that drew them, all with the step's advantage A:
//   per draw (default): r_k = p_new(c_k | earlier picks) / p_old(…) for each pick, the objective averaged
//     over the picks — as token-level PPO treats the tokens of one generated sequence;
//   per cluster: one r = P_new(all picks) / P_old(all picks). With b picks its log moves b times as
//     fast as a single pick's, so the clip binds almost at once and learning crawls (measured: 40–77%
//     of ratios clipped from the first update at b = 16).
// The loss, averaged over the clusters and the steps of a minibatch:
//   − mean over ratios of min(r·A, clip(r, 1−ε, 1+ε)·A)  −  c_H · H(first draw)  +  c_V · (V(s_t) − return_t)²
// Advantages come from GAE and are normalised over the episode. The actor's gradient enters the tape as
// d(loss)/d(score) of each instruction (Plackett–Luce gives it in closed form), seeded through
// Σ score·g, so the MLP's own backward does the rest.
import Foundation

/// What a PPO ratio compares.
public enum PPORatio: String, CaseIterable, Sendable {
    /// One ratio per pick, given the picks before it.
    case perDraw = "per-draw"
    /// One ratio per cluster, of its whole ordered draw.
    case perCluster = "per-cluster"
}

/// PPO's hyper-parameters.
public struct PPOSettings: Equatable, Sendable {
    /// What a ratio compares.
    public var ratio = PPORatio.perDraw
    /// Discount; 1 keeps the return equal to P(M_T) − P(M_0).
    public var gamma = 1.0
    /// GAE's λ: how far a batch's credit reaches into the rewards after it. The fine-tuning trainer is
    /// Adam with β₁ = 0.9, so a batch's gradient moves the model at its own step by only (1 − β₁) of its
    /// weight and over the following steps by (1 − β₁)β₁ᵏ: most of its effect on the reward comes later.
    /// λ = β₁ credits it with the TD errors that follow in the same proportion. Measured on the embedded
    /// suite (10% budget, 30 episodes, 3 seeds, see docs/SELECTORS.md): with λ = 0 (each batch credited
    /// with its own step's reward) the return fell over the episodes for two of three relevance-prior
    /// policies (0.29 → 0.21, 0.23 → 0.16) and for the paper's state; with λ = 0.9 it rose for every one;
    /// λ = 0.95 and 1, adding more steps' noise, learnt less.
    public var lambda = 0.9
    /// The ratio's clip ε.
    public var clip = 0.2
    /// Weight of the critic's squared error.
    public var valueCoefficient = 0.5
    /// Weight of the entropy bonus. Off by default: on the embedded suite (10% budget, 30 episodes, policy
    /// learning rate 1e-3) a bonus of 0.01 pulled a policy that started from the relevance prior back
    /// towards uniform picks (target share 57% → 50%) where without it the share rose to 92%.
    public var entropyCoefficient = 0.0
    /// Passes over an episode's steps.
    public var epochs = 4
    /// Minibatches each pass is split into.
    public var minibatches = 4
    /// Adam's learning rate for actor and critic. With λ = 0.9 on the embedded suite (10% budget, 30
    /// episodes): 3e-3 took the paper's state from 16–19% target picks to 38–40% (1e-3: to 21–26%) and
    /// kept the relevance prior's 94–95% (ending at 94–98%).
    public var learningRate: Float = 3e-3
    /// Global gradient-norm clip.
    public var maxGradientNorm: Float = 0.5

    /// The defaults above.
    public init() {}

    /// The settings as a policy folder and a benchmark record them (keys named as `train-selector`'s flags),
    /// so that a run resumed under other ones is refused.
    public var json: JSONObject {
        JSONObject([("ppo_ratio", .string(ratio.rawValue)), ("gamma", .number(gamma)), ("gae_lambda", .number(lambda)),
                    ("clip", .number(clip)), ("value_coef", .number(valueCoefficient)), ("entropy_coef", .number(entropyCoefficient)),
                    ("ppo_epochs", .number(Double(epochs))), ("minibatches", .number(Double(minibatches))),
                    ("policy_lr", .number(Double(learningRate))), ("max_grad_norm", .number(Double(maxGradientNorm)))])
    }
}

/// What one PPO update measured (means over its steps).
public struct PPOStatistics: Sendable {
    public var policyLoss = 0.0
    public var valueLoss = 0.0
    public var entropy = 0.0
    /// Share of ratios outside [1−ε, 1+ε].
    public var clipFraction = 0.0
    /// How far the update moved the policy from the one that drew the picks, per ratio: the estimator
    /// E[(r − 1) − log r] of KL(old ‖ new), never negative (Schulman's k3; what Stable-Baselines3 logs as
    /// approx_kl). Each ratio is measured before its minibatch's step, so the first pass's first minibatch adds 0.
    public var approximateKL = 0.0
}

/// Updates a policy from recorded episodes.
public final class PPOUpdater {
    public let policy: SelectionPolicy
    public let settings: PPOSettings
    /// The optimizer of actor and critic (its moments are part of a resumable state).
    public let optimizer: AdamW

    /// An updater of `policy` with a fresh Adam optimizer.
    public init(policy: SelectionPolicy, settings: PPOSettings) {
        self.policy = policy
        self.settings = settings
        optimizer = AdamW(parameters: policy.parameters, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0)
    }

    /// One PPO update from `trajectory`; `rng` shuffles the minibatches.
    ///
    /// - Throws: `RaiseError.invalidArgument` when a loss is not finite (the update stops before that step's gradient is applied).
    public func update(_ trajectory: Trajectory, features: PoolFeatures, clusters: PoolClusters,
                       rng: inout RandomGenerator) throws -> PPOStatistics {
        try update([trajectory], features: features, clusters: clusters, rng: &rng)
    }

    /// One PPO update from several episodes run with the same policy: advantages are estimated per
    /// episode and normalised over all their steps, which are shuffled into minibatches together. One
    /// episode gives exactly the update above.
    public func update(_ trajectories: [Trajectory], features: PoolFeatures, clusters: PoolClusters,
                       rng: inout RandomGenerator) throws -> PPOStatistics {
        let estimates = trajectories.map { trajectory in
            AdvantageEstimate(rewards: trajectory.transitions.map(\.reward), values: trajectory.transitions.map(\.value),
                              gamma: settings.gamma, lambda: settings.lambda)
        }
        // Every (episode, step) pair, in order; minibatches index into it.
        let steps = trajectories.indices.flatMap { e in trajectories[e].transitions.indices.map { (episode: e, step: $0) } }
        let (mean, deviation) = PoolFeatures.moments(estimates.flatMap { $0.advantages.map { Float($0) } })
        var statistics = PPOStatistics()
        var order = Array(steps.indices)
        let size = max(1, (steps.count + settings.minibatches - 1) / settings.minibatches)
        for _ in 0..<settings.epochs {
            rng.shuffle(&order)
            for start in stride(from: 0, to: order.count, by: size) {
                let batch = order[start..<min(start + size, order.count)]
                policy.parameters.zeroGrads()
                for (e, t) in batch.map({ steps[$0] }) {
                    let advantage = (estimates[e].advantages[t] - mean) / deviation
                    let measured = try accumulateGradients(trajectories[e], step: t, advantage: advantage, target: estimates[e].returns[t],
                                                           features: features, clusters: clusters)
                    statistics.policyLoss += measured.policyLoss
                    statistics.valueLoss += measured.valueLoss
                    statistics.entropy += measured.entropy
                    statistics.clipFraction += measured.clipFraction
                    statistics.approximateKL += measured.approximateKL
                }
                let grads = policy.parameters.grads
                for i in 0..<grads.count { grads.data[i] /= Float(batch.count) }
                policy.parameters.clipGradients(maxNorm: settings.maxGradientNorm)
                optimizer.update(policy.parameters, lr: settings.learningRate)
                policy.weightsChanged()
            }
        }
        let updates = Double(max(1, steps.count * settings.epochs))
        statistics.policyLoss /= updates
        statistics.valueLoss /= updates
        statistics.entropy /= updates
        statistics.clipFraction /= updates
        statistics.approximateKL /= updates
        return statistics
    }

    /// Adds the gradient of step t's loss to the policy's gradients; returns that step's measurements.
    private func accumulateGradients(_ trajectory: Trajectory, step t: Int, advantage: Double, target: Double,
                                     features: PoolFeatures, clusters: PoolClusters) throws -> PPOStatistics {
        let transition = trajectory.transitions[t]
        let layout = policy.settings.layout
        let progress = trajectory.progress(at: t)
        let state = layout.fusedState(features, progress)
        let tape = Tape()
        let scores = policy.actor(Variable(state), parameters: policy.parameters, tape: tape)  // (N, 1)
        let values = scores.value.scalars
        let scoreGradient = Tensor(zeros: scores.shape)
        let share = 1 / Double(clusters.members.count)
        var measured = PPOStatistics()
        for (c, members) in clusters.members.enumerated() where !transition.picks[c].isEmpty {
            let draw = PlackettLuceDraw(scores: values, candidates: members, chosen: transition.picks[c],
                                        temperature: policy.settings.temperature)
            let old = transition.logProbabilities[c]
            let logRatios = settings.ratio == .perDraw ? zip(draw.logProbabilities, old).map { $0 - $1 }
                : [draw.logProbabilities.reduce(0, +) - old.reduce(0, +)]
            var slopes = [Double]()  // d loss / d log-ratio of each ratio
            for logRatio in logRatios {
                let ratio = exp(logRatio)
                let clipped = min(max(ratio, 1 - settings.clip), 1 + settings.clip)
                let weight = share / Double(logRatios.count)
                measured.policyLoss -= weight * min(ratio * advantage, clipped * advantage)
                if ratio != clipped { measured.clipFraction += weight }
                measured.approximateKL += weight * (ratio - 1 - logRatio)
                slopes.append(ratio * advantage <= clipped * advantage ? -weight * ratio * advantage : 0)
            }
            // Per draw, pick k's log-ratio has its own slope; per cluster, every pick's log p shares the one.
            let drawWeights = settings.ratio == .perDraw ? slopes : Array(repeating: slopes[0], count: old.count)
            let gradient = draw.gradient(weights: drawWeights)
            let (entropy, entropyGradient) = PlackettLuce.entropy(scores: values, candidates: members,
                                                                  temperature: policy.settings.temperature)
            measured.entropy += share * entropy
            let bonus = -share * settings.entropyCoefficient
            for (k, i) in members.enumerated() {
                scoreGradient.data[i] += gradient[k] + Float(bonus) * entropyGradient[k]
            }
        }
        let actorLoss = tape.sum(tape.mul(scores, Variable(scoreGradient)))
        let value = policy.critic(Variable(layout.summary(of: features, progress)), parameters: policy.parameters, tape: tape)
        let error = tape.add(value, Variable(Tensor(shape: [1, 1], values: [Float(-target)])))
        let valueLoss = tape.scale(tape.sum(tape.mul(error, error)), by: Float(settings.valueCoefficient))
        measured.valueLoss = Double(error.value.scalars[0] * error.value.scalars[0])
        guard measured.policyLoss.isFinite, measured.valueLoss.isFinite else {
            throw RaiseError.invalidArgument(name: "ppo", detail: "step \(t): the loss is not finite (policy \(measured.policyLoss), value \(measured.valueLoss)); lower --policy-lr?")
        }
        try tape.backward(from: tape.add(actorLoss, valueLoss))
        return measured
    }
}
