// PluginFactory: one thing a plugin can make, described for `raise plugins list/info`, with the
// closure that makes it from checked arguments.

/// A named, versioned, documented maker of plugin objects.
public struct PluginFactory: Sendable {
    /// The unique id, kind prefix included: `selector.random`.
    public let id: String
    /// What the factory makes.
    public let kind: PluginKind
    /// The factory's own version (semantic versioning), shown by `raise plugins list`.
    public let version: String
    /// One line for `raise plugins list`.
    public let summary: String
    /// The parameters it accepts.
    public let parameters: [PluginParameter]
    /// Makes an object conforming to the kind's protocol; may throw (bad files, impossible settings).
    public let create: @Sendable (PluginArguments) throws -> AnyObject

    /// A factory description.
    public init(id: String, kind: PluginKind, version: String, summary: String, parameters: [PluginParameter] = [],
                create: @escaping @Sendable (PluginArguments) throws -> AnyObject) {
        self.id = id
        self.kind = kind
        self.version = version
        self.summary = summary
        self.parameters = parameters
        self.create = create
    }

    /// Why this factory is malformed, or nil: the id must be `kind.name` in lower case letters, digits,
    /// '-' and '.', and parameter names must be unique.
    var problem: String? {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-._")
        guard id.hasPrefix(kind.idPrefix), id.count > kind.idPrefix.count, id.allSatisfy({ allowed.contains($0) }) else {
            return "factory id '\(id)' must be '\(kind.idPrefix)<name>' in lower-case letters, digits, '-', '_' and '.'"
        }
        let names = parameters.map(\.name)
        if Set(names).count != names.count { return "factory '\(id)' declares a parameter twice" }
        return nil
    }
}

/// Collects the factories one plugin library registers; the registry accepts them all or none.
public final class PluginRegistrar {
    /// The library being registered (for messages).
    public let libraryPath: String
    /// The factories added so far.
    public private(set) var factories: [PluginFactory] = []

    /// A registrar for the library at `libraryPath`.
    public init(libraryPath: String) { self.libraryPath = libraryPath }

    /// Adds a factory.
    ///
    /// - Throws: `PluginError.invalidFactory` when the id or the parameters are malformed, or the
    ///   library already added this id.
    public func add(_ factory: PluginFactory) throws {
        if let problem = factory.problem { throw PluginError.invalidFactory(path: libraryPath, detail: problem) }
        guard !factories.contains(where: { $0.id == factory.id }) else {
            throw PluginError.invalidFactory(path: libraryPath, detail: "factory '\(factory.id)' registered twice")
        }
        factories.append(factory)
    }
}
