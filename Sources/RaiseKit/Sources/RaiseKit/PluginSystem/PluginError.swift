// PluginError: everything that can go wrong finding, loading, registering and creating plugins. Each
// message names the file (and the dlerror() text, or both versions, or both files) so that the user
// knows exactly which plugin to fix.

/// A plugin could not be loaded, registered or created.
public enum PluginError: Error, CustomStringConvertible, Equatable {
    case fileMissing(path: String)
    case openFailed(path: String, reason: String)
    case symbolMissing(path: String, symbol: String, reason: String)
    case abiMismatch(path: String, expected: UInt32, found: UInt32)
    case notAPlugin(path: String, type: String)
    case registrationFailed(path: String, reason: String)
    case invalidFactory(path: String, detail: String)
    case duplicateID(id: String, firstPath: String, secondPath: String)
    case unknownPlugin(id: String, kind: PluginKind?, known: [String])
    case creationFailed(id: String, reason: String)
    case wrongType(id: String, expected: PluginKind, found: String)

    public var description: String {
        switch self {
        case .fileMissing(let path):
            return "plugin \(path): no such file or directory"
        case let .openFailed(path, reason):
            return "plugin \(path): cannot load: \(reason)"
        case let .symbolMissing(path, symbol, reason):
            return "plugin \(path): entry symbol '\(symbol)' missing (\(reason)); is it a raise plugin?"
        case let .abiMismatch(path, expected, found):
            return "plugin \(path): ABI version \(found), but this raise expects \(expected); rebuild the plugin against this RaiseKit"
        case let .notAPlugin(path, type):
            return "plugin \(path): entry returned a \(type), which does not conform to RaisePlugin"
        case let .registrationFailed(path, reason):
            return "plugin \(path): registration failed: \(reason)"
        case let .invalidFactory(path, detail):
            return "plugin \(path): \(detail)"
        case let .duplicateID(id, first, second):
            return "plugin id '\(id)' is registered by both \(first) and \(second)"
        case let .unknownPlugin(id, kind, known):
            let what = kind?.displayName ?? "plugin"
            return "unknown \(what) '\(id)'; known: " + (known.isEmpty ? "none (check --plugin-path and RAISE_PLUGIN_PATH)" : known.joined(separator: ", "))
        case let .creationFailed(id, reason):
            return "\(id): \(reason)"
        case let .wrongType(id, expected, found):
            return "\(id): made a \(found), which is not a \(expected.displayName)"
        }
    }
}
