// The RL selection core: GAE against hand-computed advantages, Plackett–Luce against brute-force
// enumeration, the fused state's layout, batch quotas, and PPO learning a toy problem in which only one
// group of instructions improves the reward; a saved and restored policy trainer repeats an
// uninterrupted run exactly.
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class AdvantageEstimationTests: XCTestCase {
    func testGAEMatchesHandComputedAdvantages() {
        // γ = 0.9, λ = 0.8.  δ2 = 2 − 1.5 = 0.5;  δ1 = 0 + 0.9·1.5 − 1 = 0.35;  δ0 = 1 + 0.9·1 − 0.5 = 1.4
        // A2 = 0.5;  A1 = 0.35 + 0.72·0.5 = 0.71;  A0 = 1.4 + 0.72·0.71 = 1.9112
        let estimate = AdvantageEstimate(rewards: [1, 0, 2], values: [0.5, 1, 1.5], gamma: 0.9, lambda: 0.8)
        for (got, want) in zip(estimate.advantages, [1.9112, 0.71, 0.5]) { XCTAssertEqual(got, want, accuracy: 1e-12) }
        for (got, want) in zip(estimate.returns, [2.4112, 1.71, 2.0]) { XCTAssertEqual(got, want, accuracy: 1e-12) }
    }

    func testWithoutDiscountTheAdvantageIsReturnToGoMinusTheBaseline() {
        let estimate = AdvantageEstimate(rewards: [0.1, -0.2, 0.4], values: [0.05, 0.1, 0.2], gamma: 1, lambda: 1)
        for (got, want) in zip(estimate.advantages, [0.3 - 0.05, 0.2 - 0.1, 0.4 - 0.2]) { XCTAssertEqual(got, want, accuracy: 1e-12) }
    }
}

final class PlackettLuceTests: XCTestCase {
    let scores: [Float] = [0.3, -1.2, 2.0, 0.7, 9.0, -0.4]  // index 4 is not a candidate
    let candidates = [0, 1, 2, 3, 5]
    let temperature: Float = 0.7

    /// The probability of an ordered draw, one softmax at a time over what is left.
    private func bruteForce(_ chosen: [Int]) -> Double {
        var left = candidates, probability = 1.0
        for c in chosen {
            let z = left.reduce(0.0) { $0 + exp(Double(scores[$1]) / Double(temperature)) }
            probability *= exp(Double(scores[c]) / Double(temperature)) / z
            left.removeAll { $0 == c }
        }
        return probability
    }

    func testLogProbabilityMatchesEnumerationOfEveryOrderedDraw() {
        var total = 0.0
        for a in candidates { for b in candidates where b != a { for c in candidates where c != a && c != b {
            let logP = PlackettLuce.logProbability(scores: scores, candidates: candidates, chosen: [a, b, c], temperature: temperature).value
            XCTAssertEqual(exp(logP), bruteForce([a, b, c]), accuracy: 1e-12)
            total += exp(logP)
        } } }
        XCTAssertEqual(total, 1, accuracy: 1e-9)
    }

    func testGradientsMatchFiniteDifferences() {
        let chosen = [2, 0]
        let analytic = PlackettLuce.logProbability(scores: scores, candidates: candidates, chosen: chosen, temperature: temperature).gradient
        let entropy = PlackettLuce.entropy(scores: scores, candidates: candidates, temperature: temperature).gradient
        for (k, i) in candidates.enumerated() {
            func at(_ delta: Float) -> (Double, Double) {
                var moved = scores
                moved[i] += delta
                return (PlackettLuce.logProbability(scores: moved, candidates: candidates, chosen: chosen, temperature: temperature).value,
                        PlackettLuce.entropy(scores: moved, candidates: candidates, temperature: temperature).value)
            }
            let (up, down) = (at(1e-3), at(-1e-3))
            XCTAssertEqual(Double(analytic[k]), (up.0 - down.0) / 2e-3, accuracy: 1e-4, "log P, candidate \(i)")
            XCTAssertEqual(Double(entropy[k]), (up.1 - down.1) / 2e-3, accuracy: 1e-4, "entropy, candidate \(i)")
        }
    }

