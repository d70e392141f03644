// LossMemory: a remembered call returns the model's losses without a second pass; another model
// state, other examples or another memory compute again.
import XCTest
@testable import RaiseKit
import RaiseTestSupport

final class LossMemoryTests: XCTestCase {
    func testARememberedCallIsNotComputedAgain() throws {
        let model = try StubModel { $0.map { Float($0.ids.reduce(0, +)) } }  // an example's loss: the sum of its ids
        let memory = LossMemory()
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
        _ = try LossMemory().remembering(model, fingerprint: 1).exampleLosses(a)
        XCTAssertEqual(model.lossPasses, 4, "another memory knows nothing")

        _ = try first.embeddings(a)
        _ = try first.embeddings(a)
        XCTAssertEqual(model.embeddingPasses, 2, "only answer losses are remembered")
    }
}
