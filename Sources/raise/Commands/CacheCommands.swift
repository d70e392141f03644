// `raise cache info | prune`: what the feature cache holds and how much room it takes, and making it
// smaller. Entries are pruned least recently used first; the cache also prunes itself to its limit
// ($RAISE_CACHE_MAX_MB, default 4096) the first time a run saves into it.
import Foundation
import RaiseKit

/// The feature-cache commands.
enum CacheCommands {
    static let info = Command(
        words: ["cache", "info"],
        summary: "the feature cache: its folder, entries, size and limit",
        arguments: "",
        options: [CommonOptions.json],
        run: runInfo)

    static let prune = Command(
        words: ["cache", "prune"],
        summary: "remove the least recently used feature-cache entries down to a size",
        arguments: "",
        options: [.integer("--keep-mb", "N", "megabytes to keep (default: the limit, $RAISE_CACHE_MAX_MB or 4096; 0 empties the cache)",
                           default: nil, in: 0...(1 << 30)),
                  CommonOptions.json],
        run: runPrune)

    static func runInfo(_ arguments: ParsedArguments) throws -> Int32 {
        try arguments.expectNoPositionals()
        let cache = FeatureCache()
        let entries = cache.entries()
        let bytes = entries.reduce(0) { $0 + $1.bytes }
        if arguments.outputMode == .json {
            print(JSONValue.object(JSONObject([("folder", .string(cache.directory)), ("entries", .number(Double(entries.count))),
                                               ("bytes", .number(Double(bytes))), ("limit_bytes", .number(Double(cache.maximumBytes)))])).serialized)
        } else {
            print("feature cache \(cache.directory): \(entries.count) entries, \(megabytes(bytes)) of \(megabytes(cache.maximumBytes))")
            if let newest = entries.first, let oldest = entries.last {
                print("  last used: newest \(newest.lastUsed), oldest \(oldest.lastUsed)")
            }
        }
        return ExitCode.success
    }

    static func runPrune(_ arguments: ParsedArguments) throws -> Int32 {
        try arguments.expectNoPositionals()
        let cache = FeatureCache()
        let keep = try arguments.int("--keep-mb", default: cache.maximumBytes >> 20) << 20
        let removed = cache.prune(keepingBytes: keep)
        let freed = removed.reduce(0) { $0 + $1.bytes }
        if arguments.outputMode == .json {
            print(JSONValue.object(JSONObject([("removed", .number(Double(removed.count))), ("bytes_freed", .number(Double(freed)))])).serialized)
        } else {
            print("removed \(removed.count) entries (\(megabytes(freed))) from \(cache.directory)")
        }
        return ExitCode.success
    }

    private static func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }
}