    func testPerDrawLogProbabilitiesAndTheirWeightedGradient() {
        let chosen = [3, 5, 0], weights = [0.3, -1.2, 2.0]
        let draw = PlackettLuceDraw(scores: scores, candidates: candidates, chosen: chosen, temperature: temperature)
        XCTAssertEqual(exp(draw.logProbabilities[0]), bruteForce([3]), accuracy: 1e-12)
        XCTAssertEqual(exp(draw.logProbabilities[0] + draw.logProbabilities[1]), bruteForce([3, 5]), accuracy: 1e-12)
        let analytic = draw.gradient(weights: weights)
        for (k, i) in candidates.enumerated() {
            func at(_ delta: Float) -> Double {
                var moved = scores
                moved[i] += delta
                let p = PlackettLuceDraw(scores: moved, candidates: candidates, chosen: chosen, temperature: temperature).logProbabilities
                return zip(weights, p).reduce(0) { $0 + $1.0 * $1.1 }
            }
            XCTAssertEqual(Double(analytic[k]), (at(1e-3) - at(-1e-3)) / 2e-3, accuracy: 1e-4, "candidate \(i)")
        }
    }

    func testSamplingFollowsTheDistribution() {
        var rng = RandomGenerator(seed: 7)
        var counts = [Int: Int]()
        let draws = 40_000
        for _ in 0..<draws {
            let draw = PlackettLuce.sample(scores: scores, candidates: candidates, count: 2, temperature: temperature, rng: &rng)
            XCTAssertEqual(Set(draw).count, 2)
            counts[draw[0] * 10 + draw[1], default: 0] += 1
        }
        for a in candidates { for b in candidates where b != a {
            let expected = bruteForce([a, b])
            XCTAssertEqual(Double(counts[a * 10 + b] ?? 0) / Double(draws), expected, accuracy: 4 * (expected / Double(draws)).squareRoot() + 1e-3)
        } }
    }

    func testTheNucleusIsTheFewestTopScoresHoldingTheMass() {
        // softmax(score / 0.7) over the candidates, best first: 2 0.777, 3 0.121, 0 0.069, 5 0.025, 1 0.008;
        // summed: 0.777, 0.898, 0.967, 0.992, 1.
        func floor(_ mass: Double, minimum: Int = 1) -> Float {
            PlackettLuce.nucleusFloor(scores: scores, candidates: candidates, mass: mass, temperature: temperature, minimum: minimum)
        }
        XCTAssertEqual(floor(0.97), scores[5], "0.967 is short of 0.97: the fourth score is needed")
        XCTAssertEqual(floor(0.95), scores[0])
        XCTAssertEqual(floor(0.5), scores[2])
        XCTAssertEqual(floor(0.5, minimum: 2), scores[3], "never fewer than the draw takes")
        XCTAssertEqual(floor(1), -.infinity)
        XCTAssertEqual(PlackettLuce.nucleusFloor(scores: [1, 1, 1], candidates: [0, 1, 2], mass: 0.5, temperature: 1, minimum: 1), 1,
                       "candidates tied at the floor are all in")
        var rng = RandomGenerator(seed: 3), drawn = Set<Int>()
        for _ in 0..<2_000 {
            let draw = PlackettLuce.sample(scores: scores, candidates: candidates, count: 2, temperature: temperature, floor: floor(0.95), rng: &rng)
            XCTAssertEqual(Set(draw).count, 2)
            drawn.formUnion(draw)
        }
        XCTAssertEqual(drawn, [0, 2, 3], "only the nucleus is drawn, all of it")
    }

    func testANucleusFoundInOnePassMatchesSortingTheSoftmax() {
        var rng = RandomGenerator(seed: 11)
        for trial in 0..<50 {
            let n = 10 + rng.nextInt(below: 3_000), spread = Float(1 + rng.nextInt(below: 8))
            let pool = (0..<n).map { _ in rng.nextNormal() * spread }
            let members = Array(0..<n).filter { _ in rng.nextInt(below: 4) > 0 }
            let (mass, tau, minimum) = (0.5 + 0.49 * Double(rng.nextInt(below: 100)) / 100, Float(0.5 + Double(rng.nextInt(below: 3))), 1 + rng.nextInt(below: 20))
            // The definition, by sorting: the fewest best scores whose softmax sums to `mass`, then at least `minimum`.
            let sorted = members.map { pool[$0] }.sorted(by: >)
            let weights = sorted.map { exp(Double(($0 - sorted[0]) / tau)) }
            let wanted = mass * weights.reduce(0, +)
            var (kept, sum) = (0, 0.0)
            while kept < sorted.count && sum < wanted { (sum, kept) = (sum + weights[kept], kept + 1) }
            let expected = sorted[min(max(kept, minimum), sorted.count) - 1]
            let floor = PlackettLuce.nucleusFloor(scores: pool, candidates: members, mass: mass, temperature: tau, minimum: minimum)
            if minimum >= members.count { XCTAssertEqual(floor, -.infinity); continue }
            XCTAssertEqual(floor, expected, "trial \(trial): \(members.count) candidates, mass \(mass)")
        }
    }

