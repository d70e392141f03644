// Parallel: splits a loop over independent rows (or elements) across the same number of threads as
// BLAS uses (RAISE_THREADS / --threads). Each part is a contiguous range, so every row is computed
// by exactly the same code whatever the thread count; loops that sum across rows stay serial.
import Dispatch

/// Row-parallel loops.
enum Parallel {
    /// Runs `body` over `0..<count` in contiguous parts, one per thread, when each part would get at
    /// least `minimumPerPart` items; otherwise runs it once, on this thread.
    static func ranges(_ count: Int, minimumPerPart: Int, _ body: (Range<Int>) -> Void) {
        let parts = min(BLAS.threads, count / max(minimumPerPart, 1))
        guard parts > 1 else {
            body(0..<count)
            return
        }
        // The parts touch disjoint memory through raw pointers, which Swift cannot check: the box says so.
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                box.value(count * part / parts..<count * (part + 1) / parts)
            }
        }
    }
}

/// A value handed to other threads whose safety the caller guarantees (disjoint ranges).
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
