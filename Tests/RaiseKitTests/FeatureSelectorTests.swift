// IFD against hand-computed values; the score-based selectors pick the right ranks; the feature
// plugins on a tiny model; `raise select` exports a subset in the input's format.
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class IFDTests: XCTestCase {
    func testIFDEqualsHandComputedRatios() {
        // Losses s(A|Q) = [1, 2, 0.5], s(A) = [2, 2, 0.25]: IFD = [0.5, 1, 2]; as perplexities e^(c−u) = [e^−1, 1, e^0.25].
        let loss = InstructionFollowingDifficulty.scores(conditional: [1, 2, 0.5], unconditional: [2, 2, 0.25], variant: .loss)
        assertClose(loss, [0.5, 1, 2], tolerance: 1e-6)
        let perplexity = InstructionFollowingDifficulty.scores(conditional: [1, 2, 0.5], unconditional: [2, 2, 0.25], variant: .perplexity)
        assertClose(perplexity, [0.367879, 1, 1.284025], tolerance: 1e-5)
    }

    func testResponseOnlyKeepsTheAnswerTokens() {
        let example = TokenizedExample(ids: [5, 6, 7, 8, 9], lossMask: [0, 0, 1, 1, 1])
        XCTAssertEqual(InstructionFollowingDifficulty.responseOnly(example, bos: 1), TokenizedExample(ids: [1, 7, 8, 9], lossMask: [0, 1, 1, 1]))
        XCTAssertEqual(InstructionFollowingDifficulty.responseOnly(example, bos: nil), TokenizedExample(ids: [7, 8, 9], lossMask: [0, 1, 1]))
    }
}

final class LossSelectorTests: XCTestCase {
    private func selector(_ spec: String, seed: UInt64 = 0) throws -> any InstructionSelector {
        let registry = PluginRegistry()
        try PluginLoader(registry: registry).load(file: builtLibrary("RaisePluginBaselineSelectors"))
        return try registry.make(PluginSpec(parsing: spec, option: "--selector"), kind: .selector, seed: seed, as: (any InstructionSelector).self)
    }

    /// Losses that are the index + 1: example 7 is the hardest.
    private func request(count: Int, step: Int = 0, totalSteps: Int = 10, features: [String: [Float]] = [:]) -> SelectionRequest {
        SelectionRequest(poolSize: 8, count: count, step: step, totalSteps: totalSteps, features: features,
                         currentLosses: { $0.map { Float($0 + 1) } })
    }

    func testRhoLossTakesTheHighestReducibleLoss() throws {
        // current = 1…8, reference = [0.5, 0, 3, 1, 5, 0, 7, 8]: reducible = [0.5, 2, 0, 3, 0, 6, 0, 0].
        let rho = try selector("rho-loss:candidates=4")
        XCTAssertEqual(rho.mode, .everyStep)
        XCTAssertEqual(rho.requiredFeatures, ["reference:feature.loss"])
        let chosen = try rho.select(request(count: 2, features: ["reference_loss": [0.5, 0, 3, 1, 5, 0, 7, 8]]))
        XCTAssertEqual(chosen, [5, 3])
        assertThrows(["selector.rho-loss", "needs the current model's losses"]) {
            try rho.select(SelectionRequest(poolSize: 8, count: 2, totalSteps: 1, features: ["reference_loss": Array(repeating: 0, count: 8)]))
        }
    }

    func testSelfPacedGoesFromEasyToHard() throws {
        let early = try selector("sspl:candidates=4,start=0.25").select(request(count: 2, step: 0))
        XCTAssertEqual(Set(early), [0, 1], "at the start only the easiest quarter is allowed")
        var late = Set<Int>()
        let sspl = try selector("sspl:candidates=4,start=0.25")
        for _ in 0..<50 { late.formUnion(try sspl.select(request(count: 2, step: 9))) }
        XCTAssertEqual(late, Set(0..<8), "at the end every candidate is allowed")
    }

    func testOnlineLossPrefersHardExamplesAndIsSeeded() throws {
        let online = try selector("online-loss:candidates=8,pressure=100", seed: 4)
        var counts = [Int](repeating: 0, count: 8)
        for _ in 0..<3000 { counts[try online.select(request(count: 1))[0]] += 1 }
        // Weights exp(−ln 100 · rank / 7): the hardest (7) 100 times the easiest (0).
        XCTAssertGreaterThan(counts[7], 20 * max(counts[0], 1), "\(counts)")
        XCTAssertGreaterThan(counts[7], counts[4])
        let again = try selector("online-loss:candidates=8,pressure=100", seed: 4)
        let first = try selector("online-loss:candidates=8,pressure=100", seed: 4)
        XCTAssertEqual(try (0..<5).map { _ in try again.select(request(count: 3)) }, try (0..<5).map { _ in try first.select(request(count: 3)) })
    }
}