    func testTopTakesTheHighestScoresFirst() {
        XCTAssertEqual(PlackettLuce.top(scores: scores, candidates: candidates, count: 3), [2, 3, 0])
        XCTAssertEqual(PlackettLuce.top(scores: [1, 1, 1], candidates: [2, 0, 1], count: 2), [2, 0], "ties keep candidate order")
    }

    func testTopOfALargePoolMatchesSortingIt() {
        // Many ties and −∞ (a draw's keys below its floor), in pools of every length around the eight-key groups.
        var rng = RandomGenerator(seed: 13)
        for trial in 0..<300 {
            let n = trial < 40 ? trial : rng.nextInt(below: 3_000)
            let pool = (0..<n).map { _ in rng.nextInt(below: 5) == 0 ? -Float.infinity : Float(rng.nextInt(below: 50)) }
            let candidates = Array(0..<n).filter { _ in rng.nextInt(below: 5) > 0 }, count = min(rng.nextInt(below: 40), candidates.count)
            let sorted = candidates.enumerated().sorted { a, b in pool[a.element] > pool[b.element] || (pool[a.element] == pool[b.element] && a.offset < b.offset) }
            XCTAssertEqual(PlackettLuce.top(scores: pool, candidates: candidates, count: count), sorted.prefix(count).map(\.element), "trial \(trial)")
        }
    }

    func testADrawIsTheLargestScoresPlusGumbelNoiseOfTheStreamsUniforms() {
        var rng = RandomGenerator(seed: 5)
        let pool = (0..<3_001).map { _ in rng.nextNormal() * 2 }
        let candidates = pool.indices.filter { $0 % 3 != 1 }
        for floor: Float in [-.infinity, 0.5, 1.5] {
            var stream = rng
            let draw = PlackettLuce.sample(scores: pool, candidates: candidates, count: 12, temperature: 0.7, floor: floor, rng: &rng)
            // One uniform in (0, 1) per candidate, kept above the floor or not; keys in Double with libm's log.
            let keys = candidates.map { candidate -> Double in
                let u = (Double(stream.next() >> 40) + 0.5) * 0x1p-24
                return pool[candidate] >= floor ? Double(pool[candidate]) / 0.7 - log(-log(u)) : -.infinity
            }
            XCTAssertEqual(draw, keys.indices.sorted { keys[$0] > keys[$1] }.prefix(12).map { candidates[$0] }, "floor \(floor)")
            XCTAssertEqual(stream, rng, "every candidate takes one uniform")
        }
    }
}

final class SelectionStateTests: XCTestCase {
    func testLayoutHasThePapersThirtyNineDimensions() throws {
        let layout = StateLayout(groups: StateGroup.paper)
        XCTAssertEqual(layout.width, 39)
        XCTAssertEqual(layout.columns(of: .availability), 38..<39)
        XCTAssertNil(layout.columns(of: .currentLoss))
        XCTAssertEqual(try StateGroup.parseList("availability,stage", option: "--groups"), [.stage, .availability])
        XCTAssertThrowsError(try StateGroup.parseList("stage,mood", option: "--groups")) {
            XCTAssertTrue("\($0)".contains("mood"), "\($0)")
        }
    }

