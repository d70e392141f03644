// The fair-comparison protocol: budgets resolve to steps, static subsets are sized steps × batch / 3 and
// cycled in shuffled epochs, dynamic selectors are asked every step and see the usage counts; and the
// finetune and score commands end to end on a tiny model.
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class TrainingBudgetTests: XCTestCase {
    func testBudgetsResolveToSteps() throws {
        // Full data: 3 epochs of 1000 examples in batches of 16 = 188 steps (rounded up).
        XCTAssertEqual(TrainingBudget.fullDataSteps(poolSize: 1000, batchSize: 16), 188)
        XCTAssertEqual(try TrainingBudget(parsing: "10%").steps(poolSize: 1000, batchSize: 16, meanTokensPerExample: 20), 19)
        XCTAssertEqual(try TrainingBudget(parsing: "100%").steps(poolSize: 1000, batchSize: 16, meanTokensPerExample: 20), 188)
        XCTAssertEqual(try TrainingBudget(parsing: "42").steps(poolSize: 10, batchSize: 16, meanTokensPerExample: 20), 42)
        for huge in ["1e300", "1e30steps", "1e300examples", "1e19tokens", "infsteps"] {  // once a trap converting to Int
            assertThrows(["--budget", "'\(huge)'"]) { try TrainingBudget(parsing: huge) }
        }
        XCTAssertEqual(try TrainingBudget(parsing: "42steps").steps(poolSize: 10, batchSize: 16, meanTokensPerExample: 20), 42)
        XCTAssertEqual(try TrainingBudget(parsing: "320examples").steps(poolSize: 10, batchSize: 16, meanTokensPerExample: 20), 20)
        XCTAssertEqual(try TrainingBudget(parsing: "6400tokens").steps(poolSize: 10, batchSize: 16, meanTokensPerExample: 20), 20)
        XCTAssertEqual(try TrainingBudget(parsing: "6560tokens").steps(poolSize: 10, batchSize: 16, meanTokensPerExample: 20), 21,
                       "20.5 steps: the nearest, as for a share (it rounded down)")
        XCTAssertEqual(try TrainingBudget(parsing: "50%").steps(poolSize: 15, batchSize: 4, meanTokensPerExample: 20), 6, "12 × 50% = 6")
        assertThrows(["--budget", "'0%'"]) { try TrainingBudget(parsing: "0%") }
        assertThrows(["--budget", "'lots'"]) { try TrainingBudget(parsing: "lots") }
        for loose in ["0x10", "0x1p3%", "nan", "1_000"] { assertThrows(["--budget", "'\(loose)'"]) { try TrainingBudget(parsing: loose) } }
        assertThrows(["--budget", "0.01% is less than one training step"]) { try TrainingBudget(parsing: "0.01%").steps(poolSize: 100, batchSize: 16, meanTokensPerExample: 5) }
        assertThrows(["--data", "the pool is empty"]) { try TrainingBudget(parsing: "1%").steps(poolSize: 0, batchSize: 16, meanTokensPerExample: 5) }
    }
}

/// A dynamic selector for tests: picks the least-used examples and records what it was told.
private final class LeastUsedSelector: InstructionSelector {
    let mode = SelectionMode.everyStep
    var requests: [SelectionRequest] = []
    func select(_ request: SelectionRequest) throws -> [Int] {
        requests.append(request)
        return Array((0..<request.poolSize).sorted { (request.timesSelected[$0], $0) < (request.timesSelected[$1], $1) }.prefix(request.count))
    }
}

/// A static selector for tests: the first `count` indices.
private final class FirstSelector: InstructionSelector {
    let mode = SelectionMode.once
    var calls = 0
    func select(_ request: SelectionRequest) throws -> [Int] { calls += 1; return Array(0..<request.count) }
}

final class SelectionTrainingTests: XCTestCase {
    private func setup() throws -> (ModelTrainer, [TokenizedExample]) {
        let folder = try scratchFolder(self)
        let texts = (0..<40).map { "item \($0) is \($0 * 3)" }
        let tokenizer = try BytePairTrainer.train(texts: texts, vocabularySize: 280)
        try tokenizer.save(directory: folder + "/tok")
        let registry = PluginRegistry()
        try PluginLoader(registry: registry).load(file: builtLibrary("RaisePluginTinyGPT"))
        let model = try registry.make(PluginSpec(parsing: "tinygpt:layers=1,heads=2,d=16,ctx=32,tokenizer=\(folder)/tok", option: "--model"),
                                      kind: .model, seed: 1, as: (any LanguageModel).self)
        let pool = texts.map { text -> TokenizedExample in
            let ids = tokenizer.encode(text)
            return TokenizedExample(ids: ids, lossMask: [0] + Array(repeating: 1, count: ids.count - 1))
        }
        return (ModelTrainer(model: model, settings: TrainerSettings(schedule: .constant(1e-3))), pool)
    }

    func testStaticSubsetIsSizedForThreeEpochsAndCycled() throws {
        let (trainer, pool) = try setup()
        let selector = FirstSelector()
        let run = SelectionTraining(trainer: trainer, pool: pool, selector: selector, steps: 6, batchSize: 4, seed: 0)
        XCTAssertEqual(run.staticSubsetSize, 8, "6 steps × 4 / 3 epochs")
        var seen = [Int]()
        for step in 0..<6 { seen += try run.step(step).indices }
        XCTAssertEqual(selector.calls, 1, "a static selector is asked once")
        XCTAssertEqual(Set(seen), Set(0..<8))
        XCTAssertEqual(run.timesSelected.prefix(8).allSatisfy { $0 == 3 }, true, "each subset example seen 3 times")
        XCTAssertEqual(Set(seen[0..<8]), Set(0..<8), "the first epoch covers the subset before any repeat")
    }

    func testDynamicSelectorIsAskedEveryStepWithUsageCounts() throws {
        let (trainer, pool) = try setup()
        let selector = LeastUsedSelector()
        let run = SelectionTraining(trainer: trainer, pool: pool, selector: selector, steps: 5, batchSize: 8, seed: 0)
        var seen = [Int]()
        for step in 0..<5 { seen += try run.step(step).indices }
        XCTAssertEqual(selector.requests.map(\.step), [0, 1, 2, 3, 4])
        XCTAssertEqual(selector.requests.map(\.totalSteps), [5, 5, 5, 5, 5])
        XCTAssertEqual(Set(seen), Set(0..<40), "least-used first covers the pool")
        XCTAssertEqual(selector.requests[4].timesSelected.reduce(0, +), 32)
    }

    func testSelectorAnswersAreChecked() throws {
        final class OutOfRange: InstructionSelector {
            let mode = SelectionMode.everyStep
            func select(_ request: SelectionRequest) throws -> [Int] { Array(repeating: request.poolSize, count: request.count) }
        }
        let (trainer, pool) = try setup()
        let run = SelectionTraining(trainer: trainer, pool: pool, selector: OutOfRange(), steps: 2, batchSize: 2, seed: 0)
        assertThrows(["step 0", "index 40 is outside the pool of 40"]) { try run.step(0) }
    }
}
