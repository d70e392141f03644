// Jobs at once: a queue runs every item once on its threads, each item as a job that shares the threads
// with the others running (a region's thread count divided among them, all of it back afterwards); after a
// failure no new item starts and the failure is thrown; a named lock lets one thread in at a time, and a job
// waiting at it leaves its threads to the job inside; and the
// parts of a progress report add their steps up and show their details while they run.
import Foundation
@testable import RaiseKit
import Synchronization
import XCTest

final class JobQueueTests: XCTestCase {
    func testEveryItemRunsOnceAndJobsRunningTogetherShareTheThreads() throws {
        let saved = BLAS.threads
        defer { BLAS.threads = saved }
        BLAS.threads = 4
        let seen = Mutex<[Int: Int]>([:])  // item -> the threads a region could use while it ran
        let (bothStarted, bothLooked) = (DispatchGroup(), DispatchGroup())
        for group in [bothStarted, bothLooked] { group.enter(); group.enter() }
        try JobQueue.run(Array(0..<20), jobs: 2) { item in
            // The first two items wait for each other before they look and until both have looked, so both
            // are running while either looks (one that ended first would leave the other every thread).
            if item < 2 {
                bothStarted.leave()
                XCTAssertEqual(bothStarted.wait(timeout: .now() + 30), .success)
            }
            let threads = CoreSharing.regionThreads
            seen.withLock { seen in seen[item, default: 0] += threads }
            if item < 2 {
                bothLooked.leave()
                XCTAssertEqual(bothLooked.wait(timeout: .now() + 30), .success)
            }
        }
        let threads = seen.withLock { $0 }
        XCTAssertEqual(threads.keys.sorted(), Array(0..<20), "every item once")
        XCTAssertEqual(threads[0], 2, "two jobs running: each region gets half of the 4 threads")
        XCTAssertEqual(threads[1], 2)
        XCTAssertEqual(CoreSharing.regionThreads, 4, "no job running: every thread again")
    }

    func testAfterAFailureNoNewItemStartsAndTheFailureIsThrown() {
        struct Failure: Error {}
        let started = Mutex<[Int]>([])
        let (secondStarted, failing) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
        XCTAssertThrowsError(try JobQueue.run(Array(0..<50), jobs: 2) { item in
            started.withLock { $0.append(item) }
            if item == 0 {  // fails once item 1 runs on the other thread
                secondStarted.wait()
                failing.signal()
                throw Failure()
            }
            if item == 1 {  // still running when item 0 fails; done well after the failure is recorded
                secondStarted.signal()
                failing.wait()
                Thread.sleep(forTimeInterval: 0.2)
            }
        }) { XCTAssertTrue($0 is Failure) }
        XCTAssertEqual(started.withLock { $0.sorted() }, [0, 1], "the running item finishes; no other starts")
        XCTAssertThrowsError(try JobQueue.run(Array(0..<5), jobs: 1) { item in
            started.withLock { $0.append(item) }
            if item == 2 { throw Failure() }
        })
        XCTAssertEqual(started.withLock { Array($0.suffix(3)) }, [0, 1, 2], "one at a time: in order, up to the failure")
    }

    func testANamedLockLetsOneThreadInAtATime() throws {
        let inside = Atomic<Int>(0), most = Atomic<Int>(0)
        try JobQueue.run(Array(0..<8), jobs: 4) { _ in
            NamedLock.withLock("a feature column") {
                let now = inside.add(1, ordering: .relaxed).newValue
                _ = most.max(now, ordering: .relaxed)
                Thread.sleep(forTimeInterval: 0.01)
                inside.subtract(1, ordering: .relaxed)
            }
        }
        XCTAssertEqual(most.load(ordering: .relaxed), 1)
    }

    func testAJobWaitingAtANamedLockLeavesItsThreadsToTheJobInside() throws {
        let saved = BLAS.threads
        defer { BLAS.threads = saved }
        BLAS.threads = 4
        let (holding, waiting, looked) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
        let seen = Mutex<(holder: Int, waiterInside: Int)>((0, 0))
        try JobQueue.run([0, 1], jobs: 2) { item in
            if item == 0 {
                NamedLock.withLock("a feature column") {
                    holding.signal()
                    // Both jobs are running now; item 1 is blocked at the lock soon after: from then on, this
                    // job has every thread (without the hand-over it keeps 2 and the wait times out).
                    XCTAssertEqual(waiting.wait(timeout: .now() + 30), .success)
                    let deadline = Date().addingTimeInterval(10)
                    while CoreSharing.regionThreads != 4 && Date() < deadline { Thread.sleep(forTimeInterval: 0.001) }
                    seen.withLock { $0.holder = CoreSharing.regionThreads }
                }
                XCTAssertEqual(looked.wait(timeout: .now() + 30), .success)
            } else {
                holding.wait()
                waiting.signal()
                NamedLock.withLock("a feature column") { seen.withLock { $0.waiterInside = CoreSharing.regionThreads } }
                looked.signal()
            }
        }
        let threads = seen.withLock { $0 }
        XCTAssertEqual(threads.holder, 4, "the other job waits at the lock: the job inside gets all 4 threads")
        XCTAssertEqual(threads.waiterInside, 2, "done waiting, the job counts again: half of the threads each")
        XCTAssertEqual(CoreSharing.regionThreads, 4, "no job running: every thread again")
    }

    func testThePartsOfAProgressReportAddUpAndShowTheirDetails() throws {
        let whole = ProgressReporter(label: "bench", total: 300, mode: .quiet)
        try JobQueue.run(Array(0..<3), jobs: 3) { item in
            whole.part { part in
                part.detail = "run \(item)"
                for step in 1...100 { part.update(step: step) }
            }
        }
        XCTAssertEqual(whole.shown.step, 300, "each part's 100 steps counted once")
        XCTAssertEqual(whole.shown.detail, "", "finished parts are no longer shown")
        whole.detail = "sweep"
        whole.part { part in
            part.detail = "raise @10% seed 1"
            XCTAssertEqual(whole.shown.detail, "sweep | raise @10% seed 1")
        }
    }
}
