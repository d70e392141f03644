// FeaturePipeline: computing the feature columns a selector (or `raise score`) asks for over a pool —
// each with the model it names, read from the feature cache when the same model, pool and settings were
// scored before, otherwise scored (row-wise extractors in resumable chunks), shared across the ranks of
// an MPI job, and saved to the cache. It takes typed inputs only: the command line is the host's business.
import Foundation

/// The feature columns of a pool, computed with the right model, cached and resumable.
public final class FeaturePipeline {
    /// The models features are computed with.
    public struct Models {
        /// The model being trained: the pool's examples are tokenized for it.
        public let trained: any LanguageModel
        /// The auxiliary model of difficulty features (losses, IFD, lengths).
        public let auxiliary: any LanguageModel
        /// The model of semantic features (feature.embedding, feature.cluster, feature.target-similarity).
        public let embedding: any LanguageModel
        /// The model of LESS's per-example gradients (feature.gradient).
        public let gradient: any LanguageModel
        /// The model of features written `reference:SPEC` (RHO-LOSS's irreducible loss), if any.
        public let reference: (any LanguageModel)?

        /// Models for features; the auxiliary model defaults to the trained one, the embedding and gradient
        /// models to the auxiliary one.
        public init(trained: any LanguageModel, auxiliary: (any LanguageModel)? = nil, embedding: (any LanguageModel)? = nil,
                    gradient: (any LanguageModel)? = nil, reference: (any LanguageModel)? = nil) {
            self.trained = trained
            self.auxiliary = auxiliary ?? trained
            self.embedding = embedding ?? auxiliary ?? trained
            self.gradient = gradient ?? auxiliary ?? trained
            self.reference = reference
        }
    }

    /// Rows per saved chunk when a row-wise feature is scored resumably (small enough that a large model
    /// shows progress and loses little work to a kill; large enough to keep every core busy).
    public static let chunk = 256
    /// Rows between two saves of a row-by-row target-aware pass (LESS: a backward pass each, seconds
    /// apiece on a large model).
    public static let journalRows = 32
    /// The prefix of a spec scored with the reference model, and of its columns.
    public static let referencePrefix = "reference:"

    let registry: PluginRegistry
    /// The models features are computed with.
    public let models: Models
    /// The target task's validation split, which target-aware features (`TargetFeatureExtractor`) measure
    /// the pool against; nil when the command has none.
    public let target: Pool?
    let template: PromptTemplate
    let defaultSystemPrompt: String?
    let communicator: any Communicator
    let cache: FeatureCache
    let memory: PassMemory
    let console: Console
    let seed: UInt64

    /// A pipeline over `models`, making extractors with `registry` (seeded by `seed`); `template` (with
    /// `defaultSystemPrompt`, as the trained model's formatter has it) formats the pool for a model other than
    /// the trained one; under MPI, rank 0 of `communicator` reads and
    /// writes the cache and every rank scores its shard; `memory` keeps the answer losses of row-wise
    /// extractors and every extractor's embeddings for the next that asks for the same; `target` is the validation split target-aware
    /// features need.
    public init(registry: PluginRegistry, models: Models, template: PromptTemplate, defaultSystemPrompt: String? = nil, target: Pool? = nil,
                communicator: any Communicator = SingleProcess(), cache: FeatureCache = FeatureCache(), memory: PassMemory = PassMemory(),
                console: Console, seed: UInt64) {
        (self.registry, self.models, self.template, self.defaultSystemPrompt) = (registry, models, template, defaultSystemPrompt)
        (self.target, self.communicator) = (target, communicator)
        (self.cache, self.memory, self.console, self.seed) = (cache, memory, console, seed)
    }

