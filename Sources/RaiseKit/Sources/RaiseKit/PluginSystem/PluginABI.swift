// PluginABI: the C-level contract between the host and a plugin shared library. A plugin exports two
// symbols, looked up in this order:
//
//   uint32_t raise_plugin_abi_version(void);   // must equal PluginABI.version
//   void    *raise_plugin_entry(void);         // a +1-retained object conforming to RaisePlugin
//
// Nothing else crosses the boundary as C: behind the entry object everything is ordinary Swift, which
// works because the host and every plugin link one shared libRaiseKit.so (one copy of each type).

/// The plugin ABI version and symbol names.
public enum PluginABI {
    /// Bumped whenever a public RaiseKit type that plugins see changes. A plugin built against another
    /// version is refused before any of its code runs (besides the version function itself).
    public static let version: UInt32 = 23
    /// The symbol of `uint32_t raise_plugin_abi_version(void)`.
    public static let versionSymbol = "raise_plugin_abi_version"
    /// The symbol of `void *raise_plugin_entry(void)`.
    public static let entrySymbol = "raise_plugin_entry"
    /// Shared libraries in a scanned directory are plugins when their file name matches this
    /// prefix and suffix: `libRaisePlugin<Name>.so`. A file named explicitly loads whatever its name.
    public static let filePrefix = "libRaisePlugin"
    /// See `filePrefix`.
    public static let fileSuffix = ".so"

    /// What a plugin's `raise_plugin_entry` returns: `Unmanaged.passRetained(entry).toOpaque()`.
    public static func export(_ entry: RaisePlugin) -> UnsafeMutableRawPointer {
        Unmanaged.passRetained(entry as AnyObject).toOpaque()
    }
}

/// The object a plugin library hands to the host: it registers the plugin's factories.
public protocol RaisePlugin: AnyObject {
    /// Adds every factory of this library. Called once, right after the ABI check.
    ///
    /// - Throws: any error; the host then registers none of this library's factories and reports the
    ///   error with the library's path.
    func register(into registrar: PluginRegistrar) throws
}
