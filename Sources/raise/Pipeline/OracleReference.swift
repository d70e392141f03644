// OracleReference: the benchmark's headroom — a seeded sample of the pool's own target-task records, which no
// selector may single out by where they came from. On the embedded suite those are the clean records the
// hidden tags mark (`target` = true, `noisy` = false); on real data, every pool record read from the target's
// own source file (`bench run --oracle-data FILE`: the GSM8K problems when the target is GSM8K). It is a
// reference for how good a subset can be, never a method.
import RaiseKit

/// Which pool records are the target task's own.
enum TargetRecords: Equatable {
    /// The embedded suite's hidden tags.
    case hiddenTags
    /// Every record read from this file (one of the pool's --data files).
    case source(file: String)

    /// Whether `record` belongs to the target task.
    func contains(_ record: InstructionRecord) -> Bool {
        switch self {
        case .hiddenTags: return record.hiddenTags["target"] == "true"
        case .source(let file): return record.source.file == file
        }
    }

    /// Whether `record` is one the oracle trains on: the target's, and not tagged noisy.
    func isClean(_ record: InstructionRecord) -> Bool {
        contains(record) && (self != .hiddenTags || record.hiddenTags["noisy"] == "false")
    }

    /// The target records of a pool: from `--oracle-data`, else the hidden tags when the pool carries them.
    static func of(_ records: [InstructionRecord], oracleData: String?) -> TargetRecords? {
        if let oracleData { return .source(file: oracleData) }
        return records.contains { $0.hiddenTags["target"] != nil && $0.hiddenTags["noisy"] != nil } ? .hiddenTags : nil
    }
}

/// Chooses the clean target-task records of a pool, once.
final class OracleReference: InstructionSelector {
    let mode = SelectionMode.once
    private let clean: [Int]
    private let seed: UInt64

    /// The reference for `records`.
    ///
    /// - Throws: `RaiseError.invalidArgument` naming the option when the pool has no way to tell its target
    ///   records (no tags, no `--oracle-data`) or none of them.
    init(records: [InstructionRecord], target: TargetRecords?, seed: UInt64) throws {
        guard let target else {
            throw RaiseError.invalidArgument(name: "--oracle", detail: "the pool has no hidden 'target'/'noisy' tags (only the embedded task suite has "
                                             + "them); on real data, name the target's own source with --oracle-data FILE")
        }
        clean = records.indices.filter { target.isClean(records[$0]) }
        guard !clean.isEmpty else {
            let name = if case .source(let file) = target { "--oracle-data \(file)" } else { "--oracle" }
            throw RaiseError.invalidArgument(name: name, detail: "the pool has no record of the target task")
        }
        self.seed = seed
    }

    /// A seeded sample of `count` clean target records, or all of them when there are fewer.
    func select(_ request: SelectionRequest) throws -> [Int] {
        var rng = RandomGenerator(seed: seed)
        return rng.sample(min(request.count, clean.count), of: clean.count).map { clean[$0] }
    }
}
