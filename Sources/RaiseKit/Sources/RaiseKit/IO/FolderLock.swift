// FolderLock: one raise process at a time writes an output folder. The lock is an advisory `flock` on
// `.raise-lock` inside the folder, which holds the holder's process id so that a second process can say
// who has it; the kernel releases it when the holder exits, however it exits, so a killed run never
// leaves a folder locked. Not a guard against programs that do not take it.
import Foundation
import Synchronization

/// An exclusive lock on an output folder, held until `release()` or the end of the process.
public final class FolderLock: @unchecked Sendable {  // its descriptor changes only in release(), called once by its owner
    /// The locked folder.
    public let folder: String
    private var descriptor: Int32
    /// Whether taking the lock created the folder: if it is still empty when the lock is released (the
    /// command failed before writing), it is removed again.
    private let createdFolder: Bool

    /// The name of the lock file inside a locked folder.
    public static let fileName = ".raise-lock"

    /// Takes the lock of `folder` (created if missing), or fails at once when another process holds it.
    ///
    /// - Throws: `RaiseError.file` naming the folder and the holder's process id when it is taken, or the
    ///   system's reason when the folder cannot be created or the lock file opened.
    public init(folder: String) throws {
        self.folder = folder
        createdFolder = try Folder.create(folder)
        let path = folder + "/" + FolderLock.fileName
        while true {
            let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
            guard descriptor >= 0 else {
                throw RaiseError.file(path: folder, detail: "cannot open its lock file \(FolderLock.fileName): \(String(cString: strerror(errno)))")
            }
            // A file system without locks (ENOLCK, EOPNOTSUPP) leaves the folder unlocked, as before locks were taken.
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 || errno != EWOULDBLOCK else {
                let holder = FolderLock.holder(descriptor)
                close(descriptor)
                throw RaiseError.file(path: folder, detail: "another raise process\(holder.map { " (pid \($0))" } ?? "") is writing this folder; "
                                      + "wait for it to finish, or choose another output")
            }
            // A holder that just released may have unlinked the file we opened: lock the file at the path.
            var opened = stat(), current = stat()
            if fstat(descriptor, &opened) == 0, stat(path, &current) == 0, opened.st_ino == current.st_ino, opened.st_dev == current.st_dev {
                let pid = Array("\(getpid())\n".utf8)
                _ = ftruncate(descriptor, 0)
                _ = pwrite(descriptor, pid, pid.count, 0)
                self.descriptor = descriptor
                return
            }
            close(descriptor)
        }
    }

    /// Removes the lock file and releases the lock (the lock file is removed while still held, so a
    /// process waiting on the old file retries on the path).
    public func release() {
        guard descriptor >= 0 else { return }
        unlink(folder + "/" + FolderLock.fileName)
        close(descriptor)
        descriptor = -1
        if createdFolder { rmdir(folder) }  // fails, harmlessly, unless the folder is empty
    }

    deinit { release() }

    /// The process id written in a lock file, if it holds one.
    private static func holder(_ descriptor: Int32) -> Int32? {
        var bytes = [UInt8](repeating: 0, count: 32)
        let count = pread(descriptor, &bytes, bytes.count, 0)
        guard count > 0 else { return nil }
        return Int32(String(decoding: bytes[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The locks this process holds for its commands.
    private static let held = Mutex<[String: FolderLock]>([:])

    /// The folders whose locks this process holds through `holdForProcess`.
    public static var heldFolders: Set<String> { held.withLock { Set($0.keys) } }

    /// Releases every lock taken through `holdForProcess` but those of `kept`.
    public static func release(keeping kept: Set<String>) {
        let released = held.withLock { locks in
            let gone = locks.filter { !kept.contains($0.key) }
            for key in gone.keys { locks[key] = nil }
            return Array(gone.values)
        }
        for lock in released { lock.release() }
    }

    /// Takes the lock of `folder` until `release(keeping:)` lets it go (the host does after each command),
    /// or the process ends; again for a folder already held: nothing.
    public static func holdForProcess(_ folder: String) throws {
        let key = URL(fileURLWithPath: folder).standardizedFileURL.path
        guard held.withLock({ $0[key] == nil }) else { return }
        let lock = try FolderLock(folder: folder)
        held.withLock { $0[key] = lock }
    }
}
