// `raise bench perf`: the performance benchmarks in one Markdown table — kernels against raw OpenBLAS,
// TinyGPT training and scoring against PyTorch, BPE encoding against HF tokenizers, and RAISE's
// selection overhead against a training step — each a ratio measured in one run against its peer.
// It runs each benchmark as a child `raise` process with --json (a peer that is not installed leaves
// its ratio empty) and gathers their lines, showing their progress as its own (ChildProgress).
import Foundation
import RaiseKit

/// The gathered performance table.
enum BenchPerfCommand {
    static let command = Command(
        words: ["bench", "perf"],
        summary: "every performance benchmark in one Markdown table of ratios against the installed peers",
        arguments: "",
        options: [.values("--data", "FILE", "text for the tokenizer benchmark (repeatable; default: none, which skips it)"),
                  .value("--vocab", "DIR", "GPT-2 encoder.json + vocab.bpe for the tokenizer benchmark"),
                  .text("--threads", "LIST", "thread counts for the training benchmark", default: "1,2"),
                  .integer("--repeats", "N", "timed blocks per side in the training benchmark", default: 5, in: 1...1000),
                  .value("--out", "FILE", "also write the table here"), OutputOptions.force, PluginOptions.pluginPath, CommonOptions.quiet],
        run: run)

    /// One benchmark: its command words, the JSON keys of our value and the peer's, and how to name them.
    private struct Benchmark {
        let words: [String]
        let value: String
        let reference: String
        let unit: String
        let peer: String
    }

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        try arguments.expectNoPositionals()
        if let out = arguments.string("--out") { try OutputOptions.claimFile(out, inputs: [], arguments: arguments) }
        let plugins = arguments.strings("--plugin-path").flatMap { ["--plugin-path", $0] }
        var benchmarks = [Benchmark(words: ["bench", "kernels"], value: "gflops", reference: "reference_gflops", unit: "GFLOP/s",
                                    peer: "cblas_sgemm")]
        for threads in arguments.text("--threads").split(separator: ",") {
            benchmarks.append(Benchmark(words: ["bench", "train", "--threads", String(threads), "--repeats", String(try arguments.int("--repeats"))]
                                        + plugins, value: "tokens_per_s",
                                        reference: "reference_tokens_per_s", unit: "tokens/s", peer: "PyTorch"))
        }
        if let vocab = arguments.string("--vocab"), !arguments.strings("--data").isEmpty {
            benchmarks.append(Benchmark(words: ["bench", "tokenizer", "--vocab", vocab] + arguments.strings("--data").flatMap { ["--data", $0] },
                                        value: "mb_per_s", reference: "reference_mb_per_s", unit: "MB/s", peer: "HF tokenizers"))
        }
        benchmarks.append(Benchmark(words: ["bench", "selection", "--threads", "1"] + plugins, value: "selection_ms",
                                    reference: "training_step_ms", unit: "ms/step (lower is better)", peer: "a training step"))

        var table = "| benchmark | case | raise | peer | peer value | ratio | GFLOP/s (share of sgemm) |\n|---|---|---|---|---|---|---|\n"
        var rateByThreads = [String: [Int: Double]]()  // training cases: tokens/s by thread count
        for benchmark in benchmarks {
            arguments.console.info("bench perf: raise \(benchmark.words.joined(separator: " "))")
            for object in try childLines(benchmark.words, mode: arguments.outputMode) {
                let name = object["case"]?.stringValue ?? "pool \(object["pool"]?.intValue ?? 0)"
                let ours = object[benchmark.value]?.numberValue.map { String(format: "%.4g %@", $0, benchmark.unit) } ?? "—"
                // A case that no peer runs (`"peer": null`) is not one whose peer is missing.
                let hasPeer = object["peer"] != .null
                let theirs = object[benchmark.reference]?.numberValue.map { String(format: "%.4g", $0) } ?? (hasPeer ? "not installed" : "—")
                let ratio = object["ratio"]?.numberValue.map { String(format: "%.3f", $0) } ?? "—"
                let limit = object["sgemm_share"]?.numberValue.flatMap { share in
                    object["gflops"]?.numberValue.map { String(format: "%.1f (%.0f%%)", $0, 100 * share) }
                } ?? "—"
                let peer = object["peer"]?.stringValue ?? (hasPeer ? benchmark.peer : "none")
                table += "| \(benchmark.words[1]) | \(name) | \(ours) | \(peer) | \(theirs) | \(ratio) | \(limit) |\n"
                if benchmark.words[1] == "train", let rate = object["tokens_per_s"]?.numberValue,
                   let suffix = name.range(of: #"-(\d+)thread$"#, options: .regularExpression),
                   let threads = Int(name[suffix].dropFirst().dropLast(6)) {
                    rateByThreads[String(name[..<suffix.lowerBound]), default: [:]][threads] = rate
                }
            }
        }
        table += threadScaling(rateByThreads)
        let environment = BenchRunCommand.environment().map { "\($0.0) \($0.1)" }.joined(separator: "; ")
        let report = "# Performance\n\nEach ratio is measured in one run, the two sides interleaved (\(environment)).\n\n" + table
        if let out = arguments.string("--out") { try AtomicFile.write(report, to: out) }
        print(report, terminator: "")
        return ExitCode.success
    }

    /// The gain of each training case from one thread to the most measured (target ≥ 1.7 at 2 threads on
    /// a quiet machine), as a second table; empty unless a case was measured at 1 thread and at more.
    private static func threadScaling(_ rates: [String: [Int: Double]]) -> String {
        let rows = rates.keys.sorted().compactMap { name -> String? in
            guard let one = rates[name]?[1], let (threads, rate) = rates[name]?.max(by: { $0.key < $1.key }), threads > 1 else { return nil }
            return "| \(name) | \(String(format: "%.4g", one)) | \(String(format: "%.4g", rate)) at \(threads) | \(String(format: "%.2f", rate / one))× |\n"
        }
        guard !rows.isEmpty else { return "" }
        return "\nThread scaling (tokens/s):\n\n| case | 1 thread | more threads | gain |\n|---|---|---|---|\n" + rows.joined()
    }

    /// The JSON lines a child `raise` prints for `words` run with --json, its progress shown as this command's in `mode`.
    ///
    /// - Throws: `RaiseError.invalidArgument` naming the benchmark when it fails.
    private static func childLines(_ words: [String], mode: OutputMode) throws -> [JSONObject] {
        let progress = ChildProgress(label: "bench perf", task: "raise " + words.joined(separator: " "), mode: mode)
        let child = try Subprocess.run(PluginOptions.executablePath, words + ["--json"], errorStream: .lines(progress.receive))
        guard child.status == 0 else {
            throw RaiseError.invalidArgument(name: "bench perf", detail: "raise \(words.joined(separator: " ")) --json failed with status \(child.status)")
        }
        return child.output.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)).objectValue }
    }
}
