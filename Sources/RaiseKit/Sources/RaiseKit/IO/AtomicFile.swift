// AtomicFile: every output of raise is written to a temporary file beside its destination, flushed,
// then renamed over it, so a crash or a full disk never leaves a half-written file behind. What the
// destination path names is respected: a symlink is followed (its target is replaced, the link kept), a
// device, FIFO or socket (`/dev/null`, `/dev/stdout`, a pipe) is written through, a read-only file is
// refused and a replaced file keeps its mode. Temporary files have a name only raise makes
// (`.NAME.tmp-raise-<16 hex>`) and are locked (`flock`) until renamed into place; an orphan is removed only when it is
// such a regular file and nobody holds its lock, so raise never removes what another program is writing.
import Foundation
import Synchronization

/// A file being written: content goes to a temporary file that `commit()` renames into place. If the
/// writer is dropped without a commit, the temporary file is removed and the destination is untouched.
public final class AtomicFileWriter {
    /// The destination, as given.
    public let path: String
    /// Where the bytes go: the temporary file, or the destination itself when it is written through.
    private let target: AtomicTarget
    /// The temporary file of a replacing writer ("" when writing through).
    private var temporaryPath = ""
    private var descriptor: Int32
    private var buffer = Data()
    private var finished = false

    /// Opens a temporary file beside `path` (beside a symlink's target), or `path` itself when it is a
    /// device, FIFO or socket.
    ///
    /// - Throws: `RaiseError.file` naming `path` when the folder is missing or not writable, when `path` is
    ///   a folder or a read-only file.
    public init(path: String) throws {
        self.path = path
        target = try AtomicTarget(path: path)
        switch target {
        case .writeThrough:
            descriptor = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw RaiseError.file(path: path, detail: "cannot open for writing: \(String(cString: strerror(errno)))")
            }
        case let .replace(destination, mode, owner):
            let temporary = try AtomicTemporary.create(beside: destination, for: path)
            descriptor = temporary.descriptor
            temporaryPath = temporary.path
            if let mode { fchmod(descriptor, mode) }
            if let owner, geteuid() == 0 { _ = fchown(descriptor, owner.user, owner.group) }
        }
    }

    deinit {
        if !finished {
            if !temporaryPath.isEmpty { unlink(temporaryPath) }  // unlinked while still locked
            if descriptor >= 0 { close(descriptor) }
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

    /// Flushes to disk and renames the temporary file over the destination (or, written through, closes it).
    ///
    /// - Throws: `RaiseError.file` naming `path` when the disk is full or the rename fails; the previous
    ///   content of `path`, if any, is then untouched.
    public func commit() throws {
        try flush()
        guard case let .replace(destination, _, _) = target else {
            let closed = close(descriptor)
            descriptor = -1
            finished = true
            guard closed == 0 else { throw failure("write") }
            return
        }
        guard fsync(descriptor) == 0 else { throw failure("write") }
        // Renamed while still locked: once the lock is released, a sweep (another thread's, another
        // process's) may take an unlocked temporary file for an orphan; renamed first, there is none.
        guard rename(temporaryPath, destination) == 0 else { throw failure("replacing the file") }
        finished = true
        let closed = close(descriptor)  // releases the lock
        descriptor = -1
        guard closed == 0 else { throw failure("write") }
        AtomicTemporary.removeOrphans(in: URL(fileURLWithPath: destination).deletingLastPathComponent().path)
    }
}

/// What a destination path names, and so how it is written.
enum AtomicTarget {
    /// A device, FIFO or socket, or a name of an open descriptor (`/dev/stdout`, `/dev/fd/N`, `/proc/…/fd/N`,
    /// which may lead to a regular file the shell opened): opened and written in place, appending.
    case writeThrough
    /// A regular file (existing or new) at `destination` (a symlink's target, resolved): written beside it and
    /// renamed over it, keeping the mode and owner of the file it replaces.
    case replace(destination: String, mode: mode_t?, owner: (user: uid_t, group: gid_t)?)

    /// Looks at `path` (following a chain of symlinks) and says how to write it.
    ///
    /// - Throws: `RaiseError.file` when `path` is a folder, a read-only file or a symlink loop.
    init(path: String) throws {
        var current = path
        for _ in 0..<40 {
            if AtomicTarget.namesOpenDescriptor(current) {
                self = .writeThrough
                return
            }
            var info = stat()
            guard lstat(current, &info) == 0 else {
                self = .replace(destination: current, mode: nil, owner: nil)  // a new file (or a dangling link's target)
                return
            }
            switch info.st_mode & S_IFMT {
            case S_IFLNK:
                current = try AtomicTarget.linkTarget(of: current, path: path)
            case S_IFREG:
                guard info.st_mode & 0o222 != 0 else {
                    throw RaiseError.file(path: path, detail: String(format: "is read-only (mode %o); raise does not replace it: make it writable, or choose another output", info.st_mode & 0o7777))
                }
                self = .replace(destination: current, mode: info.st_mode & 0o7777, owner: (info.st_uid, info.st_gid))
                return
            case S_IFDIR:
                throw RaiseError.file(path: path, detail: "is a folder; expected a file to write")
            default:
                self = .writeThrough  // character or block device, FIFO, socket
                return
            }
        }
        throw RaiseError.file(path: path, detail: "too many levels of symbolic links")
    }

    /// Whether `path` names a descriptor the process has open (written through whatever file it leads to).
    static func namesOpenDescriptor(_ path: String) -> Bool {
        ["/dev/stdout", "/dev/stderr"].contains(path) || path.hasPrefix("/dev/fd/") || path.hasPrefix("/proc/")
    }

    /// Where the symlink at `link` points, as a path (relative targets taken from the link's folder).
    private static func linkTarget(of link: String, path: String) throws -> String {
        var bytes = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(link, &bytes, Int(PATH_MAX))
        guard count > 0 else {
            throw RaiseError.file(path: path, detail: "cannot read the symbolic link \(link): \(String(cString: strerror(errno)))")
        }
        let target = String(decoding: bytes[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if target.hasPrefix("/") { return target }
        return URL(fileURLWithPath: link).deletingLastPathComponent().appendingPathComponent(target).path
    }
}

/// The temporary files of atomic writes: named `.NAME.tmp-raise-<16 hex>`, locked while written.
enum AtomicTemporary {
    /// The mark between the destination's name and the random token.
    static let marker = ".tmp-raise-"

    /// Creates and locks a new temporary file beside `destination`; `path` names the output in errors.
    static func create(beside destination: String, for path: String) throws -> (descriptor: Int32, path: String) {
        let url = URL(fileURLWithPath: destination)
        let folder = url.deletingLastPathComponent().path
        for _ in 0..<8 {
            let candidate = folder + "/" + name(for: url.lastPathComponent)
            let descriptor = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o666)
            if descriptor < 0 && errno == EEXIST { continue }
            guard descriptor >= 0 else {
                throw RaiseError.file(path: path, detail: "cannot create a file in \(folder): \(String(cString: strerror(errno)))")
            }
            // Locked before anything is written; a sweeper that took the lock first has unlinked the file. On a
            // file system without locks the file stays unlocked, and no sweeper can lock it to remove it.
            _ = flock(descriptor, LOCK_EX)
            var info = stat()
            if fstat(descriptor, &info) == 0, info.st_nlink > 0 { return (descriptor, candidate) }
            close(descriptor)
        }
        throw RaiseError.file(path: path, detail: "cannot create a temporary file in \(folder)")
    }

    /// `.NAME.tmp-raise-<16 hex>`, with NAME cut (at a character) so the whole fits the 255-byte name limit.
    static func name(for destinationName: String) -> String {
        var token = ""
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<16 { token += String(Int.random(in: 0..<16, using: &generator), radix: 16) }
        let room = 255 - 1 - marker.utf8.count - token.utf8.count
        var stem = ""
        for character in destinationName {
            guard stem.utf8.count + character.utf8.count <= room else { break }
            stem.append(character)
        }
        return "." + stem + marker + token
    }

    /// Whether `name` has the shape of raise's temporary files.
    static func isTemporaryName(_ name: String) -> Bool {
        guard name.hasPrefix("."), let range = name.range(of: marker, options: .backwards) else { return false }
        let token = name[range.upperBound...]
        return range.lowerBound > name.index(after: name.startIndex) && token.count == 16 && token.allSatisfy(\.isHexDigit)
    }

    /// The folders this process has already swept.
    private static let sweptFolders = Mutex<Set<String>>([])

    /// Removes the temporary files that writers killed mid-write left in `folder`: regular files with raise's
    /// temporary name whose lock nobody holds. Folders, links, other names and files being written are left
    /// alone. Once per folder and process: a folder of thousands of chunk files is not listed at every commit.
    static func removeOrphans(in folder: String) {
        guard sweptFolders.withLock({ $0.insert(folder).inserted }) else { return }
        sweep(folder)
    }

    /// One sweep of `folder` (what `removeOrphans` does the first time it sees the folder).
    static func sweep(_ folder: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where isTemporaryName(name) {
            let candidate = folder + "/" + name
            let descriptor = open(candidate, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            guard descriptor >= 0 else { continue }
            // Locked, and still the file the name leads to: a writer may have renamed it into place (and
            // released its lock) since it was opened here; then the name leads elsewhere or nowhere.
            var info = stat(), named = stat()
            if fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG, flock(descriptor, LOCK_EX | LOCK_NB) == 0,
               lstat(candidate, &named) == 0, named.st_dev == info.st_dev, named.st_ino == info.st_ino {
                unlink(candidate)
            }
            close(descriptor)
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

    /// Whether a file's `name` is that of an atomic write's temporary file (left behind when a write was killed).
    public static func isTemporary(name: String) -> Bool { name.contains(AtomicTemporary.marker) }

    /// The file a write to `path` would replace (a symlink's target), or the path itself when something
    /// that cannot be written is there (a folder, a read-only file); nil for a new file, a device, FIFO or
    /// socket.
    public static func existingFile(at path: String) -> String? {
        switch try? AtomicTarget(path: path) {
        case let .replace(destination, mode, _)? where mode != nil: return destination
        case nil: return FileManager.default.fileExists(atPath: path) ? path : nil  // a folder, a read-only file
        default: return nil
        }
    }
}