    func testFusedStateAndSummaryHoldTheProgress() throws {
        let layout = StateLayout(groups: [.stage, .difficulty, .semantics, .availability], semanticDimensions: 2)
        let columns: [String: [Float]] = ["prompt_tokens": [3, 7, 15], "response_tokens": [1, 1, 1], "loss_conditional": [1, 2, 3],
                                          "loss_unconditional": [2, 2, 2], "embedding_0": [0, 1, 2], "embedding_1": [5, 5, 8]]
        let features = try PoolFeatures(columns: columns, count: 3, layout: layout)
        var progress = TrainingProgress(totalSteps: 4, poolSize: 3)
        progress.step = 1
        progress.timesSelected = [0, 3, 1]
        let state = layout.fusedState(features, progress)
        XCTAssertEqual(state.shape, [3, 9])
        XCTAssertEqual(state[0, 0], 0.25)
        XCTAssertEqual(state[0, 1], 0.5)
        XCTAssertEqual(state[1, 6], 0, accuracy: 1e-6, "embedding_0 standardised: 1 is the mean")
        XCTAssertEqual(state[0, 4], 1.2247449, accuracy: 1e-5, "−loss 1 is the highest log-likelihood: +√1.5 deviations")
        XCTAssertEqual(state[1, 8], log(4), accuracy: 1e-6)
        let summary = layout.summary(of: features, progress)
        XCTAssertEqual(summary.shape, [1, 9])
        XCTAssertEqual(summary[0, 2 + 2], 0.75 * state[1, 4] + 0.25 * state[2, 4], accuracy: 1e-6, "pooled by use")
        XCTAssertEqual(summary[0, 8], 0.75 * state[1, 8] + 0.25 * state[2, 8], accuracy: 1e-6)

        // The incremental scores equal the network on the fused state, at several steps, for either activation.
        for activation in [Activation.relu, .tanh] {
            var settings = PolicySettings(layout: layout)
            (settings.hidden, settings.activation) = (11, activation)
            let policy = SelectionPolicy(settings: settings, seed: 3)
            for step in [0, 1, 3] {
                progress.step = step
                let full = policy.scores(layout.fusedState(features, progress)), fast = policy.scores(features, progress)
                for (a, b) in zip(full, fast) { XCTAssertEqual(a, b, accuracy: 1e-5, "\(activation)") }
            }
        }
    }

    func testIncrementalScoresMatchTheNetworkOverSeveralBlocksWithTheCurrentLoss() throws {
        // 77 rows: two whole blocks of the scorer and a part, with uses, current losses and both activations.
        let (layout, n) = (IncrementalScoringPool.layout, 77)
        var rng = RandomGenerator(seed: 5)
        let features = try IncrementalScoringPool.features(count: n, rng: &rng)
        var progress = TrainingProgress(totalSteps: 10, poolSize: n)
        progress.timesSelected = (0..<n).map { $0 % 5 == 0 ? $0 % 3 : 0 }
        progress.currentLoss = (0..<n).map { _ in rng.nextNormal() }
        for activation in [Activation.relu, .tanh] {
            var settings = PolicySettings(layout: layout)
            (settings.hidden, settings.activation) = (13, activation)
            let policy = SelectionPolicy(settings: settings, seed: 7)
            for step in [0, 6] {
                progress.step = step
                let full = policy.scores(layout.fusedState(features, progress)), fast = policy.scores(features, progress)
                XCTAssertEqual(fast.count, n)
                for (i, (a, b)) in zip(full, fast).enumerated() { XCTAssertEqual(a, b, accuracy: 1e-5, "\(activation), row \(i)") }
            }
        }
    }

    func testScoresAheadAreTheBitsOfAFreshPassThroughARun() throws {
        // A run over 650 rows (20 whole blocks of the scorer and a part): picks move a few use counts every
        // step, losses refresh, the weights change and a second run starts at step 0. At every step the
        // scores equal those of a policy with an empty cache.
        let (layout, n) = (IncrementalScoringPool.layout, 650)
        var rng = RandomGenerator(seed: 9)
        let features = try IncrementalScoringPool.features(count: n, rng: &rng)
        var settings = PolicySettings(layout: layout)
        settings.hidden = 13
        let policy = SelectionPolicy(settings: settings, seed: 4)
        func nudge(_ policy: SelectionPolicy) {
            policy.parameters["actor.layer0.weight"].value.data[5] += 0.25
            policy.weightsChanged()
        }
        var progress = TrainingProgress(totalSteps: 30, poolSize: n)
        var nudged = false
        for (run, steps) in [(0, 0..<30), (1, 0..<12)] {
            if run == 1 { progress = TrainingProgress(totalSteps: 30, poolSize: n) }
            for step in steps {
                progress.step = step
                if step % 10 == 3 { progress.currentLoss = (0..<n).map { _ in rng.nextNormal() } }
                if run == 0 && step == 17 { nudge(policy); nudged = true }
                let fresh = SelectionPolicy(settings: settings, seed: 4)
                if nudged { nudge(fresh) }
                XCTAssertEqual(policy.scores(features, progress), fresh.scores(features, progress), "run \(run), step \(step)")
                for _ in 0..<3 { progress.timesSelected[rng.nextInt(below: n)] += 1 }
            }
        }
        let empty = try IncrementalScoringPool.features(count: 0, rng: &rng)
        XCTAssertEqual(policy.scores(empty, TrainingProgress(totalSteps: 30, poolSize: 0)), [], "an empty pool has no scores")
    }

