// PluginLoader: finds plugin libraries and loads them into a registry, as ggml's backend registry
// does: search paths in a fixed order, dlopen, version check first, then registration.
//
// Search order: each --plugin-path (a directory, or one .so file loaded whatever its name), then each
// entry of RAISE_PLUGIN_PATH (colon-separated), then the executable's own directory and
// <exe>/../lib/raise/plugins. In directories, files named libRaisePlugin*.so are plugins. A file is
// loaded once however often it is found. A failure on a file the user named is an error; a failure
// on a file found by scanning a directory is a warning and the file is skipped.
import Foundation

/// Loads plugin libraries into a registry.
public final class PluginLoader {
    private let registry: PluginRegistry
    private var loaded = Set<String>()
    /// Files skipped while scanning directories, one line each: path and reason.
    public private(set) var warnings: [String] = []

    /// A loader that registers into `registry`.
    public init(registry: PluginRegistry) { self.registry = registry }

    /// Loads every plugin on the search path.
    ///
    /// - Parameters:
    ///   - pluginPaths: the --plugin-path values, in order.
    ///   - environment: the value of RAISE_PLUGIN_PATH, if set.
    ///   - executablePath: the host executable, whose folder and ../lib/raise/plugins are searched last.
    /// - Throws: the first `PluginError` on a path the user named (a missing path, a bad file).
    public func loadAll(pluginPaths: [String], environment: String?, executablePath: String) throws {
        let named = pluginPaths + (environment?.split(separator: ":").map(String.init) ?? [])
        for path in named {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw PluginError.fileMissing(path: path)
            }
            if isDirectory.boolValue { scan(directory: path) } else { try load(file: path) }
        }
        let executableFolder = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath().deletingLastPathComponent()
        scan(directory: executableFolder.path)
        scan(directory: executableFolder.appendingPathComponent("../lib/raise/plugins").standardized.path)
    }

    /// Loads every `libRaisePlugin*.so` in `directory`, in name order; failures become warnings.
    public func scan(directory: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names.sorted() where name.hasPrefix(PluginABI.filePrefix) && name.hasSuffix(PluginABI.fileSuffix) {
            do {
                try load(file: (directory as NSString).appendingPathComponent(name))
            } catch {
                warnings.append("skipped \(error)")
            }
        }
    }

    /// Loads one plugin library: ABI version first, then the entry object, then its registration.
    ///
    /// - Throws: `PluginError` naming the file: missing, not loadable (with dlerror()), entry symbol
    ///   missing, ABI mismatch (both versions), entry of the wrong type, failed registration, or an id
    ///   another file already registered (both files).
    public func load(file: String) throws {
        let path = URL(fileURLWithPath: file).standardized.resolvingSymlinksInPath().path
        guard FileManager.default.fileExists(atPath: path) else { throw PluginError.fileMissing(path: file) }
        guard loaded.insert(path).inserted else { return }
        let library = try DynamicLibrary(path: path)

        typealias VersionFunction = @convention(c) () -> UInt32
        let version = unsafeBitCast(try library.symbol(PluginABI.versionSymbol), to: VersionFunction.self)()
        guard version == PluginABI.version else {
            throw PluginError.abiMismatch(path: path, expected: PluginABI.version, found: version)
        }

        typealias EntryFunction = @convention(c) () -> UnsafeMutableRawPointer?
        let entryFunction = unsafeBitCast(try library.symbol(PluginABI.entrySymbol), to: EntryFunction.self)
        guard let raw = entryFunction() else {
            throw PluginError.registrationFailed(path: path, reason: "\(PluginABI.entrySymbol) returned NULL")
        }
        let object = Unmanaged<AnyObject>.fromOpaque(raw).takeRetainedValue()
        guard let plugin = object as? RaisePlugin else {
            throw PluginError.notAPlugin(path: path, type: String(describing: type(of: object)))
        }
        let registrar = PluginRegistrar(libraryPath: path)
        do {
            try plugin.register(into: registrar)
        } catch let error as PluginError {
            throw error
        } catch {
            throw PluginError.registrationFailed(path: path, reason: "\(error)")
        }
        try registry.register(registrar)
    }
}
