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

    /// The columns of every feature spec over `examples`, with progress on stderr. A spec written
    /// `reference:SPEC` is scored with `--reference-model` and its columns are prefixed `reference_`.
    /// `reportCacheHits: false` keeps quiet about columns read from the cache (a benchmark reads them often).
    ///   name -> (N)
    static func columns(_ specs: [String], examples: [TokenizedExample], model: any LanguageModel, arguments: ParsedArguments,
                        registry: PluginRegistry, seed: UInt64, reportCacheHits: Bool = true) throws -> [String: [Float]] {
        var columns = [String: [Float]]()
        var fingerprints = [ObjectIdentifier: UInt64]()  // each model and the pool hashed once
        for var text in specs {
            var scorer = model, prefix = ""
            if text.hasPrefix("reference:") {
                text.removeFirst("reference:".count)
                guard arguments.string("--reference-model") != nil else {
                    throw UsageError(message: "the selector needs --reference-model SPEC (a model fine-tuned on the target validation split)",
                                     usage: arguments.usage)
                }
                scorer = try ModelOptions.make(arguments, option: "--reference-model", registry: registry, seed: seed)
                prefix = "reference_"
            }
            let spec = try PluginSpec(parsing: text, option: "feature")
            let extractor = try registry.make(spec, kind: .feature, seed: seed, as: (any FeatureExtractor).self)
            let cache = FeatureCache()
            let fingerprint = fingerprints[ObjectIdentifier(scorer)] ?? FeatureCache.fingerprint(model: scorer, examples: examples)
            fingerprints[ObjectIdentifier(scorer)] = fingerprint
            // The factory's version is part of the key: a changed extractor must not be served old columns.
            let version = try registry.plugin(spec.id, kind: .feature).factory.version
            let key = FeatureCache.key(spec: text + "#seed=\(seed)#version=\(version)", fingerprint: fingerprint)
            if let cached = cache.load(key: key), extractor.featureNames.allSatisfy({ cached[$0]?.count == examples.count }) {
                for name in extractor.featureNames { columns[prefix + name] = cached[name] }
                if arguments.outputMode == .human && reportCacheHits {
                    ExitCode.printError("\(spec.id): \(examples.count) records from the cache (\(key))")
                }
                continue
            }
            let start = Date()
            let computed = try extract(extractor, examples: examples, model: scorer, cache: cache, key: key)
            cache.save(computed, key: key)
            for (name, column) in computed { columns[prefix + name] = column }
            if arguments.outputMode == .human {
                let rate = Double(examples.count) / max(Date().timeIntervalSince(start), 1e-9)
                ExitCode.printError("\(spec.id): \(examples.count) records in \(String(format: "%.1f", Date().timeIntervalSince(start))) s (\(String(format: "%.0f", rate)) records/s)")
            }
        }
        return columns
    }

    /// Rows per saved chunk when a row-wise feature is scored resumably.
    static let chunk = 2048

    /// The columns of one extractor. A row-wise one is scored in chunks, each saved as a partial cache
    /// entry, so that a killed run resumes after its last finished chunk.
    private static func extract(_ extractor: any FeatureExtractor, examples: [TokenizedExample], model: any LanguageModel,
                                cache: FeatureCache, key: String) throws -> [String: [Float]] {
        var computed = Dictionary(uniqueKeysWithValues: extractor.featureNames.map { ($0, [Float]()) })
        guard extractor.isRowwise else {
            let table = try extractor.extract(examples, model: model)  // (N, F)
            for (f, name) in extractor.featureNames.enumerated() { computed[name] = (0..<examples.count).map { table[$0, f] } }
            return computed
        }
        let partialKey = key + ".partial"
        if let partial = cache.load(key: partialKey), let done = partial.values.first?.count,
           extractor.featureNames.allSatisfy({ partial[$0]?.count == done }), done <= examples.count {
            computed = partial
            ExitCode.printError("raise: resuming a feature at record \(done) of \(examples.count)")
        }
        while let done = computed.values.first?.count, done < examples.count {
            let part = Array(examples[done..<min(done + chunk, examples.count)])
            let table = try extractor.extract(part, model: model)  // (chunk, F)
            for (f, name) in extractor.featureNames.enumerated() { computed[name]! += (0..<part.count).map { table[$0, f] } }
            if computed.values.first!.count < examples.count { cache.save(computed, key: partialKey) }
        }
        cache.remove(key: partialKey)
        return computed
    }
}