    func testQuotasSpreadTheBatchAndRespectSmallClusters() throws {
        let semantics = Tensor(shape: [7, 1], values: [0, 0.1, 0.2, 0.3, 0.4, 10, 10.1])
        let clusters = try PoolClusters(semantics: semantics, count: 2, seed: 1)
        XCTAssertEqual(Set(clusters.members.map(\.count)), [5, 2])
        let small = clusters.members.firstIndex { $0.count == 2 }!
        let quota = clusters.quota(batchSize: 6)
        XCTAssertEqual(quota.reduce(0, +), 6)
        XCTAssertEqual(quota[small], 2)
    }
}

/// A toy world: instructions in three semantic groups; performance grows with the share of each batch
/// taken from group 0, so the best policy picks group 0 only. With `momentum` β a batch's share moves the
/// performance as a gradient moves a model trained with Adam's first moment: by (1 − β) of it at its own
/// step and (1 − β)βᵏ k steps later (0: all of it at once, so each step's reward is its batch's share).
/// `noise` adds a seeded Gaussian error of that deviation to every measurement, as a small validation
/// sample's loss has. With `check` the held-out examples of the policy check score `check` times the
/// performance (−1: they disagree with the reward).
final class ToyEnvironment: SelectionEnvironment {
    let groups: [Int]
    let momentum: Double, noise: Double
    var check: Double?
    private var good = 0.0, velocity = 0.0
    private var rng = RandomGenerator(seed: 17)

    init(groups: [Int], momentum: Double = 0, noise: Double = 0) { (self.groups, self.momentum, self.noise) = (groups, momentum, noise) }

    var poolSize: Int { groups.count }
    func reset(totalSteps: Int) throws -> Double { (good, velocity) = (0, 0); return 0 }
    func train(_ indices: [Int]) throws {
        let share = Double(indices.filter { groups[$0] == 0 }.count) / Double(indices.count)
        velocity = momentum * velocity + (1 - momentum) * share
        good += velocity
    }
    func performance() throws -> Double { good + noise * Double(rng.nextNormal()) }
    func poolLosses() throws -> [Float] { groups.map(Float.init) }
    func checkPerformance() throws -> Double? { check.map { $0 * good } }

    /// 60 instructions, 20 per group, with 4 noisy semantic columns centred on their group.
    static func make(momentum: Double = 0, noise: Double = 0) throws -> (ToyEnvironment, PoolFeatures, StateLayout) {
        var rng = RandomGenerator(seed: 3)
        let groups = (0..<60).map { $0 % 3 }
        var columns = [String: [Float]]()
        for d in 0..<4 { columns["embedding_\(d)"] = groups.map { Float($0 == d ? 2 : 0) + 0.3 * rng.nextNormal() } }
        let layout = StateLayout(groups: [.stage, .semantics, .availability], semanticDimensions: 4)
        return (ToyEnvironment(groups: groups, momentum: momentum, noise: noise), try PoolFeatures(columns: columns, count: 60, layout: layout), layout)
    }
}

final class PolicyTrainingTests: XCTestCase {
    private func trainer(seed: UInt64, ratio: PPORatio = .perDraw, momentum: Double = 0, noise: Double = 0,
                         lambda: Double = PPOSettings().lambda, steps: Int = 8, learningRate: Float = 1e-2) throws -> (PolicyTrainer, ToyEnvironment) {
        let (environment, features, layout) = try ToyEnvironment.make(momentum: momentum, noise: noise)
        var policySettings = PolicySettings(layout: layout)
        policySettings.hidden = 16
        let policy = SelectionPolicy(settings: policySettings, seed: seed)
        var settings = PolicyTrainingSettings(steps: steps, batchSize: 4, seed: seed)
        settings.ppo.learningRate = learningRate
        settings.ppo.ratio = ratio
        settings.ppo.lambda = lambda
        let pool = try PolicyPool(features: features, settings: policySettings, seed: seed)
        return (PolicyTrainer(policy: policy, pool: pool, environment: environment, settings: settings), environment)
    }

    private func goodShare(_ result: EpisodeResult, _ environment: ToyEnvironment) -> Double {
        Double(result.picks.filter { environment.groups[$0] == 0 }.count) / Double(result.picks.count)
    }

    func testPPOLearnsToPickTheOnlyGroupThatHelps() throws {
        try learnsTheGoodGroup(ratio: .perDraw)
        try learnsTheGoodGroup(ratio: .perCluster)
    }

