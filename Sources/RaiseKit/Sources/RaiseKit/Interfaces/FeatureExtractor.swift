// FeatureExtractor: what a feature plugin (kind `feature`) makes — per-example numbers such as
// lengths, losses under a model, IFD or embeddings, which selectors and the RAISE state read.
//
// Contract. `extract` is called with the whole pool (or a shard of it) and the model to score with, if
// the extractor needs one; it returns one row per example in input order. Not thread-safe. Errors are
// thrown as `RaiseError` (e.g. a required model is missing).

/// Computes named per-example features.
public protocol FeatureExtractor: AnyObject {
    /// The names of the columns `extract` returns, in order ("instruction_tokens", "loss", …).
    var featureNames: [String] { get }

    /// Whether each row depends on its own example alone (lengths, losses, IFD), so that a pool can be
    /// scored in chunks and a killed run resumed; false when rows depend on the whole pool (PCA, k-means).
    var isRowwise: Bool { get }

    /// Whether the columns change with the run's seed (k-means, a seeded pre-experienced step). Columns
    /// that do not (losses, lengths) are cached once for every seed.
    var dependsOnSeed: Bool { get }

    /// The features of each example.   examples (N) -> (N, F), F = featureNames.count
    func extract(_ examples: [TokenizedExample], model: (any LanguageModel)?) throws -> Tensor
}

extension FeatureExtractor {
    /// Rows depend on the whole pool, unless an extractor says otherwise.
    public var isRowwise: Bool { false }

    /// Columns may depend on the seed, unless an extractor says otherwise (the safe default for the cache).
    public var dependsOnSeed: Bool { true }
}

/// A feature extractor that measures each pool example against the target task: it needs the target's
/// validation examples as well (`--val`), tokenized for the same model. Its columns are cached with the
/// target's fingerprint, so another validation split misses the cache.
public protocol TargetFeatureExtractor: FeatureExtractor {
    /// The features of each pool example, measured against `target`. An extractor whose pass goes row by row
    /// and is long (one backward pass per example, for LESS) takes `journal`'s earlier rows as they are and
    /// hands it every row it finishes after them, in order, so that the host can save them and show progress;
    /// a pass that cannot go row by row ignores the journal.   examples (N), target (M) -> (N, F)
    func extract(_ examples: [TokenizedExample], target: [TokenizedExample], model: (any LanguageModel)?,
                 journal: RowJournal?) throws -> Tensor
}

extension TargetFeatureExtractor {
    /// The features of each pool example, measured against `target`, in one pass without a journal.
    public func extract(_ examples: [TokenizedExample], target: [TokenizedExample], model: (any LanguageModel)?) throws -> Tensor {
        try extract(examples, target: target, model: model, journal: nil)
    }

    /// Without a target there is nothing to measure against.
    public func extract(_ examples: [TokenizedExample], model: (any LanguageModel)?) throws -> Tensor {
        throw RaiseError.invalidArgument(name: String(describing: Self.self), detail: "needs the target's validation split (--val FILE)")
    }
}
