// ScoringOrder: how scoring passes batch examples — shortest first, 16 at a time. A batch pads to its
// longest example, so a pool in file order was half padding; and a batch's padded length moves its
// results by an ulp, so the models that score and the ranks that split a scoring pass share this one
// order: N ranks then form exactly the batches one process forms.

/// The order and size of scoring batches.
public enum ScoringOrder {
    /// Examples per scoring batch (and the block a scoring pass is split into across ranks).
    public static let batchSize = 16

    /// Positions of `examples`, shortest first, ties in input order (a stable sort: the same examples
    /// always form the same batches).
    public static func positions(_ examples: [TokenizedExample]) -> [Int] {
        examples.indices.sorted { (examples[$0].ids.count, $0) < (examples[$1].ids.count, $1) }
    }
}
