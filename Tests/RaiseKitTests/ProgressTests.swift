// Progress rates: a resumed run's rate and ETA count only the steps this process ran (they once counted the
// steps before the resume too: "25613.6 steps/s, ETA 0s" right after `pretrain --resume`); the pauses between
// steps count (a rate over the last minute once gave a SmolLM2 benchmark "0.0 steps/s, ETA 1h32m" after each
// evaluation and 15 minutes during the next run's steps, against 20 minutes left); a reporter made after its work
// began (a child's, `bench perf`) counts from when it began; a rate reads in its unit.
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

    func testTheRateCountsThePausesBetweenStepsButNotTheOneBeforeTheFirst() {
        // A benchmark: features scored for 100 s before the first step, then runs of 8 steps of 15 s, each run
        // followed by an evaluation of 300 s.
        let reporter = ProgressReporter(label: "bench", total: 72, mode: .quiet)
        let start = Date()
        _ = reporter.pace(step: 1, now: start.addingTimeInterval(115))
        XCTAssertEqual(reporter.pace(step: 8, now: start.addingTimeInterval(220)).rate, 7.0 / 105, accuracy: 1e-6,
                       "the 100 s before the first step are not counted")
        _ = reporter.pace(step: 9, now: start.addingTimeInterval(535))
        let (rate, remaining) = reporter.pace(step: 16, now: start.addingTimeInterval(640))
        XCTAssertEqual(rate, 15.0 / 525, accuracy: 1e-6, "the evaluation between the two runs is counted")
        XCTAssertEqual(remaining, 56 / rate, accuracy: 1e-6)
    }

    func testAReporterMadeAfterTheWorkBeganCountsFromItsStart() {
        // A child's first block reported 30 s after the child started, the parent's reporter made only then (its
        // total comes with that report): 1 block in 30 s, not 1 in the instant since the reporter was made.
        let started = Date().addingTimeInterval(-30)
        let reporter = ProgressReporter(label: "bench perf", total: 10, mode: .quiet, unit: "block", start: started)
        XCTAssertEqual(reporter.pace(step: 1, now: Date()).rate, 1.0 / 30, accuracy: 1e-3)
    }

    func testARateBelowOneStepASecondReadsAsSecondsPerStep() {
        XCTAssertEqual(ProgressReporter.rateText(2.5), "2.5 steps/s")
        XCTAssertEqual(ProgressReporter.rateText(1.0 / 16), "16.0 s/step")
        XCTAssertEqual(ProgressReporter.rateText(1200, unit: "token"), "1200.0 tokens/s", "a pass counting tokens")
        XCTAssertEqual(ProgressReporter.rateText(0.5, unit: "answer"), "2.0 s/answer")
    }
}
