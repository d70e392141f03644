// FeatureCache: computed feature columns saved under a key that changes when anything they depend on
// changes — the feature spec, the model's parameters (and backend) and the tokenized examples — so a
// second run over the same pool and checkpoint reads them back instead of scoring again.
import Foundation

/// A folder of cached feature columns ($RAISE_CACHE_DIR/features, else ~/.cache/raise/features).
public struct FeatureCache: Sendable {
    public let directory: String

    /// The default cache folder.
    public init() {
        directory = (ProcessEnvironment.value("RAISE_CACHE_DIR") ?? FileManager.default.homeDirectoryForCurrentUser.path + "/.cache/raise") + "/features"
    }

    /// A cache in `directory`.
    public init(directory: String) { self.directory = directory }

    /// A fingerprint of what features depend on besides their spec: the model (backend and every
    /// parameter; nil for none) and the tokenized examples. FNV-1a; compute it once per pool and model.
    public static func fingerprint(model: (any LanguageModel)?, examples: [TokenizedExample]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix<T>(_ value: T) { withUnsafeBytes(of: value) { for byte in $0 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 } } }
        if let model {
            for byte in model.backendID.utf8 { mix(byte) }
            let values = model.parameters.values
            for i in 0..<values.count { mix(values.data[i].bitPattern) }
        }
        for example in examples {
            mix(example.ids.count)
            for id in example.ids { mix(id) }
            for weight in example.lossMask { mix(weight.bitPattern) }
        }
        return hash
    }

    /// The cache key of the feature `spec` over a fingerprinted model and pool, as hex digits.
    public static func key(spec: String, fingerprint: UInt64) -> String {
        var hash = fingerprint
        for byte in spec.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return String(hash, radix: 16)
    }

    /// The cached columns for `key`, or nil.
    public func load(key: String) -> [String: [Float]]? {
        guard let file = try? Safetensors.read(path: directory + "/\(key).safetensors") else { return nil }
        return file.tensors.mapValues(\.scalars)
    }

    /// Forgets the entry `key`, if any.
    public func remove(key: String) { try? FileManager.default.removeItem(atPath: directory + "/\(key).safetensors") }

    /// Saves columns under `key` (atomically; a failure to cache is not an error of the run).
    public func save(_ columns: [String: [Float]], key: String) {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let tensors = columns.keys.sorted().map { (name: $0, tensor: Tensor(shape: [columns[$0]!.count], values: columns[$0]!)) }
        try? Safetensors.write(tensors, to: directory + "/\(key).safetensors")
    }
}