    private func learnsTheGoodGroup(ratio: PPORatio) throws {
        let (trainer, environment) = try trainer(seed: 11, ratio: ratio)
        let first = try trainer.runEpisode(0)
        XCTAssertLessThan(goodShare(first, environment), 0.6, "an untrained policy picks about a third from the good group")
        XCTAssertNotNil(try episodesToLearn(trainer, environment, from: 1, limit: 40), "\(ratio) ratios: none of episodes 1–39 picked > 90% good")
        // Run as a selector over a whole episode (top scores at every step), it takes the good group.
        var none: RandomGenerator? = nil, progress = TrainingProgress(totalSteps: 8, poolSize: 60), good = 0
        for step in 0..<8 {
            progress.step = step
            let picks = trainer.policy.pick(trainer.pool, progress: progress, batchSize: 4, rng: &none).indices
            good += picks.filter { environment.groups[$0] == 0 }.count
            for i in picks { progress.timesSelected[i] += 1 }
        }
        XCTAssertGreaterThan(Double(good) / 32, 0.9, "\(ratio) ratios, top scores")
    }

    /// Runs episodes `first`, `first` + 1, … (before `limit`) until one picks > 90% group 0; returns how many
    /// episodes have run by then, counted from 0, or nil when none did.
    private func episodesToLearn(_ trainer: PolicyTrainer, _ environment: ToyEnvironment, from first: Int = 0, limit: Int = 60) throws -> Int? {
        for episode in first..<limit where goodShare(try trainer.runEpisode(episode), environment) > 0.9 { return episode + 1 }
        return nil
    }

    /// When a batch's effect comes mostly in later steps (momentum 0.9, as Adam's β₁) and every measurement
    /// is noisy, GAE's λ = 0.9 credits a batch with the steps after it and learns in fewer episodes than
    /// λ = 0, which credits each batch with its own step's reward — mostly the earlier batches' doing. One
    /// seed's count is itself noisy (12–37 episodes at λ = 0.9, 11–58 at λ = 0; 137 against 183 in all),
    /// so the test sums six.
    func testLambdaCreditsABatchWithTheEffectItHasLater() throws {
        var episodes = [Double: Int]()
        for lambda in [0.0, 0.9] {
            for seed in 11...16 as ClosedRange<UInt64> {
                let (trainer, environment) = try trainer(seed: seed, momentum: 0.9, noise: 0.05, lambda: lambda, steps: 16)
                episodes[lambda, default: 0] += try episodesToLearn(trainer, environment) ?? 60
            }
        }
        XCTAssertLessThan(episodes[0.9]!, episodes[0.0]!, "episodes to > 90% good picks over six seeds: \(episodes[0.9]!) at λ = 0.9, \(episodes[0.0]!) at λ = 0")
    }

    /// An episode scores the environment's held-out examples at its end when there are some, and nothing
    /// when there are none.
    func testARolloutScoresTheCheckExamplesAtItsEnd() throws {
        let (trainer, environment) = try trainer(seed: 5)
        XCTAssertNil(try trainer.rollout(0).checkPerformance)
        environment.check = -1
        let rollout = try trainer.rollout(1)
        XCTAssertEqual(rollout.checkPerformance, -rollout.finalPerformance)
        XCTAssertGreaterThan(rollout.finalPerformance, 0)
    }

    /// The check keeps the trained policy only when it beats its start by more than a standard error of the
    /// difference (pooled variance): hand values on each side of that line.
    func testThePolicyCheckKeepsTheTrainedPolicyOnlyWhenItClearlyDidBetter() {
        // Means −1.0 and −0.9; squares 0.02 + 0.02 over 4 degrees: pooled 0.01, standard error √(0.01·2/3) ≈ 0.0816.
        let clear = PolicyCheck(start: [-1.1, -1.0, -0.9], trained: [-1.0, -0.9, -0.8])
        XCTAssertEqual(clear.difference, 0.1, accuracy: 1e-12)
        XCTAssertEqual(clear.standardError, (0.01 * 2 / 3).squareRoot(), accuracy: 1e-12)
        XCTAssertTrue(clear.keepsTrained)
        XCTAssertEqual(clear.json["kept"]?.stringValue, "trained")
        // The same difference with three times the spread is within a standard error: the start is kept.
        let unclear = PolicyCheck(start: [-1.3, -1.0, -0.7], trained: [-1.2, -0.9, -0.6])
        XCTAssertEqual(unclear.standardError, 3 * clear.standardError, accuracy: 1e-12)
        XCTAssertFalse(unclear.keepsTrained)
        XCTAssertEqual(unclear.json["kept"]?.stringValue, "start")
        // Worse is never kept, however tight.
        XCTAssertFalse(PolicyCheck(start: [-1, -1.001], trained: [-1.2, -1.201]).keepsTrained)
        // config.json's record reads back as the same check; a record without its scores is refused, naming the field.
        XCTAssertEqual(try PolicyCheck(json: unclear.json, path: "config.json"), unclear)
        var broken = unclear.json
        broken["trained"] = .array([.string("high")])
        assertThrows(["config.json", "check.trained"]) { try PolicyCheck(json: broken, path: "config.json") }
    }

