// DynamicLibrary: the only file that calls dlopen, dlsym and dlerror. Libraries are never closed: a
// plugin's types and closures may be alive anywhere in the host until the process ends.
import Glibc

/// An opened shared library.
struct DynamicLibrary {
    private let handle: UnsafeMutableRawPointer
    /// The path it was opened from.
    let path: String

    /// Opens the library at `path` with every symbol resolved now and kept local to it.
    ///
    /// - Throws: `PluginError.openFailed` with the dlerror() text.
    init(path: String) throws {
        _ = dlerror()
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw PluginError.openFailed(path: path, reason: DynamicLibrary.lastError())
        }
        self.handle = handle
        self.path = path
    }

    /// The address of `symbol`.
    ///
    /// - Throws: `PluginError.symbolMissing` with the dlerror() text.
    func symbol(_ name: String) throws -> UnsafeMutableRawPointer {
        _ = dlerror()
        guard let address = dlsym(handle, name) else {
            throw PluginError.symbolMissing(path: path, symbol: name, reason: DynamicLibrary.lastError())
        }
        return address
    }

    private static func lastError() -> String {
        guard let message = dlerror() else { return "unknown dlerror" }
        return String(cString: message)
    }
}
