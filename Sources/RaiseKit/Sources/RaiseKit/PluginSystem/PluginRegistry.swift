// PluginRegistry: the factories known to this process, by id, each with the file that registered
// it. Lock-protected, so plugins may be created from any thread; creation checks the parameters and
// casts the made object to its kind's protocol, with an error naming the plugin when anything fails.
import Foundation

/// A registered factory and where it came from.
public struct RegisteredPlugin: Sendable {
    public let factory: PluginFactory
    /// The shared library that registered it ("built-in" for factories the host adds itself).
    public let path: String
}

/// Every factory known to the process.
public final class PluginRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: RegisteredPlugin] = [:]

    /// An empty registry.
    public init() {}

    /// Registers every factory of one library, or none of them.
    ///
    /// - Throws: `PluginError.duplicateID` naming both files when an id is already registered.
    public func register(_ registrar: PluginRegistrar) throws {
        try lock.withLock {
            for factory in registrar.factories {
                if let existing = entries[factory.id] {
                    throw PluginError.duplicateID(id: factory.id, firstPath: existing.path, secondPath: registrar.libraryPath)
                }
            }
            for factory in registrar.factories {
                entries[factory.id] = RegisteredPlugin(factory: factory, path: registrar.libraryPath)
            }
        }
    }

    /// Every registered factory, sorted by id; of one kind when `kind` is given.
    public func plugins(kind: PluginKind? = nil) -> [RegisteredPlugin] {
        lock.withLock { entries.values.filter { kind == nil || $0.factory.kind == kind }.sorted { $0.factory.id < $1.factory.id } }
    }

    /// The factory with this id: full (`selector.ifd`), or short (`ifd`) when `kind` is given or only
    /// one kind has a factory of that name.
    ///
    /// - Throws: `PluginError.unknownPlugin` listing the known ids of that kind.
    public func plugin(_ id: String, kind: PluginKind? = nil) throws -> RegisteredPlugin {
        let candidates = kind.map { [$0] } ?? PluginKind.allCases
        let ids = Set(candidates.map { PluginSpec.idWithKind(id, kind: $0) })
        let matches = lock.withLock { ids.compactMap { entries[$0] }.filter { candidates.contains($0.factory.kind) } }
        if matches.count == 1 { return matches[0] }
        throw PluginError.unknownPlugin(id: id, kind: kind, known: plugins(kind: kind).map(\.factory.id))
    }

    /// Makes the plugin named by `spec`, checked and cast to `type`.
    ///
    /// - Throws: `PluginError` for an unknown id, a failed creation or a wrong type; `RaiseError` for a bad
    ///   parameter (naming plugin and parameter).
    public func make<T>(_ spec: PluginSpec, kind: PluginKind, seed: UInt64, as type: T.Type) throws -> T {
        let factory = try plugin(spec.id, kind: kind).factory
        let arguments = try spec.arguments(for: factory, seed: seed)
        let object: AnyObject
        do {
            object = try factory.create(arguments)
        } catch {
            throw PluginError.creationFailed(id: factory.id, reason: "\(error)")
        }
        guard let typed = object as? T else {
            throw PluginError.wrongType(id: factory.id, expected: kind, found: String(describing: Swift.type(of: object)))
        }
        return typed
    }
}

extension PluginSpec {
    /// `id` with the kind's prefix added when it has none.
    static func idWithKind(_ id: String, kind: PluginKind?) -> String {
        guard let kind, !PluginKind.allCases.contains(where: { id.hasPrefix($0.idPrefix) }) else { return id }
        return kind.idPrefix + id
    }
}
