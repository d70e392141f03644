// OracleReference: the benchmark's headroom — the pool's clean target-task records, read from the
// hidden tags (`target` = true, `noisy` = false) that no selector may read. It is a reference for
// how good a subset can be, never a method, and data without those tags cannot have it.
import RaiseKit

/// Chooses the clean target-task records of a tagged pool, once.
final class OracleReference: InstructionSelector {
    let mode = SelectionMode.once
    private let clean: [Int]
    private let seed: UInt64

    /// The reference for `records`.
    ///
    /// - Throws: `RaiseError.invalidArgument` when the records carry no `target`/`noisy` tags or no clean
    ///   target record.
    init(records: [InstructionRecord], seed: UInt64) throws {
        guard records.contains(where: { $0.hiddenTags["target"] != nil && $0.hiddenTags["noisy"] != nil }) else {
            throw RaiseError.invalidArgument(name: "--oracle", detail: "the pool has no hidden 'target'/'noisy' tags (only the embedded task suite has them)")
        }
        clean = records.indices.filter { records[$0].hiddenTags["target"] == "true" && records[$0].hiddenTags["noisy"] == "false" }
        guard !clean.isEmpty else { throw RaiseError.invalidArgument(name: "--oracle", detail: "the pool has no clean target-task record") }
        self.seed = seed
    }

    /// A seeded sample of `count` clean target records, or all of them when there are fewer.
    func select(_ request: SelectionRequest) throws -> [Int] {
        var rng = RandomGenerator(seed: seed)
        return rng.sample(min(request.count, clean.count), of: clean.count).map { clean[$0] }
    }
}