    /// An update's approximate KL measures how far it moved the policy: 0 when the rate is 0 (every ratio
    /// stays 1, up to the rounding of the recorded log-probabilities), positive when it learns, and larger —
    /// with more ratios clipped — at a larger rate.
    func testAnUpdateReportsHowFarItMovedThePolicy() throws {
        let (still, _) = try trainer(seed: 4, learningRate: 0)
        let unmoved = try still.runEpisode(0).statistics
        XCTAssertEqual(unmoved.approximateKL, 0, accuracy: 1e-12)
        XCTAssertEqual(unmoved.clipFraction, 0)
        var measured = [Float: PPOStatistics]()
        for rate: Float in [1e-3, 1e-1] {
            let (learning, _) = try trainer(seed: 4, learningRate: rate)
            measured[rate] = try learning.runEpisode(0).statistics
        }
        XCTAssertGreaterThan(measured[1e-3]!.approximateKL, 0)
        XCTAssertGreaterThan(measured[1e-1]!.approximateKL, measured[1e-3]!.approximateKL)
        XCTAssertGreaterThan(measured[1e-1]!.clipFraction, measured[1e-3]!.clipFraction)
    }

    func testARestoredTrainerRepeatsAnUninterruptedRun() throws {
        let (straight, _) = try trainer(seed: 5)
        for e in 0..<3 { _ = try straight.runEpisode(e) }

        let folder = PolicyFolder(try scratchFolder(self))
        let (first, _) = try trainer(seed: 5)
        _ = try first.runEpisode(0)
        try folder.saveTraining(first, description: JSONObject([("seed", .number(5))]), episodesDone: 1, log: ["episode 0"])
        XCTAssertEqual(try folder.episodesDone(), 1)
        XCTAssertEqual(try folder.savedTraining(), JSONObject([("seed", .number(5))]))
        XCTAssertEqual(try String(contentsOfFile: folder.episodesPath, encoding: .utf8), "episode 0\n")
        let (resumed, _) = try trainer(seed: 5)
        let state = try folder.restoreTraining(into: resumed)
        XCTAssertEqual(state.episodesDone, 1)
        XCTAssertEqual(state.log, ["episode 0"])
        for e in 1..<3 { _ = try resumed.runEpisode(e) }
        XCTAssertEqual(resumed.policy.parameters.values.scalars, straight.policy.parameters.values.scalars)
    }

    /// A rollout sent as bytes (as the ranks of an MPI job send them) updates a policy exactly as the
    /// original does; a group update differs from two one-episode updates; truncated bytes are refused.
    func testRolloutsRoundTripAsBytesAndUpdateInGroups() throws {
        let (direct, _) = try trainer(seed: 9)
        let (sent, _) = try trainer(seed: 9)
        let rollouts = [try direct.rollout(0), try direct.rollout(1)]
        let bytes = Rollout.encoded(rollouts)
        let decoded = try Rollout.decoded(bytes)
        XCTAssertEqual(Rollout.encoded(decoded), bytes)
        XCTAssertEqual(decoded.map(\.episode), [0, 1])
        XCTAssertEqual(decoded[1].trajectory.totalReward, rollouts[1].trajectory.totalReward)
        _ = try direct.update(rollouts)
        _ = try sent.update(decoded)
        XCTAssertEqual(direct.policy.parameters.values.scalars, sent.policy.parameters.values.scalars)

        let (oneByOne, _) = try trainer(seed: 9)
        _ = try oneByOne.runEpisode(0)
        _ = try oneByOne.runEpisode(1)
        XCTAssertNotEqual(oneByOne.policy.parameters.values.scalars, direct.policy.parameters.values.scalars)
        XCTAssertThrowsError(try Rollout.decoded(Array(bytes.dropLast(8)))) { XCTAssertTrue("\($0)".contains("rollout"), "\($0)") }

        // Current-loss refreshes travel too.
        var trajectory = rollouts[0].trajectory
        trajectory.refreshLosses([0.5, -1.25, 3], at: 4)
        let withLosses = Rollout(episode: 7, trajectory: trajectory, basePerformance: -2, finalPerformance: -1.5, rng: rollouts[0].rng, seconds: 1,
                                 checkPerformance: -1.75)
        let back = try Rollout(decoding: withLosses.encoded())
        XCTAssertEqual(back.trajectory.lossRefreshes.map(\.step), [4])
        XCTAssertEqual(back.trajectory.lossRefreshes.first?.losses, [0.5, -1.25, 3])
        XCTAssertEqual(back.rng, withLosses.rng)
        // So does the policy check's held-out score, and its absence.
        XCTAssertEqual(back.checkPerformance, -1.75)
        XCTAssertNil(rollouts[0].checkPerformance)
        XCTAssertNil(try Rollout(decoding: rollouts[0].encoded()).checkPerformance)
    }

