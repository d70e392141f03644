// AtomicFile: every output of raise is written to a temporary file beside its destination, flushed,
// then renamed over it, so a crash or a full disk never leaves a half-written file behind.
import Foundation

/// A file being written: content goes to a temporary file that `commit()` renames into place. If the
/// writer is dropped without a commit, the temporary file is removed and the destination is untouched.
public final class AtomicFileWriter {
    /// The destination.
    public let path: String
    private let temporaryPath: String
    private let handle: FileHandle
    private var buffer = Data()
    private var finished = false

    /// Opens a temporary file beside `path`.
    ///
    /// - Throws: `RaiseError.file` naming `path` when the folder is missing or not writable.
    public init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        temporaryPath = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())").path
        guard FileManager.default.createFile(atPath: temporaryPath, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporaryPath) else {
            throw RaiseError.file(path: path, detail: "cannot create \(temporaryPath): \(String(cString: strerror(errno)))")
        }
        self.handle = handle
    }

    deinit {
        if !finished {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: temporaryPath)
        }
    }

    /// Appends bytes (buffered).
    public func write(_ data: Data) throws {
        buffer.append(data)
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Appends UTF-8 text (buffered).
    public func write(_ text: String) throws { try write(Data(text.utf8)) }

    private func flush() throws {
        do {
            try handle.write(contentsOf: buffer)
        } catch {
            throw RaiseError.file(path: path, detail: "write failed: \(error.localizedDescription)")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes to disk and renames the temporary file over the destination.
    ///
    /// - Throws: `RaiseError.file` naming `path` when the disk is full or the rename fails; the previous
    ///   content of `path`, if any, is then untouched.
    public func commit() throws {
        try flush()
        do {
            try handle.synchronize()
            try handle.close()
        } catch {
            throw RaiseError.file(path: path, detail: "write failed: \(error.localizedDescription)")
        }
        guard rename(temporaryPath, path) == 0 else {
            throw RaiseError.file(path: path, detail: "cannot replace file: \(String(cString: strerror(errno)))")
        }
        finished = true
    }
}

/// Crash-safe whole-file writes.
public enum AtomicFile {
    /// Writes `data` to `path` through a temporary file and a rename.
    public static func write(_ data: Data, to path: String) throws {
        let writer = try AtomicFileWriter(path: path)
        try writer.write(data)
        try writer.commit()
    }

    /// Writes UTF-8 `text` to `path` atomically.
    public static func write(_ text: String, to path: String) throws { try write(Data(text.utf8), to: path) }
}
