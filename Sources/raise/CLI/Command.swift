// Command: one entry of the `raise` command tree — the words that name it, its options, its help,
// and the function that runs it. `Host.commands` lists every command; help is rendered from it.
import RaiseKit

/// A runnable command such as `raise bench kernels`.
struct Command: Sendable {
    /// The words after `raise`: ["bench", "kernels"].
    let words: [String]
    /// One line for `raise --help`.
    let summary: String
    /// What follows the options in the usage line ("" for nothing).
    let arguments: String
    /// The options this command accepts (`--help` is added to every command).
    let options: [Option]
    /// Runs the command; returns the process exit code.
    let run: @Sendable (ParsedArguments) throws -> Int32

    var name: String { words.joined(separator: " ") }

    /// The usage text shown by `--help` and after a usage error.
    var usage: String {
        var text = "usage: raise \(name) [options]\(arguments.isEmpty ? "" : " " + arguments)\n\n\(summary)\n\noptions:\n"
        let all = options + [.flag("--help", "show this help")]
        let width = all.map { $0.name.count + ($0.value.map { $0.count + 1 } ?? 0) }.max() ?? 0
        for option in all {
            let left = option.name + (option.value.map { " " + $0 } ?? "")
            text += "  " + left.padding(toLength: width + 2, withPad: " ", startingAt: 0) + option.shownHelp + "\n"
        }
        return text
    }
}

/// The shared options of commands that report progress or results.
enum CommonOptions {
    static let json = Option.flag("--json", "machine-readable output: one JSON object per line")
    static let quiet = Option.flag("--quiet", "no progress on stderr")
    static let seed = Option.integer("--seed", "N", "random seed; the same seed gives the same result", default: 0, in: 0...Int.max)
    static let threads = Option.integer("--threads", "N", "threads for kernels and products (default: $RAISE_THREADS, else every core)",
                                        default: nil, in: 1...1024)
}

extension ParsedArguments {
    /// Sets the BLAS thread count from `--threads`, else from `RAISE_THREADS`, else every core.
    @discardableResult
    func configureThreads() throws -> Int {
        if string("--threads") != nil {
            BLAS.threads = try int("--threads")
            return BLAS.threads
        }
        return try BLAS.configureThreadsFromEnvironment()
    }

    /// The training budget option `name` (its declared default when absent); one that does not parse is a
    /// usage error (exit 2).
    func budget(_ name: String = "--budget") throws -> TrainingBudget {
        try budget(text: text(name), option: name)
    }

    /// The budget `text`, one value of option `option`; one that does not parse is a usage error.
    func budget(text: String, option: String) throws -> TrainingBudget {
        try asUsage(option) { try TrainingBudget(parsing: text) }
    }

    /// `budget` in steps for a pool; one that gives no step, or is not a whole number of batches, is a
    /// usage error of `option`.
    func steps(of budget: TrainingBudget, option: String = "--budget", poolSize: Int, batchSize: Int, meanTokens: Double) throws -> Int {
        try asUsage(option) { try budget.steps(poolSize: poolSize, batchSize: batchSize, meanTokensPerExample: meanTokens) }
    }

    /// Runs `body`, making its complaints about a budget usage errors of `option`.
    private func asUsage<T>(_ option: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch RaiseError.invalidArgument(let name, let detail) where name == "--budget" {
            throw UsageError(message: "\(option): \(detail)", usage: usage)
        }
    }

    /// The `--seed` value (default 0).
    func seed() throws -> UInt64 { UInt64(try int("--seed")) }

    /// The `--policy-check` episodes: 0 (no check) or at least 2, for a spread to compare the means by.
    func policyCheck() throws -> Int {
        let episodes = try int("--policy-check")
        guard episodes != 1 else {
            throw RaiseError.invalidArgument(name: "--policy-check", detail: "1 episode gives no spread to judge the trained policy by; use 0 (no check) or 2 or more")
        }
        return episodes
    }
}
