// MicroBatches: a batch cut into passes of similar length — each example in exactly one pass, at most
// `maxRows` per pass, and a cut made only where it saves more padding than a pass costs.
import RaiseKit
import XCTest

final class MicroBatchesTests: XCTestCase {
    func testEqualLengthsStayOnePass() {
        XCTAssertEqual(MicroBatches.split(lengths: [50, 50, 50, 50], maxRows: 16), [[0, 1, 2, 3]])
    }

    /// Two short and two long examples: one pass costs 4 × 250 + 64 = 1,064 padded tokens, two passes
    /// 2 × 12 + 64 + 2 × 250 + 64 = 652, three or more cost more again (each cut saves less than 64).
    func testShortAndLongExamplesGoToPassesOfTheirOwn() {
        XCTAssertEqual(MicroBatches.split(lengths: [10, 250, 12, 240], maxRows: 16), [[0, 2], [3, 1]])
    }

    /// A cut that saves less padding than a pass costs is not made: 4 × 100 + 64 = 464 against
    /// 2 × 90 + 64 + 2 × 100 + 64 = 508.
    func testASmallSavingIsNotWorthAPass() {
        XCTAssertEqual(MicroBatches.split(lengths: [90, 100, 90, 100], maxRows: 16), [[0, 2, 1, 3]])
    }

    func testEveryExampleIsInOnePassOfAtMostMaxRows() {
        var rng = RandomGenerator(seed: 3)
        let lengths = (0..<37).map { _ in 20 + rng.nextInt(below: 237) }
        let passes = MicroBatches.split(lengths: lengths, maxRows: 8)
        XCTAssertEqual(passes.flatMap { $0 }.sorted(), Array(lengths.indices))
        XCTAssertTrue(passes.allSatisfy { (1...8).contains($0.count) })
        // Passes run shortest first: no pass holds an example shorter than one of the pass before it.
        for (earlier, later) in zip(passes, passes.dropFirst()) {
            XCTAssertLessThanOrEqual(earlier.map { lengths[$0] }.max()!, later.map { lengths[$0] }.min()!)
        }
        XCTAssertEqual(MicroBatches.split(lengths: [], maxRows: 4), [])
    }
}