    func testAPolicyFolderRoundTrips() throws {
        var settings = PolicySettings(layout: StateLayout(groups: [.stage, .semantics], semanticDimensions: 3))
        settings.clusters = 2
        settings.temperature = 0.5
        settings.activation = .tanh
        let policy = SelectionPolicy(settings: settings, seed: 9)
        let directory = try scratchFolder(self)
        try PolicyFolder(directory).save(policy)
        let loaded = try PolicyFolder(directory).loadPolicy()
        XCTAssertEqual(loaded.settings, settings)
        XCTAssertEqual(loaded.parameters.values.scalars, policy.parameters.values.scalars)
        try "{\"kind\": \"raise.policy\", \"settings\": {\"groups\": [\"stage\"], \"semantic_dims\": 0}}".write(
            toFile: directory + "/config.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PolicyFolder(directory).loadPolicy()) { XCTAssertTrue("\($0)".contains("semantic_dims"), "\($0)") }
    }

    /// The relevance signal is saved with the policy; a policy saved before it could be chosen ranked by the
    /// target similarity; an unknown signal is refused, naming the field.
    func testTheRelevanceSignalIsSavedAndOldPoliciesRankBySimilarityOrAreRefused() throws {
        let settings = PolicySettings(layout: StateLayout(groups: [.stage, .semantics, .relevance], semanticDimensions: 3, relevanceSignal: .dsir))
        XCTAssertEqual(try PolicySettings(json: settings.json, path: "config.json"), settings)
        var old = settings.json
        old["relevance_signal"] = nil
        XCTAssertEqual(try PolicySettings(json: old, path: "config.json").layout.relevanceSignal, .similarity)
        var unknown = settings.json
        unknown["relevance_signal"] = .string("vibes")
        assertThrows(["config.json", "relevance_signal", "vibes", "similarity, whitened, dsir"]) { try PolicySettings(json: unknown, path: "config.json") }
        unknown["relevance_signal"] = .number(1)
        assertThrows(["config.json", "relevance_signal", "expected a string"]) { try PolicySettings(json: unknown, path: "config.json") }
        // A likelihood policy saves how the signal was scaled; one saved before, by ranks, is refused: its prior would not fit.
        let likelihood = PolicySettings(layout: StateLayout(groups: [.stage, .semantics, .relevance], semanticDimensions: 3, relevanceSignal: .likelihood))
        XCTAssertEqual(try PolicySettings(json: likelihood.json, path: "config.json"), likelihood)
        var byRanks = likelihood.json
        byRanks["likelihood_scores"] = nil
        assertThrows(["config.json", "relevance_signal", "by ranks", "train the policy again"]) { try PolicySettings(json: byRanks, path: "config.json") }
        XCTAssertNil(settings.json["likelihood_scores"], "other signals save no scale")
    }
}

/// A pool of random static features under the state with every dynamic group, for the incremental scorer's tests.
enum IncrementalScoringPool {
    static let layout = StateLayout(groups: [.stage, .difficulty, .semantics, .availability, .currentLoss], semanticDimensions: 3)

    static func features(count n: Int, rng: inout RandomGenerator) throws -> PoolFeatures {
        var columns = [String: [Float]]()
        for name in [FeatureColumn.promptTokens, FeatureColumn.responseTokens, FeatureColumn.lossConditional, FeatureColumn.lossUnconditional]
            + (0..<3).map(FeatureColumn.embedding) {
            columns[name] = (0..<n).map { _ in abs(rng.nextNormal()) * 4 }
        }
        return try PoolFeatures(columns: columns, count: n, layout: layout)
    }
}
