// AtomicFile: every output of raise is written to a temporary file beside its destination, flushed,
// then renamed over it, so a crash or a full disk never leaves a half-written file behind.
import Foundation

/// Crash-safe file writing.
public enum AtomicFile {
    /// Writes `data` to `path` through a temporary file and a rename.
    ///
    /// - Throws: `RaiseError.file` naming `path` when the directory is missing, the disk is full or the
    ///   rename fails; the previous content of `path`, if any, is then untouched.
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())").path
        guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
            throw RaiseError.file(path: path, detail: "cannot create temporary file \(temporary): \(String(cString: strerror(errno)))")
        }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            defer { try? handle.close() }
            try handle.write(contentsOf: data)
            try handle.synchronize()
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw RaiseError.file(path: path, detail: "write failed: \(error.localizedDescription)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw RaiseError.file(path: path, detail: "cannot replace file: \(reason)")
        }
    }

    /// Writes UTF-8 `text` to `path` atomically.
    public static func write(_ text: String, to path: String) throws { try write(Data(text.utf8), to: path) }
}