    /// The model a feature spec is computed with.
    ///
    /// - Throws: `RaiseError.invalidArgument` for a `reference:` spec without a reference model.
    public func model(for spec: String) throws -> any LanguageModel {
        if spec.hasPrefix(FeaturePipeline.referencePrefix) {
            guard let reference = models.reference else {
                throw RaiseError.invalidArgument(name: spec, detail: "needs a reference model (a model fine-tuned on the target validation split)")
            }
            return reference
        }
        let name = spec.split(separator: ":", maxSplits: 1).first.map(String.init) ?? spec
        let id = name.hasPrefix("feature.") ? name : "feature." + name
        if [FeatureSpec.embedding, FeatureSpec.cluster, FeatureSpec.targetSimilarity].contains(id) { return models.embedding }
        return id == FeatureSpec.gradient ? models.gradient : models.auxiliary
    }

    /// The columns of every spec over `pool` (its examples are the trained model's), with progress on
    /// stderr. The columns of a `reference:SPEC` are prefixed `reference_`. `part` names the part of a pool
    /// these records are in progress lines (" (window 2 of 9)"); `reportCacheHits: false` keeps quiet about
    /// columns read from the cache (a benchmark reads them often).   name -> (N)
    public func columns(_ specs: [String], of pool: Pool, part: String = "", reportCacheHits: Bool = true) throws -> [String: [Float]] {
        var columns = [String: [Float]]()
        var fingerprints = [ObjectIdentifier: UInt64]()  // each model and the pool hashed once
        var formatted = [ObjectIdentifier: [TokenizedExample]]()  // the pool as each model reads it
        var targets = [ObjectIdentifier: (examples: [TokenizedExample], fingerprint: UInt64)]()  // the target, likewise
        for var text in specs {
            let featureModel = try model(for: text)
            var column = { (name: String) in name }
            if text.hasPrefix(FeaturePipeline.referencePrefix) {
                text.removeFirst(FeaturePipeline.referencePrefix.count)
                column = FeatureColumn.reference
            }
            let id = ObjectIdentifier(featureModel)
            if formatted[id] == nil { formatted[id] = try examples(of: pool, named: "the pool", for: featureModel) }
            let examples = formatted[id]!
            let spec = try PluginSpec(parsing: text, option: "feature")
            let extractor = try registry.make(spec, kind: .feature, seed: seed, as: (any FeatureExtractor).self)
            // Weights, tokens, the model's settings and its backend's version: a changed setting with the same
            // weights, or a backend whose code has changed, misses the cache.
            let poolFingerprint = fingerprints[id]
                ?? FeatureCache.fingerprint(model: featureModel, examples: examples) ^ FeatureCache.settingsFingerprint(of: featureModel)
                    ^ FeatureCache.versionFingerprint(backendVersion(of: featureModel))
            fingerprints[id] = poolFingerprint
            var fingerprint = poolFingerprint
            var targetExamples = [TokenizedExample]()
            if extractor is any TargetFeatureExtractor {
                guard let target else {
                    throw RaiseError.invalidArgument(name: spec.id, detail: "measures the pool against the target: it needs the validation split (--val FILE)")
                }
                if targets[id] == nil {
                    let tokenized = try self.examples(of: target, named: "the validation split", for: featureModel)
                    targets[id] = (tokenized, FeatureCache.fingerprint(model: nil, examples: tokenized))
                }
                targetExamples = targets[id]!.examples
                var hash = FNV1a(start: poolFingerprint)  // another target misses the cache
                hash.add(bitsOf: targets[id]!.fingerprint)
                fingerprint = hash.value
            }
            let key = try cacheKey(spec, extractor: extractor, fingerprint: fingerprint)
            // Threads that want the same columns at once (a benchmark's runs under --jobs) compute them once.
            let found = try NamedLock.withLock("feature " + key) { () throws -> [String: [Float]] in
                // Under mpirun rank 0's cache decides for every rank (theirs may differ, or be on other machines).
                var hit: [String: [Float]]?
                if communicator.isRoot, let cached = cache.load(key: key, damaged: console.warning),
                   extractor.featureNames.allSatisfy({ cached[$0]?.count == examples.count }) {
                    hit = cached
                }
                if let cached = try communicator.broadcast(columns: hit) {
                    if reportCacheHits { console.info("\(spec.id)\(part): \(examples.count) records from the cache (\(key))") }
                    return cached
                }
                let start = Date()
                // Every rank scores its shard of each pass and gets all of it back.
                let sharded = communicator.size > 1 ? ShardedModel(featureModel, communicator: communicator) : featureModel
                // A row-wise extractor leaves the weights alone: the losses it asks for may have been computed already.
                // Any extractor's embeddings may have been (the memory checks the weights at the call); an embedding
                // pass over the pool or the split (one call, not chunked: PCA and the memory want it whole) shows its progress.
                let mode = console.mode
                // Embeddings kept example by example between processes; under mpirun each rank embeds its shard.
                let store = communicator.size > 1 ? nil : EmbeddingStore(cache: cache, backendVersion: backendVersion(of: featureModel))
                let scoring = memory.remembering(sharded, fingerprint: extractor.isRowwise ? fingerprint : nil, store: store) { examples in
                    let progress = ProgressReporter(label: spec.id + part + " embeddings", total: examples, mode: mode)
                    return { progress.update(step: $0) }
                }
                let computed = try extract(extractor, examples: examples, target: targetExamples, model: scoring, key: key, label: spec.id + part)
                if communicator.isRoot { cache.save(computed, key: key) }
                let seconds = Date().timeIntervalSince(start)
                console.info("\(spec.id)\(part): \(examples.count) records in \(String(format: "%.1f", seconds)) s "
                             + "(\(String(format: "%.0f", Double(examples.count) / max(seconds, 1e-9))) records/s)")
                return computed
            }
            for name in extractor.featureNames { columns[column(name)] = found[name] }
        }
        return columns
    }

