// FeatureCache: computed feature columns saved under a key that changes when anything they depend on
// changes — the feature spec, the model's parameters (and backend) and the tokenized examples — so a
// second run over the same pool and checkpoint reads them back instead of scoring again. An entry is
// trusted only when its checksum matches and every value is finite: a damaged one is removed and
// recomputed. The folder is bounded: past its size limit, the least recently used entries go.
import Foundation
import Synchronization

/// A folder of cached feature columns ($RAISE_CACHE_DIR/features, else ~/.cache/raise/features).
public struct FeatureCache: Sendable {
    public let directory: String
    /// The most bytes the entries may take together; older entries are removed past it.
    public let maximumBytes: Int

    /// The default limit: $RAISE_CACHE_MAX_MB megabytes, else 4 GB.
    public static var defaultMaximumBytes: Int { (ProcessEnvironment.value("RAISE_CACHE_MAX_MB").flatMap(Int.init) ?? 4096) << 20 }

    /// The default cache folder.
    public init() {
        self.init(directory: (ProcessEnvironment.value("RAISE_CACHE_DIR") ?? FileManager.default.homeDirectoryForCurrentUser.path + "/.cache/raise") + "/features")
    }

    /// A cache in `directory`, bounded by `maximumBytes`.
    public init(directory: String, maximumBytes: Int = FeatureCache.defaultMaximumBytes) {
        self.directory = directory
        self.maximumBytes = maximumBytes
    }

    /// A fingerprint of what features depend on besides their spec: the model (backend and every
    /// parameter, and the frozen base under adapters; nil for none) and the tokenized examples. FNV-1a; compute it once per pool and model.
    public static func fingerprint(model: (any LanguageModel)?, examples: [TokenizedExample]) -> UInt64 {
        var hash = FNV1a()
        if let model {
            hash.add(model.backendID.utf8)
            for values in [model.adapters?.base.values, model.parameters.values].compactMap({ $0 }) {
                for i in 0..<values.count { hash.add(bitsOf: values.data[i].bitPattern) }
            }
        }
        for example in examples {
            hash.add(bitsOf: example.ids.count)
            for id in example.ids { hash.add(bitsOf: id) }
            for weight in example.lossMask { hash.add(bitsOf: weight.bitPattern) }
        }
        return hash.value
    }

    /// A fingerprint of a model as it computes now: its weights (`fingerprint(model:examples:)` with no
    /// examples) and its settings.
    public static func fingerprint(of model: any LanguageModel) -> UInt64 {
        fingerprint(model: model, examples: []) ^ settingsFingerprint(of: model)
    }

    /// A fingerprint of a model's settings (its `configuration`: sizes, RoPE base, norm eps, context,
    /// normalisation, …): settings change a model's outputs even when its weights do not.
    public static func settingsFingerprint(of model: any LanguageModel) -> UInt64 {
        var hash = FNV1a()
        hash.add(JSONValue.object(model.configuration).serialized.utf8)
        return hash.value
    }

    /// A fingerprint of the version of the code that computed a column (a model backend's), so that columns
    /// computed by another version are not served.
    public static func versionFingerprint(_ version: String) -> UInt64 {
        var hash = FNV1a()
        hash.add("version \(version)".utf8)
        return hash.value
    }

    /// The cache key of the feature `spec` over a fingerprinted model and pool, as hex digits.
    public static func key(spec: String, fingerprint: UInt64) -> String {
        var hash = FNV1a(start: fingerprint)
        hash.add(spec.utf8)
        return String(hash.value, radix: 16)
    }

    /// The checksum of columns (FNV-1a over names and value bits, names in order).
    public static func checksum(_ columns: [String: [Float]]) -> String {
        var hash = FNV1a()
        for name in columns.keys.sorted() {
            hash.add(name.utf8)
            for value in columns[name]! { hash.add(bitsOf: value.bitPattern.littleEndian) }
        }
        return String(hash.value, radix: 16)
    }

    private func path(_ key: String) -> String { directory + "/\(key).safetensors" }

    /// The cached columns for `key`, or nil. An entry whose checksum does not match or that holds a
    /// non-finite value is removed and `damaged` told why; the caller recomputes it.
    public func load(key: String, damaged: (String) -> Void = { _ in }) -> [String: [Float]]? {
        guard FileManager.default.fileExists(atPath: path(key)) else { return nil }
        let problem: String
        do {
            let file = try Safetensors.read(path: path(key))
            let columns = file.tensors.mapValues(\.scalars)
            if file.metadata["checksum"] != FeatureCache.checksum(columns) {
                problem = "its checksum does not match its values"
            } else if columns.values.contains(where: { $0.contains { !$0.isFinite } }) {
                problem = "it holds a value that is not a finite number"
            } else {
                utimes(path(key), nil)  // now: the entry was used (what least-recently-used pruning reads)
                return columns
            }
        } catch {
            problem = "\(error)"
        }
        remove(key: key)
        damaged("\(path(key)): a damaged cache entry (\(problem)) was removed; computing it again")
        return nil
    }

    /// Forgets the entry `key`, if any.
    public func remove(key: String) { unlink(path(key)) }

    /// The folders already pruned by this process: a long run prunes at its first save, not at every one.
    private static let pruned = Mutex<Set<String>>([])

    /// Saves columns under `key` (atomically, with their checksum; a failure to cache is not an error of the
    /// run). Columns holding a non-finite value are not cached. The first save of a process into a folder
    /// prunes it to `maximumBytes`.
    public func save(_ columns: [String: [Float]], key: String) {
        guard !columns.values.contains(where: { $0.contains { !$0.isFinite } }) else { return }
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let tensors = columns.keys.sorted().map { (name: $0, tensor: Tensor(shape: [columns[$0]!.count], values: columns[$0]!)) }
        try? Safetensors.write(tensors, metadata: ["checksum": FeatureCache.checksum(columns)], to: path(key))
        if FeatureCache.pruned.withLock({ $0.insert(directory).inserted }) { _ = prune(keepingBytes: maximumBytes) }
    }

    /// One cached entry: its key, size and when it was last used.
    public struct Entry: Sendable {
        public let key: String
        public let bytes: Int
        public let lastUsed: Date
    }

    /// Every entry, most recently used first.
    public func entries() -> [Entry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".safetensors") && !$0.hasPrefix(".") }.compactMap { name -> Entry? in
            var info = stat()
            guard lstat(directory + "/" + name, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
            let time = Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
            return Entry(key: String(name.dropLast(".safetensors".count)), bytes: Int(info.st_size), lastUsed: time)
        }.sorted { ($0.lastUsed, $0.key) > ($1.lastUsed, $1.key) }
    }

    /// Removes the least recently used entries until the rest take at most `keepingBytes`; returns what
    /// was removed.
    @discardableResult
    public func prune(keepingBytes: Int) -> [Entry] {
        var total = 0, removed = [Entry]()
        for entry in entries() {
            total += entry.bytes
            if total > keepingBytes {
                remove(key: entry.key)
                removed.append(entry)
            }
        }
        return removed
    }
}
