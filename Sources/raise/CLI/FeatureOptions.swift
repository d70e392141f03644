// FeatureOptions: computing the feature columns a selector (or `raise score --features`) asks for,
// with the auxiliary model when `--aux-model` names one, else the model being trained.
import Foundation
import RaiseKit

/// Feature computation for commands.
enum FeatureOptions {
    static let auxModel = Option.value("--aux-model", "SPEC", "the model features are scored with (default: --model)")
    static let referenceModel = Option.value("--reference-model", "SPEC",
                                             "a model trained on the target validation split (RHO-LOSS's irreducible loss)")

    /// The model features use: `--aux-model`, else `model`.
    static func scoringModel(_ arguments: ParsedArguments, registry: PluginRegistry, model: any LanguageModel, seed: UInt64) throws -> any LanguageModel {
        guard arguments.string("--aux-model") != nil else { return model }
        return try ModelOptions.make(arguments, option: "--aux-model", registry: registry, seed: seed)
    }

    /// `records` as `scorer` reads them: `examples` (the trained model's) when it is the trained model,
    /// else formatted again with its own tokenizer and context — a model never sees another's token ids.
    /// A record whose response no longer fits keeps a row without answer tokens (its losses are 0), with a warning.
    static func examples(_ records: [InstructionRecord], trained examples: [TokenizedExample], model: any LanguageModel,
                         scorer: any LanguageModel, arguments: ParsedArguments) throws -> [TokenizedExample] {
        guard scorer !== model else { return examples }
        let formatter = try ModelOptions.formatter(arguments, model: scorer)
        let formatted = records.map(formatter.tokenized)
        let unanswered = formatted.filter { !$0.lossMask.contains(1) }.count
        if unanswered > 0 && arguments.outputMode == .human {
            ExitCode.printError("raise: warning: \(unanswered) record(s) have no response token within \(scorer.backendID)'s context of \(scorer.contextLength); their answer losses are 0")
        }
        return formatted
    }

    /// The columns of every feature spec over the pool (`records`, and `examples` as `model` — the model
    /// trained — reads them), scored with `scorer`, with progress on stderr. A spec written
    /// `reference:SPEC` is scored with `--reference-model` and its columns are prefixed `reference_`.
    /// `reportCacheHits: false` keeps quiet about columns read from the cache (a benchmark reads them often);
    /// `part` names the part of a pool these records are in progress lines (" (window 2 of 9)"); `memory`
    /// keeps the answer losses row-wise extractors compute, for the next that asks for the same.
    ///   name -> (N)
    static func columns(_ specs: [String], records: [InstructionRecord], examples trainedExamples: [TokenizedExample],
                        model: any LanguageModel, scorer: any LanguageModel, arguments: ParsedArguments,
                        registry: PluginRegistry, seed: UInt64, reportCacheHits: Bool = true, part: String = "",
                        memory: LossMemory = LossMemory()) throws -> [String: [Float]] {
        precondition(records.count == trainedExamples.count, "FeatureOptions.columns: \(records.count) records, \(trainedExamples.count) examples")
        var columns = [String: [Float]]()
        var fingerprints = [ObjectIdentifier: UInt64]()  // each model and the pool hashed once
        var pools = [ObjectIdentifier: [TokenizedExample]]()  // the pool as each model reads it
        var reference: (any LanguageModel)?
        for var text in specs {
            var featureModel = scorer, prefix = ""
            if text.hasPrefix("reference:") {
                text.removeFirst("reference:".count)
                guard arguments.string("--reference-model") != nil else {
                    throw UsageError(message: "the selector needs --reference-model SPEC (a model fine-tuned on the target validation split)",
                                     usage: arguments.usage)
                }
                reference = try reference ?? ModelOptions.make(arguments, option: "--reference-model", registry: registry, seed: seed)
                featureModel = reference!
                prefix = "reference_"
            }
            let id = ObjectIdentifier(featureModel)
            if pools[id] == nil {
                pools[id] = try examples(records, trained: trainedExamples, model: model, scorer: featureModel, arguments: arguments)
            }
            let examples = pools[id]!
            let spec = try PluginSpec(parsing: text, option: "feature")
            let extractor = try registry.make(spec, kind: .feature, seed: seed, as: (any FeatureExtractor).self)
            let cache = FeatureCache()
            let fingerprint = fingerprints[id] ?? FeatureCache.fingerprint(model: featureModel, examples: examples)
            fingerprints[id] = fingerprint
            let key = try cacheKey(spec, extractor: extractor, registry: registry, seed: seed, fingerprint: fingerprint)
            // Under mpirun rank 0's cache decides for every rank (theirs may differ, or be on other machines).
            let communicator = Job.communicator
            var hit: [String: [Float]]?
            if communicator.isRoot, let cached = cache.load(key: key, damaged: warnDamaged), extractor.featureNames.allSatisfy({ cached[$0]?.count == examples.count }) {
                hit = cached
            }
            let mode = arguments.outputMode
            if let cached = try communicator.broadcast(columns: hit) {
                for name in extractor.featureNames { columns[prefix + name] = cached[name] }
                if mode == .human && reportCacheHits {
                    ExitCode.printError("\(spec.id)\(part): \(examples.count) records from the cache (\(key))")
                }
                continue
            }
            let start = Date()
            // Every rank scores its shard of each pass and gets all of it back.
            let sharded = communicator.size > 1 ? ShardedModel(featureModel, communicator: communicator) : featureModel
            // A row-wise extractor leaves the weights alone: the losses it asks for may have been computed already.
            let scoring = extractor.isRowwise ? memory.remembering(sharded, fingerprint: fingerprint) : sharded
            let computed = try extract(extractor, examples: examples, model: scoring, cache: cache, key: key,
                                       label: spec.id + part, mode: mode, communicator: communicator)
            if communicator.isRoot { cache.save(computed, key: key) }
            for (name, column) in computed { columns[prefix + name] = column }
            if mode == .human {
                let rate = Double(examples.count) / max(Date().timeIntervalSince(start), 1e-9)
                ExitCode.printError("\(spec.id)\(part): \(examples.count) records in \(String(format: "%.1f", Date().timeIntervalSince(start))) s (\(String(format: "%.0f", rate)) records/s)")
            }
        }
        return columns
    }

