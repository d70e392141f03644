// RowJournal: how a long pass over the whole pool (LESS's gradients: one backward pass per pool example)
// survives a kill. The pass hands each pool row to the journal as it finishes it; the host saves the
// rows now and then and shows them as progress. When the same pass runs again, the journal holds the
// rows the killed run finished, and the pass takes them instead of computing them again.

/// The finished rows of a long pass over the pool, so that a killed run resumes after them.
public struct RowJournal {
    /// The rows an earlier run of the same pass finished, in pool order: one value per feature each.
    public let earlier: [[Float]]
    /// Takes each newly finished row (the one after the rows finished so far), in pool order.
    public let finish: ([Float]) -> Void

    /// A journal resuming after `earlier`, handing each new row to `finish`.
    public init(earlier: [[Float]] = [], finish: @escaping ([Float]) -> Void) {
        self.earlier = earlier
        self.finish = finish
    }
}