    /// The records of `pool` (`what` names it in warnings) as `model` reads it: the trained model's examples, or the records formatted again with the
    /// model's own tokenizer and context — a model never sees another's token ids. A feature model whose tokenizer
    /// lacks what the template needs (ChatML's markers, for a TinyGPT or MiniLM beside SmolLM2) reads them with
    /// the default template instead (without the default system prompt, which belongs to the chat template), with
    /// a note. A record whose response no longer fits keeps a row without
    /// answer tokens (its losses are 0), with a warning; records cut to fit the model's context are counted in another.
    private func examples(of pool: Pool, named what: String, for model: any LanguageModel) throws -> [TokenizedExample] {
        guard model !== models.trained else { return pool.examples }
        var (template, systemPrompt) = (self.template, self.defaultSystemPrompt)
        if !template.isReadable(by: model.tokenizer) {
            console.info("\(model.backendID)'s tokenizer has no \(template.rawValue) markers: it reads the records for its features "
                         + "with the \(PromptTemplate.alpaca.rawValue) template")
            (template, systemPrompt) = (.alpaca, nil)
        }
        let formatter = try PromptFormatter(template: template, tokenizer: model.tokenizer, maxLength: model.contextLength + 1,
                                            defaultSystemPrompt: systemPrompt)
        var examples = [TokenizedExample](), cuts = ContextCuts(context: formatter.maxLength - 1)
        for record in pool.records {
            let (example, cut) = formatter.fitted(record)
            examples.append(example)
            if example.lossMask.contains(1) { cuts.add(cut) }
        }
        let unanswered = examples.count - cuts.records
        if unanswered > 0 {
            console.warningOnce("\(unanswered) record(s) of \(what) have no response token within \(model.backendID)'s context of "
                         + "\(model.contextLength); their answer losses are 0")
        }
        if let warning = cuts.warning("\(what) as \(model.backendID) reads it for its features") { console.warningOnce(warning) }
        return examples
    }

    /// The version of the backend plugin that made `model` ("" for a model no registered backend makes): a
    /// backend whose outputs change is given a new version, and then no longer served what the old one computed.
    private func backendVersion(of model: any LanguageModel) -> String {
        (try? registry.plugin(model.backendID, kind: .model).factory.version) ?? ""
    }

