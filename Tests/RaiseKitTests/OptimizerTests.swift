// Optimizers, clipping and schedules against values computed by hand from their update rules.
import RaiseKit
import RaiseTestSupport
import XCTest

final class OptimizerTests: XCTestCase {
    private func singleParameter(_ value: Float, decays: Bool = true) -> ParameterStore {
        var rng = RandomGenerator(seed: 0)
        let store = ParameterStore([ParameterSpec("theta", [1], .zeros, decays: decays)], rng: &rng)
        store.values.data[0] = value
        return store
    }

    func testAdamWMatchesHandComputedSteps() {
        // θ=1, lr=0.1, wd=0.1, β=(0.9, 0.999), eps=1e-8, gradients 0.5 then −0.25:
        // step 1: θ = 1 − 0.01 − 0.1·(0.5/0.5) = 0.89
        // step 2: θ = 0.8811 − 0.1·(0.02/0.19)/√(0.00031225/0.001999) = 0.854466
        let store = singleParameter(1)
        let adam = AdamW(parameters: store, weightDecay: 0.1)
        store.grads.data[0] = 0.5
        adam.update(store, lr: 0.1)
        XCTAssertEqual(store.values.data[0], 0.89, accuracy: 1e-6)
        store.grads.data[0] = -0.25
        adam.update(store, lr: 0.1)
        XCTAssertEqual(store.values.data[0], 0.854466, accuracy: 1e-5)
        XCTAssertEqual(adam.step, 2)
    }

    func testAdamWNextDirectionIsTheNextStepsDirectionEveryWhere() {
        // After one step on g₀ = 0.5 everywhere, the direction for g = 2·(i mod 7 − 3) is m̂ / (√v̂ + eps) with
        // m = 0.9·0.05 + 0.1·g, v = 0.999·0.00025 + 0.001·g², bias-corrected at step 2 — at every one of
        // 300,000 parameters (the loop runs in three parts, on three threads), and the optimizer is left as it was.
        let saved = BLAS.threads
        defer { BLAS.threads = saved }
        BLAS.threads = 3
        var rng = RandomGenerator(seed: 0)
        let count = 300_000
        let store = ParameterStore([ParameterSpec("theta", [count], .zeros)], rng: &rng)
        let adam = AdamW(parameters: store, weightDecay: 0)
        store.grads.fill(0.5)
        adam.update(store, lr: 0.1)
        let moments = (adam.m.scalars, adam.v.scalars)
        let scale: Float = 2
        let gradient = Tensor(shape: [count], values: (0..<count).map { Float($0 % 7 - 3) })
        adam.nextDirection(gradient.data, scale: scale)
        let (c1, c2) = (1 - 0.9 * Float(0.9), 1 - 0.999 * Float(0.999))
        for i in [0, 1, 3, 65_535, 65_536, 150_000, count - 1] {
            let g = scale * Float(i % 7 - 3)
            let (m, v) = (0.9 * 0.05 + 0.1 * g, 0.999 * 0.00025 + 0.001 * g * g)
            XCTAssertEqual(gradient.data[i], (m / c1) / ((v / c2).squareRoot() + 1e-8), accuracy: 1e-5, "parameter \(i)")
        }
        XCTAssertEqual(adam.m.scalars, moments.0)
        XCTAssertEqual(adam.v.scalars, moments.1)
        XCTAssertEqual(adam.step, 1)
    }

    func testAdamWLeavesUndecayedParametersAlone() {
        let store = singleParameter(1, decays: false)
        let adam = AdamW(parameters: store, weightDecay: 0.5)
        store.grads.data[0] = 0
        adam.update(store, lr: 0.1)
        XCTAssertEqual(store.values.data[0], 1, "no gradient and no decay: no change")
    }

    func testSGDWithMomentum() {
        // u = 0.9u + g; θ −= 0.1u: 1 − 0.05 = 0.95, then u = 0.45 − 0.25 = 0.2, θ = 0.93.
        let store = singleParameter(1)
        let sgd = SGD(parameters: store, momentum: 0.9)
        store.grads.data[0] = 0.5
        sgd.update(store, lr: 0.1)
        XCTAssertEqual(store.values.data[0], 0.95, accuracy: 1e-6)
        store.grads.data[0] = -0.25
        sgd.update(store, lr: 0.1)
        XCTAssertEqual(store.values.data[0], 0.93, accuracy: 1e-6)
    }

    func testGlobalNormClipping() {
        var rng = RandomGenerator(seed: 0)
        let store = ParameterStore([ParameterSpec("a", [2], .zeros), ParameterSpec("b", [1], .zeros)], rng: &rng)
        store.grads.assign(Tensor(shape: [3], values: [3, 4, 12]))  // norm 13
        XCTAssertEqual(store.clipGradients(maxNorm: 6.5), 13, accuracy: 1e-5)
        assertClose(store.grads.scalars, [1.5, 2, 6], tolerance: 1e-6)
        XCTAssertEqual(store.clipGradients(maxNorm: 100), 6.5, accuracy: 1e-5)
        assertClose(store.grads.scalars, [1.5, 2, 6], tolerance: 1e-6)
    }

