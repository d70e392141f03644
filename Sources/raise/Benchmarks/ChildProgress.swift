// ChildProgress: a child `raise` run with --json, its standard error read line by line and shown as the
// parent's own — its progress events drawn by a reporter in the parent's output mode, its warnings and errors
// passed on at their level — so that `raise bench perf` shows the long benchmarks it runs as they go.
import Foundation
import RaiseKit

/// Shows a child's standard error (its lines given to `receive`) in the parent's output mode.
final class ChildProgress: @unchecked Sendable {  // its reporter is made and used under `lock` only
    private let label: String
    private let task: String
    private let mode: OutputMode
    private let lock = NSLock()
    private var reporter: ProgressReporter?
    /// When the child was started: its first step's rate counts from then.
    private let start = Date()

    /// Progress of the child doing `task` (its command words), shown under `label` in `mode`; made as the child starts.
    init(label: String, task: String, mode: OutputMode) {
        (self.label, self.task, self.mode) = (label, task, mode)
    }

    /// Shows one line of the child's standard error: a progress event as a step of this parent's reporter (made
    /// at the first, with the child's total and unit), a warning or an error as one of the parent's, any other
    /// line as it is.
    func receive(_ line: String) {
        guard let event = try? JSONValue.parse(line).objectValue, let kind = event["event"]?.stringValue else {
            Console.line(line)
            return
        }
        if let level = Console.Level(rawValue: kind) {
            Console(mode: mode).write(level, event["message"]?.stringValue ?? line)
            return
        }
        guard kind == "progress", let step = event["step"]?.intValue, let total = event["total"]?.intValue else { return }
        lock.withLock {
            let reporter = self.reporter ?? ProgressReporter(label: label, total: total, mode: mode, unit: event["unit"]?.stringValue ?? "step",
                                                            start: start)
            self.reporter = reporter
            reporter.detail = [task, event["run"]?.stringValue].compactMap { $0 }.joined(separator: ": ")
            reporter.update(step: step, metrics: event.keys.filter { !ChildProgress.eventFields.contains($0) }.compactMap { key in
                event[key]?.numberValue.map { (key, $0) }
            })
        }
    }

    /// A progress event's own fields; the rest are the child's metrics (a loss, a step time), shown as they are.
    private static let eventFields: Set<String> = ["event", "task", "step", "total", "unit", "run", "steps_per_s", "eta_s"]
}
