// Progress: how long-running work reports on stderr — a line with step, metrics, rate and ETA for
// people (redrawn in place at most a few times a second on a terminal; a new line every few seconds when
// stderr is a file or a pipe, so a log stays readable), one JSON object per report for machines, or nothing.
import Foundation

/// How a command reports progress and results.
public enum OutputMode: Sendable {
    /// Human-readable progress on stderr.
    case human
    /// No progress at all.
    case quiet
    /// One JSON object per line.
    case json
}

/// Reports the progress of a loop of `total` steps on stderr: a line redrawn at most four times a second
/// on a terminal, or written anew every `logInterval` seconds elsewhere; or a JSON object at most once a
/// second (and always for the last step). Loops running at once on several threads report through parts
/// of one reporter (`part`), whose steps add up. A loop whose steps cost unequally counts in a unit of
/// equal cost instead (the tokens of a pass over examples sorted by length), so that its ETA holds.
public final class ProgressReporter: @unchecked Sendable {  // its mutable state changes under `lock` only
    private let label: String
    private let total: Int
    /// What a step is, in the singular: "step", or "token", "answer".
    private let unit: String
    private let mode: OutputMode
    private let completed: Int
    private let start: Date
    private let lock = NSLock()
    private var lastDraw = Date.distantPast
    /// The first step this process reported, and when. The rate is measured from it: the pause before it
    /// (loading, the features a benchmark scores before its first step) does not count, while the pauses
    /// that recur between steps (evaluations, each benchmark run's preparation) do, in proportion.
    private var firstReport: (time: Date, step: Int)?
    /// The last step reported: of the whole loop, or, for a part, of the part's own.
    private var step = 0
    /// The reporter a part adds its steps to (nil for a whole one).
    private let whole: ProgressReporter?
    /// The parts running now, in the order they started.
    private var parts: [ProgressReporter] = []
    private var ownDetail = ""
    /// What is being worked on now (shown after the label, with the running parts' own; `run` in JSON),
    /// e.g. the run of a benchmark.
    public var detail: String {
        get { lock.withLock { ownDetail } }
        set { lock.withLock { ownDetail = newValue } }
    }
    /// Whether stderr is a terminal, where the line is redrawn in place.
    private let interactive = isatty(STDERR_FILENO) != 0
    /// Seconds between lines when stderr is not a terminal.
    static let logInterval: TimeInterval = 5

    /// A reporter for `total` steps named `label`, each a `unit` ("step", "token", …); `completed` steps were done
    /// before (a resumed run), so the rate and ETA count only the steps done now. The work began at `start` (now,
    /// unless it began before the reporter could be made: a child process's, whose total its first report gives).
    public init(label: String, total: Int, mode: OutputMode, completed: Int = 0, unit: String = "step", start: Date = Date()) {
        self.label = label
        self.start = start
        self.total = total
        self.unit = unit
        self.mode = mode
        self.completed = completed
        step = completed
        whole = nil
    }

    private init(partOf whole: ProgressReporter) {
        (label, total, unit, mode, completed, start) = (whole.label, whole.total, whole.unit, whole.mode, 0, Date())
        self.whole = whole
    }

    /// Runs `body` with a part of this reporter, for one of several loops running at once under it: the part
    /// counts its own steps from 0, each `update` adding the steps done since its last to this reporter's,
    /// and its `detail` is shown beside the other running parts' until `body` returns.
    public func part<T>(_ body: (ProgressReporter) throws -> T) rethrows -> T {
        let part = ProgressReporter(partOf: self)
        lock.withLock { parts.append(part) }
        defer { lock.withLock { parts.removeAll { $0 === part } } }
        return try body(part)
    }

    /// Reports that `step` (1-based) of `total` is done, with named metrics such as the loss; for a part,
    /// that `step` of its own loop is done.
    public func update(step: Int, metrics: [(String, Double)] = []) {
        if let whole {
            let done = lock.withLock { defer { self.step = step }; return step - self.step }
            whole.lock.withLock { whole.report(step: whole.step + done, metrics: metrics) }
        } else {
            lock.withLock { report(step: step, metrics: metrics) }
        }
    }

    /// The steps done, and the detail a line would show now: this reporter's own and its running parts'.
    var shown: (step: Int, detail: String) { lock.withLock { (step, lineDetail) } }

    /// The detail of a line (under `lock`).
    private var lineDetail: String { ([ownDetail] + parts.map(\.detail)).filter { !$0.isEmpty }.joined(separator: " | ") }

    /// Draws `step` (under `lock`).
    private func report(step: Int, metrics: [(String, Double)]) {
        self.step = step
        let now = Date()
        let detail = lineDetail
        switch mode {
        case .quiet:
            return
        case .json:
            guard step == total || now.timeIntervalSince(lastDraw) >= 1 else { return }
            lastDraw = now
            let (rate, remaining) = pace(step: step, now: now)
            var object = JSONObject([("event", .string("progress")), ("task", .string(label)),
                                     ("step", .number(Double(step))), ("total", .number(Double(total))), ("unit", .string(unit))])
            if !detail.isEmpty { object["run"] = .string(detail) }
            for (name, value) in metrics { object[name] = .number(value) }
            object["steps_per_s"] = .number((rate * 10_000).rounded() / 10_000)
            object["eta_s"] = .number((remaining * 10).rounded() / 10)
            Self.writeLine(JSONValue.object(object).serialized)
        case .human:
            let interval = interactive ? 0.25 : Self.logInterval
            guard step == total || now.timeIntervalSince(lastDraw) >= interval else { return }
            lastDraw = now
            let (rate, remaining) = pace(step: step, now: now)
            let values = metrics.map { "\($0.0) \(String(format: abs($0.1) >= 100 ? "%.0f" : "%.4f", $0.1))" }.joined(separator: "  ")
            let line = "\(label)\(detail.isEmpty ? "" : " [\(detail)]"): \(unit) \(step)/\(total)  \(values)  \(Self.rateText(rate, unit: unit))  "
                + "ETA \(Self.duration(remaining))"
            FileHandle.standardError.write(Data(((interactive ? "\r" : "") + line + (step == total || !interactive ? "\n" : "")).utf8))
        }
    }

    /// Steps per second and seconds left: since the first step this process reported once that is a
    /// second ago, else since the start.
    func pace(step: Int, now: Date) -> (rate: Double, remaining: Double) {
        let first = firstReport ?? (now, step)
        firstReport = first
        let span = now.timeIntervalSince(first.time)
        let rate = span >= 1 && step > first.step
            ? Double(step - first.step) / span
            : Double(step - completed) / max(now.timeIntervalSince(start), 1e-9)
        return (rate, Double(total - step) / max(rate, 1e-9))
    }

    /// A rate as people read it: "2.5 steps/s", or "16.0 s/step" when a step takes longer than a second.
    static func rateText(_ stepsPerSecond: Double, unit: String = "step") -> String {
        if stepsPerSecond >= 1 || stepsPerSecond <= 0 { return String(format: "%.1f \(unit)s/s", stepsPerSecond) }
        return String(format: "%.1f s/\(unit)", 1 / stepsPerSecond)
    }

    /// Seconds as "1h02m", "3m05s" or "12s".
    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) }
        if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return "\(s)s"
    }

    private static func writeLine(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
