// PassMemory: a remembered call returns the model's losses or embeddings without a second pass; another
// model state, other examples or another memory compute again; embeddings follow the weights as they are
// at each call; two threads making the same call at once pay for one pass.
import Foundation
import Synchronization
import XCTest
@testable import RaiseKit
import RaiseTestSupport

final class PassMemoryTests: XCTestCase {
    func testARememberedCallIsNotComputedAgain() throws {
        let model = try StubModel { $0.map { Float($0.ids.reduce(0, +)) } }  // an example's loss: the sum of its ids
        let memory = PassMemory()
        let a = [TokenizedExample(ids: [1, 2, 3], lossMask: [0, 1, 1]), TokenizedExample(ids: [4, 5], lossMask: [0, 1])]
        let b = [TokenizedExample(ids: [1, 2, 3], lossMask: [0, 0, 1])]

        let first = memory.remembering(model, fingerprint: 1)
        XCTAssertEqual(try first.exampleLosses(a), [6, 9])
        XCTAssertEqual(try first.exampleLosses(a), [6, 9])
        XCTAssertEqual(model.lossPasses, 1, "the same examples under the same weights: remembered")
        XCTAssertEqual(try memory.remembering(model, fingerprint: 1).exampleLosses(a), [6, 9])
        XCTAssertEqual(model.lossPasses, 1, "another view of the same model state shares the memory (a benchmark's runs)")

        XCTAssertEqual(try first.exampleLosses(b), [6])
        XCTAssertEqual(model.lossPasses, 2, "another mask is another call")
        _ = try memory.remembering(model, fingerprint: 2).exampleLosses(a)
        XCTAssertEqual(model.lossPasses, 3, "other weights: computed again")
        _ = try PassMemory().remembering(model, fingerprint: 1).exampleLosses(a)
        XCTAssertEqual(model.lossPasses, 4, "another memory knows nothing")

        _ = try memory.remembering(model, fingerprint: nil).exampleLosses(a)
        XCTAssertEqual(model.lossPasses, 5, "without a fingerprint the losses are not remembered")
    }

    func testEmbeddingsAreRememberedUnderTheWeightsOfEachCall() throws {
        let model = try StubModel(losses: { $0.map { _ in 0 } }, parameters: [ParameterSpec("w", [2], .normal(std: 1))])
        let memory = PassMemory()
        let a = [TokenizedExample(ids: [1, 2, 3], lossMask: [0, 1, 1])]
        let trained = memory.remembering(model, fingerprint: nil)  // a model that may change: only embeddings remembered
        let first = try trained.embeddings(a)
        first.data[0] = 5  // a caller centring its copy in place
        XCTAssertEqual(try memory.remembering(model, fingerprint: 7).embeddings(a).scalars, [0], "each caller gets its own copy")
        XCTAssertEqual(model.embeddingPasses, 1, "the same weights and examples: remembered, whatever the losses' fingerprint")
        _ = try trained.embeddings([TokenizedExample(ids: [1, 2], lossMask: [0, 1])])
        XCTAssertEqual(model.embeddingPasses, 2, "other examples: computed")
        model.parameters.values.data[0] += 1
        _ = try trained.embeddings(a)
        XCTAssertEqual(model.embeddingPasses, 3, "the weights changed since: computed again")

        // A pass the memory computes reports its progress to a reporter made for its size; a remembered one does not.
        var reports = [(examples: Int, done: Int)]()
        let reporting = memory.remembering(model, fingerprint: nil) { examples in { reports.append((examples, $0)) } }
        _ = try reporting.embeddings(a)
        XCTAssertTrue(reports.isEmpty, "remembered")
        model.parameters.values.data[0] += 1
        _ = try reporting.embeddings(a)
        XCTAssertEqual(reports.map(\.examples), [1])
        XCTAssertEqual(reports.map(\.done), [1])
    }

    func testTwoThreadsMakingTheSameCallAtOnceComputeItOnce() throws {
        // The first pass holds on until released: the second thread asks meanwhile.
        let passes = Mutex(0), released = Mutex(false)
        let entered = DispatchSemaphore(value: 0), secondAsking = DispatchSemaphore(value: 0)
        let memory = PassMemory()
        let model = try StubModel { examples in
            if passes.withLock({ $0 += 1; return $0 }) == 1 { entered.signal() }
            while !released.withLock({ $0 }) { Thread.sleep(forTimeInterval: 0.005) }
            return examples.map { _ in 2 }
        }
        nonisolated(unsafe) let scoring = memory.remembering(model, fingerprint: 1)  // the two threads' view of it
        let a = [TokenizedExample(ids: [1, 2, 3], lossMask: [0, 1, 1])]
        let group = DispatchGroup()
        let results = Mutex([[Float]]())
        DispatchQueue.global().async(group: group) {
            let losses = try? scoring.exampleLosses(a)
            results.withLock { $0.append(losses ?? []) }
        }
        entered.wait()
        DispatchQueue.global().async(group: group) {
            secondAsking.signal()
            let losses = try? scoring.exampleLosses(a)
            results.withLock { $0.append(losses ?? []) }
        }
        secondAsking.wait()
        Thread.sleep(forTimeInterval: 0.2)  // long enough for the second call to start a pass of its own, were it let
        released.withLock { $0 = true }
        group.wait()
        XCTAssertEqual(results.withLock { $0 }, [[2], [2]])
        XCTAssertEqual(passes.withLock { $0 }, 1, "the second call waited for the first and found it remembered")
    }
}
