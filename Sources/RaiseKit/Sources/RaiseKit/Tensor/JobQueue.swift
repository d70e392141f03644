// JobQueue: independent work items on several threads at once — a benchmark's runs under `bench run
// --jobs N`, each training its own copy of the base model from its own seed. Each thread takes the next
// item in the given order and runs it as one of the jobs that share the cores (`CoreSharing`), so every
// item computes what it would alone, bit for bit.
import Foundation
import Synchronization

/// Work items run on up to `jobs` threads.
public enum JobQueue {
    /// Runs `work` for every item, in order on this thread when `jobs` is 1, else on `jobs` threads that
    /// each take the next item. After an error no new item starts; the first error is thrown once the
    /// items already running are done (their results saved by `work`).
    public static func run<Item: Sendable>(_ items: [Item], jobs: Int, _ work: @escaping @Sendable (Item) throws -> Void) throws {
        guard jobs > 1, items.count > 1 else {
            for item in items { try work(item) }
            return
        }
        let state = Mutex<(next: Int, failure: (any Error)?)>((0, nil))
        let finished = DispatchGroup()
        for _ in 0..<min(jobs, items.count) {
            finished.enter()
            let thread = Thread {
                while let item = state.withLock({ state -> Item? in
                    guard state.failure == nil, state.next < items.count else { return nil }
                    state.next += 1
                    return items[state.next - 1]
                }) {
                    do {
                        try CoreSharing.asJob { try work(item) }
                    } catch {
                        state.withLock { state in state.failure = state.failure ?? error }
                    }
                }
                finished.leave()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        finished.wait()
        if let failure = state.withLock({ $0.failure }) { throw failure }
    }
}