    /// The cache key of a feature: its settings with the defaults filled in (two spellings of one setting
    /// share an entry), the seed only when the columns depend on it, the factory's version (a changed
    /// extractor must not be served old columns), and the model and pool's fingerprint.
    private func cacheKey(_ spec: PluginSpec, extractor: any FeatureExtractor, fingerprint: UInt64) throws -> String {
        let factory = try registry.plugin(spec.id, kind: .feature).factory
        let settings = try spec.arguments(for: factory, seed: seed).canonical
        let seedTag = extractor.dependsOnSeed ? "#seed=\(seed)" : ""
        return FeatureCache.key(spec: settings + seedTag + "#version=\(factory.version)", fingerprint: fingerprint)
    }

    /// The columns of one extractor. A row-wise one is scored in chunks, each saved as a partial cache
    /// entry (by rank 0) and its progress reported as `label`, so that a killed run resumes after its last
    /// finished chunk. A target-aware one goes in one pass; when its pass goes row by row (LESS), its
    /// finished rows are saved the same way every `journalRows` rows and the pass resumes after them.
    private func extract(_ extractor: any FeatureExtractor, examples: [TokenizedExample], target: [TokenizedExample],
                         model: any LanguageModel, key: String, label: String) throws -> [String: [Float]] {
        let partialKey = key + ".partial"
        var computed = try resumed(extractor, examples: examples, partialKey: partialKey)
        let progress = ProgressReporter(label: label, total: examples.count, mode: console.mode, completed: computed.values.first!.count)
        /// Saves the rows computed so far (rank 0; not when every row is done: the whole entry follows).
        func savePartial() {
            if computed.values.first!.count < examples.count && communicator.isRoot { cache.save(computed, key: partialKey) }
        }
        let names = extractor.featureNames
        if extractor.isRowwise {
            while let done = computed.values.first?.count, done < examples.count {
                let part = Array(examples[done..<min(done + FeaturePipeline.chunk, examples.count)])
                let table = try extractor.extract(part, model: model)  // (chunk, F)
                for (f, name) in names.enumerated() { computed[name]! += (0..<part.count).map { table[$0, f] } }
                savePartial()
                progress.update(step: computed.values.first!.count)
            }
        } else {
            console.info("\(label): scoring \(examples.count) records in one pass over the whole pool…")
            let table: Tensor  // (N, F)
            if let targetExtractor = extractor as? any TargetFeatureExtractor {
                let earlier = (0..<computed[names[0]]!.count).map { row in names.map { computed[$0]![row] } }
                let journal = RowJournal(earlier: earlier) { row in
                    for (name, value) in zip(names, row) { computed[name]!.append(value) }
                    let done = computed[names[0]]!.count
                    if done % FeaturePipeline.journalRows == 0 { savePartial() }
                    progress.update(step: done)
                }
                table = try targetExtractor.extract(examples, target: target, model: model, journal: journal)
            } else {
                table = try extractor.extract(examples, model: model)
            }
            for (f, name) in names.enumerated() { computed[name] = (0..<examples.count).map { table[$0, f] } }
        }
        if communicator.isRoot { cache.remove(key: partialKey) }
        return computed
    }

    /// The rows of `extractor`'s columns a killed run saved under `partialKey` (rank 0's, broadcast), or
    /// empty columns.
    private func resumed(_ extractor: any FeatureExtractor, examples: [TokenizedExample], partialKey: String) throws -> [String: [Float]] {
        var saved: [String: [Float]]?
        if communicator.isRoot, let partial = cache.load(key: partialKey, damaged: console.warning), let done = partial.values.first?.count,
           extractor.featureNames.allSatisfy({ partial[$0]?.count == done }), done <= examples.count {
            saved = partial
        }
        if let partial = try communicator.broadcast(columns: saved), let done = partial.values.first?.count {
            if communicator.isRoot { console.info("raise: resuming a feature at record \(done) of \(examples.count)") }
            return partial
        }
        return Dictionary(uniqueKeysWithValues: extractor.featureNames.map { ($0, [Float]()) })
    }
}