    /// Says on stderr that a damaged cache entry was removed (and is computed again).
    private static func warnDamaged(_ message: String) { ExitCode.printError("raise: warning: " + message) }

    /// The cache key of a feature: its settings with the defaults filled in (two spellings of one setting
    /// share an entry), the seed only when the columns depend on it, the factory's version (a changed
    /// extractor must not be served old columns), and the model and pool's fingerprint.
    private static func cacheKey(_ spec: PluginSpec, extractor: any FeatureExtractor, registry: PluginRegistry, seed: UInt64,
                                 fingerprint: UInt64) throws -> String {
        let factory = try registry.plugin(spec.id, kind: .feature).factory
        let settings = try spec.arguments(for: factory, seed: seed).canonical
        let seedTag = extractor.dependsOnSeed ? "#seed=\(seed)" : ""
        return FeatureCache.key(spec: settings + seedTag + "#version=\(factory.version)", fingerprint: fingerprint)
    }

    /// Rows per saved chunk when a row-wise feature is scored resumably (small enough that a large model
    /// shows progress and loses little work to a kill; large enough to keep every core busy).
    static let chunk = 256

    /// The columns of one extractor. A row-wise one is scored in chunks, each saved as a partial cache
    /// entry (by rank 0) and its progress reported as `label`, so that a killed run resumes after its last
    /// finished chunk.
    private static func extract(_ extractor: any FeatureExtractor, examples: [TokenizedExample], model: any LanguageModel,
                                cache: FeatureCache, key: String, label: String, mode: OutputMode,
                                communicator: any Communicator) throws -> [String: [Float]] {
        var computed = Dictionary(uniqueKeysWithValues: extractor.featureNames.map { ($0, [Float]()) })
        guard extractor.isRowwise else {
            if mode == .human { ExitCode.printError("\(label): scoring \(examples.count) records in one pass over the whole pool…") }
            let table = try extractor.extract(examples, model: model)  // (N, F)
            for (f, name) in extractor.featureNames.enumerated() { computed[name] = (0..<examples.count).map { table[$0, f] } }
            return computed
        }
        let partialKey = key + ".partial"
        var saved: [String: [Float]]?
        if communicator.isRoot, let partial = cache.load(key: partialKey, damaged: warnDamaged), let done = partial.values.first?.count,
           extractor.featureNames.allSatisfy({ partial[$0]?.count == done }), done <= examples.count {
            saved = partial
        }
        if let partial = try communicator.broadcast(columns: saved), let done = partial.values.first?.count {
            computed = partial
            if communicator.isRoot { ExitCode.printError("raise: resuming a feature at record \(done) of \(examples.count)") }
        }
        let progress = ProgressReporter(label: label, total: examples.count, mode: mode, completed: computed.values.first!.count)
        while let done = computed.values.first?.count, done < examples.count {
            let part = Array(examples[done..<min(done + chunk, examples.count)])
            let table = try extractor.extract(part, model: model)  // (chunk, F)
            for (f, name) in extractor.featureNames.enumerated() { computed[name]! += (0..<part.count).map { table[$0, f] } }
            let done = computed.values.first!.count
            if done < examples.count && communicator.isRoot { cache.save(computed, key: partialKey) }
            progress.update(step: done)
        }
        if communicator.isRoot { cache.remove(key: partialKey) }
        return computed
    }
}
