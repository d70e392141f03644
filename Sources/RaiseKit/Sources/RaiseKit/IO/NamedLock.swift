// NamedLock: a lock per name within this process, for work that threads may want at the same moment —
// a feature column, a RAISE policy — so that one thread does it while the others wait, then find it done.
// A job that waits gives its share of the cores to the others meanwhile (`CoreSharing.whileWaiting`).
// Between processes, files are written whole and renamed (`AtomicFile`), and output folders are locked
// (`FolderLock`).
import Foundation
import Synchronization

/// Locks by name, within this process.
public enum NamedLock {
    private static let locks = Mutex<[String: NSLock]>([:])

    /// Runs `body` while no other thread of this process runs a body under `name`, waiting (out of the jobs
    /// sharing the cores) for one that does.
    public static func withLock<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        let lock = locks.withLock { locks in
            if let lock = locks[name] { return lock }
            let lock = NSLock()
            locks[name] = lock
            return lock
        }
        if !lock.try() { CoreSharing.whileWaiting { lock.lock() } }
        defer { lock.unlock() }
        return try body()
    }
}
