// `raise bench kernels`: the runtime's matmul (shape checks, its own split over threads, then cblas_sgemm)
// against a direct cblas_sgemm call on the same buffers with OpenBLAS threading it itself. The sides take
// turns in rounds — a block of runtime calls, then a block of direct ones — and each case reports the median
// over rounds of each block's median, so a noisy machine slows both alike. Before each round the process
// sleeps a moment: after a threaded call OpenBLAS's worker threads spin for a while before they sleep, and
// a runtime block started then would share its cores with them (measured: both sides at half rate when
// calls alternate one by one). The ratio is the runtime's overhead; target ≥ 0.95. The header names the
// kernel set OpenBLAS runs (the host moves to the strongest the CPU has: KernelRestart).
import Foundation
import RaiseKit

/// The kernel benchmark.
enum BenchKernelsCommand {
    static let command = Command(
        words: ["bench", "kernels"],
        summary: "time the runtime's matmul against a direct cblas_sgemm call (ratio target ≥ 0.95)",
        arguments: "",
        options: [CommonOptions.json, CommonOptions.threads,
                  .integer("--rounds", "N", "rounds per case, each a block of calls per side", default: 5, in: 1...1000),
                  .integer("--repeats", "N", "calls per block (default: about 0.1 s of work)", default: nil, in: 1...100_000)],
        run: run)

    /// A product C (M, N) = A (M, K) · B (K, N).
    struct Case {
        let name: String
        let m: Int, k: Int, n: Int
        var flops: Double { 2 * Double(m) * Double(k) * Double(n) }
    }

    static let cases = [
        Case(name: "square-256", m: 256, k: 256, n: 256),
        Case(name: "square-512", m: 512, k: 512, n: 512),
        Case(name: "square-1024", m: 1024, k: 1024, n: 1024),
        Case(name: "transformer-2048x128x512", m: 2048, k: 128, n: 512),
    ]

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        try arguments.expectNoPositionals()
        let threads = try arguments.configureThreads()
        let fixedRepeats = arguments.string("--repeats") == nil ? nil : try arguments.int("--repeats")
        let rounds = try arguments.int("--rounds")
        let json = arguments.outputMode == .json
        if !json {
            print("matmul: runtime vs direct cblas_sgemm, \(threads) thread(s), medians of \(rounds) rounds, OpenBLAS kernels \(BLAS.coreName)")
            print("case                         GFLOP/s   reference   ratio")
        }
        var rng = RandomGenerator(seed: 1)
        for c in cases {
            let a = Tensor(randomUniform: [c.m, c.k], low: -1, high: 1, rng: &rng)
            let b = Tensor(randomUniform: [c.k, c.n], low: -1, high: 1, rng: &rng)
            let out = Tensor(zeros: [c.m, c.n])
            let runtime = { a.matmul(b, into: out) }
            let reference = { BLAS.directSgemm(out.data, a.data, b.data, m: c.m, n: c.n, k: c.k) }
            for _ in 0..<2 { runtime(); reference() }  // warm caches and the BLAS thread pool
            let repeats = fixedRepeats ?? max(3, min(100, Int(0.1 / max(Timing.seconds(reference), 1e-6))))
            var runtimeTimes = [Double](), referenceTimes = [Double]()
            for _ in 0..<rounds {
                usleep(300_000)  // OpenBLAS's threads go back to sleep
                runtimeTimes.append(Timing.median((0..<repeats).map { _ in Timing.seconds(runtime) }))
                referenceTimes.append(Timing.median((0..<repeats).map { _ in Timing.seconds(reference) }))
            }
            let gflops = c.flops / Timing.median(runtimeTimes) / 1e9
            let referenceGflops = c.flops / Timing.median(referenceTimes) / 1e9
            let ratio = gflops / referenceGflops
            if json {
                let object = JSONObject([
                    ("case", .string(c.name)), ("gflops", .number(Timing.rounded(gflops, 2))),
                    ("reference_gflops", .number(Timing.rounded(referenceGflops, 2))), ("ratio", .number(Timing.rounded(ratio, 3))),
                    ("threads", .number(Double(threads))), ("kernels", .string(BLAS.coreName)), ("rounds", .number(Double(rounds))), ("repeats", .number(Double(repeats))),
                ])
                print(JSONValue.object(object).serialized)
            } else {
                print(c.name.padding(toLength: 27, withPad: " ", startingAt: 0)
                      + String(format: "%9.1f %11.1f %7.3f", gflops, referenceGflops, ratio))
            }
        }
        return ExitCode.success
    }
}
