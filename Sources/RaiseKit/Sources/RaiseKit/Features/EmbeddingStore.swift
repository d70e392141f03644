// EmbeddingStore: the embeddings of a model that embeds each example alone (`embedsEachExampleAlone`:
// MiniLM), kept in the feature cache example by example, so that a pool embedded once is not embedded
// again when it comes back in another pool (the real targets' pools share 2,100 records) or against
// another validation split (target similarity's column is keyed by the split, its pool embeddings are
// not). An example's row has the same bits in any call for such a model, so a row read back is the row
// a fresh pass would give. Every other model's embeddings go straight to the model: their rows depend on
// the call's padding by an ulp. Threads of one process add to the store under a lock; of two processes
// saving at once the later wins, and the rows only the other held are embedded again when next asked.
import Foundation

/// Per-example embeddings of one model state, in the feature cache (one entry per model state and backend version).
public struct EmbeddingStore: Sendable {
    let cache: FeatureCache
    /// The version of the backend whose models it keeps rows of: another version's rows are not served.
    let backendVersion: String

    /// A store in `cache`'s folder (bounded with its other entries) for models of a backend at `backendVersion`.
    public init(cache: FeatureCache, backendVersion: String) { (self.cache, self.backendVersion) = (cache, backendVersion) }

    /// The embeddings of `examples` under `model`: the rows kept for them, and `compute` of the others
    /// (each example at most once), which are kept in turn. A model that does not embed each example
    /// alone is `compute`d over every example, and nothing is kept.   examples (N) -> (N, C)
    public func embeddings(_ model: any LanguageModel, _ examples: [TokenizedExample],
                           compute: (_ missing: [TokenizedExample]) throws -> Tensor) throws -> Tensor {
        guard model.embedsEachExampleAlone else { return try compute(examples) }
        let key = FeatureCache.key(spec: "embedding store", fingerprint: FeatureCache.fingerprint(of: model)
                                   ^ FeatureCache.versionFingerprint(backendVersion))
        let names = examples.map { String(FeatureCache.fingerprint(model: nil, examples: [$0]), radix: 16) }
        let lockName = "embedding store " + key  // reading and adding to the entry, one thread at a time
        var rows = NamedLock.withLock(lockName) { cache.load(key: key) ?? [:] }
        var missing = [TokenizedExample](), missingNames = [String](), seen = Set<String>()
        for (example, name) in zip(examples, names) where rows[name] == nil && seen.insert(name).inserted {
            missing.append(example)
            missingNames.append(name)
        }
        let width = model.embeddingWidth
        if !missing.isEmpty {
            let computed = try compute(missing)  // (M, C)
            for (i, name) in missingNames.enumerated() { rows[name] = (0..<width).map { computed.data[i * width + $0] } }
            // Rows another thread kept meanwhile are kept too.
            NamedLock.withLock(lockName) {
                var kept = cache.load(key: key) ?? [:]
                for name in missingNames { kept[name] = rows[name] }
                cache.save(kept, key: key)
            }
        }
        return Tensor(shape: [examples.count, width], values: names.flatMap { rows[$0]! })
    }
}