    /// The trainer's fused update — 1/tokens and the clip factor applied inside AdamW — gives the same bits as
    /// scaling and clipping the gradient in passes of their own first; the norm is the same at any thread count.
    func testScaledClippedUpdateEqualsScalingTheGradientFirst() {
        let saved = BLAS.threads
        defer { BLAS.threads = saved }
        func store() -> ParameterStore {
            var rng = RandomGenerator(seed: 3)
            let store = ParameterStore([ParameterSpec("w", [700, 1000], .normal(std: 1)), ParameterSpec("b", [1000], .zeros, decays: false)],
                                       rng: &rng)
            for i in 0..<store.count { store.grads.data[i] = 50 * rng.nextNormal() }
            return store
        }
        let (separate, fused) = (store(), store())
        let (separateOptimizer, fusedOptimizer) = (AdamW(parameters: separate), AdamW(parameters: fused))
        let scale: Float = 1 / 37
        for i in 0..<separate.count { separate.grads.data[i] *= scale }
        let norm = separate.clipGradients(maxNorm: 1)
        XCTAssertGreaterThan(norm, 1, "the gradient is clipped")
        separateOptimizer.update(separate, lr: 1e-2)

        BLAS.threads = 1
        let oneThread = fused.gradientNorm(scale: scale)
        BLAS.threads = 2
        XCTAssertEqual(fused.gradientNorm(scale: scale).bitPattern, oneThread.bitPattern)
        XCTAssertEqual(oneThread.bitPattern, norm.bitPattern)
        fusedOptimizer.update(fused, lr: 1e-2, gradientScale: scale, clipFactor: ParameterStore.clipFactor(norm: oneThread, maxNorm: 1))
        XCTAssertEqual(fused.values.scalars.map(\.bitPattern), separate.values.scalars.map(\.bitPattern))
    }

    func testWarmupCosineSchedule() {
        let schedule = LearningRateSchedule.warmupCosine(peak: 1, warmupSteps: 4, totalSteps: 14, minimum: 0.1)
        XCTAssertEqual(schedule.rate(at: 0), 0.25, accuracy: 1e-6)
        XCTAssertEqual(schedule.rate(at: 3), 1, accuracy: 1e-6)
        XCTAssertEqual(schedule.rate(at: 4), 1, accuracy: 1e-6)
        XCTAssertEqual(schedule.rate(at: 9), 0.55, accuracy: 1e-6)  // half way: minimum + (peak − minimum)/2
        XCTAssertEqual(schedule.rate(at: 14), 0.1, accuracy: 1e-6)
        XCTAssertEqual(LearningRateSchedule.constant(3e-4).rate(at: 1000), 3e-4)
    }

    func testParameterStoreViewsShareTheFlatBuffers() {
        var rng = RandomGenerator(seed: 5)
        let store = ParameterStore([ParameterSpec("w", [2, 3], .normal(std: 1)), ParameterSpec("b", [3], .ones)], rng: &rng)
        XCTAssertEqual(store.count, 9)
        XCTAssertEqual(store["b"].value.scalars, [1, 1, 1])
        store["w"].value[1, 2] = 42
        XCTAssertEqual(store.values.data[5], 42)
        store["b"].gradBuffer.data[0] = 7
        XCTAssertEqual(store.grads.data[6], 7)
        let snapshot = store.snapshot()
        store.values.fill(0)
        store.restore(snapshot)
        XCTAssertEqual(store["w"].value[1, 2], 42)
    }
}

final class LearningTests: XCTestCase {
    func testTinyMLPLearnsXOR() throws {
        let inputs = Tensor(shape: [4, 2], values: [0, 0, 0, 1, 1, 0, 1, 1])
        let targets: [Int32] = [0, 1, 1, 0]
        let mlp = MLP(sizes: [2, 8, 2], activation: .tanh)
        var rng = RandomGenerator(seed: 3)
        let parameters = ParameterStore(mlp.parameterSpecs, rng: &rng)
        let adam = AdamW(parameters: parameters, weightDecay: 0)
        var loss: Float = .infinity
        for _ in 0..<500 {
            let tape = Tape()
            let out = tape.crossEntropy(mlp(Variable(inputs), parameters: parameters, tape: tape), targets: targets, mask: [1, 1, 1, 1])
            parameters.zeroGrads()
            try tape.backward(from: out)
            adam.update(parameters, lr: 0.05)
            loss = out.value.scalar
        }
        XCTAssertLessThan(loss, 0.05)
        let logits = mlp(Variable(inputs), parameters: parameters, tape: Tape(recording: false)).value
        for (row, target) in targets.enumerated() {
            XCTAssertEqual(logits[row, 1] > logits[row, 0] ? 1 : 0, target, "XOR row \(row)")
        }
    }
}
