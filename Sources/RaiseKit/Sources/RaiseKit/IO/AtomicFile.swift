// AtomicFile: every output of raise is written to a temporary file beside its destination, flushed,
// then renamed over it, so a crash or a full disk never leaves a half-written file behind. A temporary
// file orphaned by a killed process is removed by the next successful write into the same folder.
import Foundation
import Synchronization

/// A file being written: content goes to a temporary file that `commit()` renames into place. If the
/// writer is dropped without a commit, the temporary file is removed and the destination is untouched.
public final class AtomicFileWriter {
    /// The destination.
    public let path: String
    private let temporaryPath: String
    private var descriptor: Int32
    private var buffer = Data()
    private var finished = false

    /// Opens a temporary file beside `path`.
    ///
    /// - Throws: `RaiseError.file` naming `path` when the folder is missing or not writable.
    public init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        temporaryPath = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())").path
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw RaiseError.file(path: path, detail: "cannot create \(temporaryPath): \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        if !finished {
            if descriptor >= 0 { close(descriptor) }
            unlink(temporaryPath)
        }
    }

    /// Appends bytes (buffered).
    public func write(_ data: Data) throws {
        buffer.append(data)
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Appends UTF-8 text (buffered).
    public func write(_ text: String) throws { try write(Data(text.utf8)) }

    /// The error for a failed system call, naming the destination and the system's reason
    /// ("No space left on device", "File too large", …).
    private func failure(_ what: String) -> RaiseError {
        RaiseError.file(path: path, detail: "\(what) failed: \(String(cString: strerror(errno)))")
    }

    private func flush() throws {
        try buffer.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var done = 0
            while done < bytes.count {
                let count = Glibc.write(descriptor, bytes.baseAddress! + done, bytes.count - done)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { throw failure("write") }
                done += count
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes to disk and renames the temporary file over the destination.
    ///
    /// - Throws: `RaiseError.file` naming `path` when the disk is full or the rename fails; the previous
    ///   content of `path`, if any, is then untouched.
    public func commit() throws {
        try flush()
        guard fsync(descriptor) == 0 else { throw failure("write") }
        let closed = close(descriptor)
        descriptor = -1
        guard closed == 0 else { throw failure("write") }
        guard rename(temporaryPath, path) == 0 else { throw failure("replacing the file") }
        finished = true
        removeStaleTemporaries()
    }

    /// The folders this process has already swept of orphaned temporary files.
    private static let sweptFolders = Mutex<Set<String>>([])

    /// Removes the temporary files that writers killed mid-write left in this folder (their process is
    /// gone), so that resuming after `kill -9` leaves a clean folder. Once per folder and process: a
    /// folder of thousands of chunk files is not listed again at every commit.
    private func removeStaleTemporaries() {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard AtomicFileWriter.sweptFolders.withLock({ $0.insert(folder).inserted }) else { return }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where name.hasPrefix(".") {
            guard let marker = name.range(of: ".tmp-", options: .backwards), let pid = Int32(name[marker.upperBound...]),
                  kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: folder + "/" + name)
        }
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
