// CoreSharing: independent jobs that one process runs at once (a benchmark's runs under `bench run
// --jobs`) share the threads. While n jobs run, a parallel region uses `BLAS.threads / n` threads, so
// two jobs on a two-core machine each keep one core instead of both fighting for two (small models
// scale poorly over threads: the demo's TinyGPT runs 1.4× faster on two threads than on one, while
// two one-thread jobs side by side do twice the work); the last job left gets every thread back.
// Only one region runs on the shared workers at a time: a region that finds them taken runs on its
// own thread (`Parallel`). A job blocked on another's work (`NamedLock`: a feature column, a RAISE policy
// that one job computes while the others wait) leaves the count while it waits, so the job computing gets
// its threads. No result changes: every kernel computes the same bits at any thread count up to the
// machine's cores (`BLAS.gemm` cuts products by the machine, not by the threads).
import Synchronization

/// The jobs running at once, and the threads each region may use meanwhile.
public enum CoreSharing {
    private static let running = Atomic<Int>(0)
    /// Whether this thread runs a job (bound per thread by `asJob`).
    @TaskLocal private static var inJob = false

    /// Runs `body` as one of the jobs sharing the threads, counted from its start to its end.
    public static func asJob<T>(_ body: () throws -> T) rethrows -> T {
        running.add(1, ordering: .relaxed)
        defer { running.subtract(1, ordering: .relaxed) }
        return try $inJob.withValue(true) { try body() }
    }

    /// Runs `wait`, a blocking wait for another job's work, with this thread's job out of the count meanwhile
    /// (outside a job, just runs it).
    public static func whileWaiting<T>(_ wait: () throws -> T) rethrows -> T {
        guard inJob else { return try wait() }
        running.subtract(1, ordering: .relaxed)
        defer { running.add(1, ordering: .relaxed) }
        return try wait()
    }

    /// The threads a parallel region may use now: `BLAS.threads`, divided among the running jobs.
    static var regionThreads: Int {
        max(1, BLAS.threads / max(1, running.load(ordering: .relaxed)))
    }
}
