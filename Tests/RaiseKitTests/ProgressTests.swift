// Progress rates: a resumed run's rate and ETA count only the steps this process ran (they once counted the
// steps before the resume too: "25613.6 steps/s, ETA 0s" right after `pretrain --resume`).
import Foundation
@testable import RaiseKit
import XCTest

final class ProgressTests: XCTestCase {
    func testAResumedRunsRateCountsOnlyItsOwnSteps() {
        let reporter = ProgressReporter(label: "pretrain", total: 2000, mode: .quiet, completed: 1000)
        // Half a second after the start, the first step of this process is done: 2 steps/s, 999 steps left.
        let (rate, remaining) = reporter.pace(step: 1001, now: Date().addingTimeInterval(0.5))
        XCTAssertEqual(rate, 2, accuracy: 0.1)
        XCTAssertEqual(remaining, 999 / rate, accuracy: 1e-6)
        XCTAssertEqual(ProgressReporter(label: "pretrain", total: 2000, mode: .quiet).pace(step: 1, now: Date().addingTimeInterval(0.5)).rate,
                       2, accuracy: 0.1, "a fresh run alike")
    }
}
