// Parallel: splits a loop over independent rows (or elements) across the same number of threads as
// BLAS uses (RAISE_THREADS / --threads; a share of them while several jobs run at once, `CoreSharing`).
// Each part is a contiguous range, so every row is computed by exactly the same code whatever the thread
// count; loops that sum across rows stay serial.
//
// The parts run on RaiseKit's own workers (`WorkerPool`), not on Dispatch: a model step is hundreds of
// short parallel regions (tens to hundreds of microseconds each), and waking a parked Dispatch worker for
// each costs about as much as the region itself (measured: two 86 µs halves took 247 µs with
// concurrentPerform, 173 µs one after the other on one thread). A worker spins a moment after its part,
// as OpenBLAS's do, so the next region starts at once, and sleeps when no work comes.
import Foundation
import Synchronization

/// Row-parallel loops.
enum Parallel {
    /// The fewest elements of a plain elementwise loop worth a thread of their own.
    static let elementsPerPart = 16_384

    /// Runs `body` over `0..<count` in contiguous parts, one per thread, when each part would get at
    /// least `minimumPerPart` items; otherwise runs it once, on this thread. A region started while
    /// another runs (a parallel loop inside a parallel loop, or another thread's) runs on this thread.
    static func ranges(_ count: Int, minimumPerPart: Int, _ body: (Range<Int>) -> Void) {
        let parts = min(CoreSharing.regionThreads, count / max(minimumPerPart, 1))
        guard parts > 1, WorkerPool.shared.claim() else {
            body(0..<count)
            return
        }
        // The parts touch disjoint memory through raw pointers, which Swift cannot check: the pool's
        // caller guarantees it.
        withoutActuallyEscaping(body) { body in
            WorkerPool.shared.run(parts: parts) { part in body(count * part / parts..<count * (part + 1) / parts) }
        }
    }

    /// Sets `count` floats from `start` to `value`, a part per thread when the buffer is large (a model's
    /// gradient, a gradient accumulator).
    static func fill(_ start: UnsafeMutablePointer<Float>, count: Int, with value: Float) {
        ranges(count, minimumPerPart: 1 << 16) { part in (start + part.lowerBound).update(repeating: value, count: part.count) }
    }

    /// Runs `body(part)` for every part in `0..<count`, the parts spread over the threads in contiguous
    /// runs (all on this thread when there is one thread or a region is already running). Unlike
    /// `ranges`, the parts are the caller's and do not change with the thread count.
    static func parts(_ count: Int, _ body: (Int) -> Void) {
        let threads = min(CoreSharing.regionThreads, count)
        guard threads > 1, WorkerPool.shared.claim() else {
            for part in 0..<count { body(part) }
            return
        }
        withoutActuallyEscaping(body) { body in
            WorkerPool.shared.run(parts: threads) { thread in
                for part in count * thread / threads..<count * (thread + 1) / threads { body(part) }
            }
        }
    }
}

/// Threads that run the parts of one parallel region at a time: part 0 on the caller, part i on worker
/// i − 1. A region is published by bumping `generation`; every worker runs its part (if the region has
/// one for it) and counts down `remaining`; the caller waits for zero, so no worker can still be reading
/// a region when the next is published. Idle workers spin for `spinLimit`, then sleep, each on a semaphore
/// of its own (`Parking`).
final class WorkerPool: @unchecked Sendable {
    /// The pool every parallel loop uses.
    static let shared = WorkerPool()

    /// How long an idle worker waits for the next region before it sleeps.
    private static let spinLimit: UInt64 = 2_000_000  // nanoseconds

    private let busy = Atomic<Bool>(false)
    private let generation = Atomic<Int>(0)
    private let remaining = Atomic<Int>(0)
    private let lock = NSLock()
    /// One per worker, in worker order; grown under `lock`, read by the caller of a region.
    private var parkings: [Parking] = []
    /// The region being run: its part count and body. Written before `generation` is bumped (release),
    /// read after it is seen (acquire).
    private nonisolated(unsafe) var job: (parts: Int, body: (Int) -> Void) = (0, { _ in })

    /// Takes the pool for one region; false when a region is already running.
    func claim() -> Bool {
        busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    }

    /// Runs `body(part)` for every part in `0..<parts`, part 0 here, and returns when all are done; then
    /// releases the claim.
    func run(parts: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            let workers = startWorkers(parts - 1)
            job = (parts, body)
            remaining.store(workers.count, ordering: .relaxed)
            // Sequentially consistent, as the worker's side below: it announces itself asleep, then reads
            // `generation`; this bumps `generation`, then reads each worker's flag — one of the two sees the other.
            generation.add(1, ordering: .sequentiallyConsistent)
            for parking in workers where parking.asleep.exchange(false, ordering: .sequentiallyConsistent) { parking.wake.signal() }
            body(0)
            var spins = 0
            while remaining.load(ordering: .acquiring) > 0 {
                spins += 1
                if spins > 1000 { sched_yield() }
            }
            job = (0, { _ in })
        }
        busy.store(false, ordering: .releasing)
    }

    /// Makes sure `count` workers exist; returns every worker's parking (there may be more than `count`).
    private func startWorkers(_ count: Int) -> [Parking] {
        lock.lock()
        defer { lock.unlock() }
        while parkings.count < count {
            let (index, seen, parking) = (parkings.count, generation.load(ordering: .acquiring), Parking())
            let thread = Thread { [self] in work(index: index, seen: seen, parking: parking) }
            thread.stackSize = 8 << 20
            thread.start()
            parkings.append(parking)
        }
        return parkings
    }

    /// Where an idle worker sleeps. A semaphore per worker: with one shared by all, a worker that woke late
    /// could find its wake-up taken by another that had already run the region and gone back to sleep, and
    /// the region would wait for it forever.
    private final class Parking: Sendable {
        /// Set by the worker before it sleeps; cleared by the caller that wakes it.
        let asleep = Atomic<Bool>(false)
        let wake = DispatchSemaphore(value: 0)
    }

    /// A worker's life: wait for a new region, run part `index + 1` of it if it has one, repeat.
    private func work(index: Int, seen start: Int, parking: Parking) {
        var seen = start
        while true {
            let deadline = DispatchTime.now().uptimeNanoseconds + WorkerPool.spinLimit
            var current = generation.load(ordering: .acquiring)
            var spins = 0
            while current == seen {
                spins += 1
                if spins % 1024 == 0 {
                    sched_yield()  // on a busy machine, let another thread have this core a moment
                    if DispatchTime.now().uptimeNanoseconds > deadline {
                        parking.asleep.store(true, ordering: .sequentiallyConsistent)
                        if generation.load(ordering: .sequentiallyConsistent) == seen { parking.wake.wait() }  // a spare signal only wakes it early
                        spins = 0
                    }
                }
                current = generation.load(ordering: .acquiring)
            }
            seen = current
            do {  // the region's body is let go before the caller is told, which then ends its borrow of it
                let (parts, body) = job
                if index + 1 < parts { body(index + 1) }
            }
            remaining.subtract(1, ordering: .releasing)
        }
    }
}
