// AtomicFileWriter: a commit replaces the destination whole, a writer dropped without one leaves the
// destination and the folder as they were; what the path names is respected (devices and FIFOs written
// through, symlinks followed, modes kept, read-only files refused); and the sweep of orphans removes only
// raise's own unlocked temporary files — never another program's files or folders.
import Foundation
@testable import RaiseKit
import RaiseTestSupport
import Synchronization
import XCTest

final class AtomicFileTests: XCTestCase {
    func testCommitReplacesAndAnUncommittedWriterLeavesNothing() throws {
        let folder = try scratchFolder(self)
        let path = folder + "/out.txt"
        try AtomicFile.write("first", to: path)
        do {
            let writer = try AtomicFileWriter(path: path)
            try writer.write("half of the second")
        }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "first")
        try AtomicFile.write("second", to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "second")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["out.txt"])
    }

    func testTheSweepRemovesOnlyRaisesOwnUnlockedTemporaryFiles() throws {
        let folder = try scratchFolder(self)
        let manager = FileManager.default
        // What another program left: a folder and a file named like the old `.NAME.tmp-PID` temporaries.
        try manager.createDirectory(atPath: folder + "/.photos.tmp-999999", withIntermediateDirectories: false)
        XCTAssertTrue(manager.createFile(atPath: folder + "/.photos.tmp-999999/img", contents: Data("x".utf8)))
        XCTAssertTrue(manager.createFile(atPath: folder + "/.config.tmp-999998", contents: Data("y".utf8)))
        // A folder with raise's temporary name is not raise's (raise never makes one).
        try manager.createDirectory(atPath: folder + "/.data.tmp-raise-0123456789abcdef", withIntermediateDirectories: false)
        // A killed writer's file (nobody holds its lock) and a live one (this process holds its lock).
        let orphan = ".out.txt.tmp-raise-00112233445566ff"
        XCTAssertTrue(manager.createFile(atPath: folder + "/" + orphan, contents: Data("half".utf8)))
        let live = ".other.jsonl.tmp-raise-ffeeddccbbaa9988"
        XCTAssertTrue(manager.createFile(atPath: folder + "/" + live, contents: Data()))
        let held = open(folder + "/" + live, O_RDONLY)
        defer { close(held) }
        XCTAssertEqual(flock(held, LOCK_EX), 0)

        try AtomicFile.write("done", to: folder + "/out.txt")
        let left = Set(try manager.contentsOfDirectory(atPath: folder))
        XCTAssertEqual(left, ["out.txt", ".photos.tmp-999999", ".config.tmp-999998", ".data.tmp-raise-0123456789abcdef", live])
        XCTAssertEqual(try String(contentsOfFile: folder + "/.photos.tmp-999999/img", encoding: .utf8), "x")
    }

    /// A sweep running while writers commit (another thread's first commit in the same folder) never takes a
    /// temporary file that is being renamed for an orphan: every commit lands.
    func testASweepDuringCommitsNeverRemovesAWritersFile() throws {
        let folder = try scratchFolder(self)
        let failures = Mutex<[String]>([])
        let done = Atomic<Bool>(false)
        DispatchQueue.concurrentPerform(iterations: 3) { role in
            if role == 0 {
                while !done.load(ordering: .acquiring) { AtomicTemporary.sweep(folder) }
                return
            }
            for index in 0..<2000 {
                do { try AtomicFile.write("\(index)", to: folder + "/out\(role).json") }
                catch { failures.withLock { $0.append("\(error)") } }
            }
            if role == 1 { done.store(true, ordering: .releasing) }
        }
        let failed = failures.withLock { $0 }
        XCTAssertEqual(failed.count, 0, "commits failed, the first: \(failed.first ?? "")")
    }

    func testTemporaryNamesAreRecognisedOnlyInTheirOwnShape() {
        let name = AtomicTemporary.name(for: "scores.jsonl")
        XCTAssertTrue(name.hasPrefix(".scores.jsonl.tmp-raise-"))
        XCTAssertTrue(AtomicTemporary.isTemporaryName(name))
        for other in [".x.tmp-1234", ".x.tmp-raise-12345", ".tmp-raise-0123456789abcdef", "x.tmp-raise-0123456789abcdef",
                      ".x.tmp-raise-0123456789abcdeg"] {
            XCTAssertFalse(AtomicTemporary.isTemporaryName(other), other)
        }
    }

    func testDevicesAndFIFOsAreWrittenThroughNotReplaced() throws {
        try AtomicFile.write("discarded", to: "/dev/null")
        var info = stat()
        XCTAssertEqual(stat("/dev/null", &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFCHR, "/dev/null is still a character device")

        let fifo = try scratchFolder(self) + "/pipe"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let received = Mutex<Data>(Data())
        let reader = Thread {
            guard let handle = FileHandle(forReadingAtPath: fifo) else { return }
            received.withLock { $0 = handle.readDataToEndOfFile() }
        }
        reader.start()
        try AtomicFile.write("through the pipe", to: fifo)
        while !reader.isFinished { usleep(1000) }
        XCTAssertEqual(String(decoding: received.withLock { $0 }, as: UTF8.self), "through the pipe")
        XCTAssertEqual(lstat(fifo, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO, "the FIFO is still a FIFO")
    }

    /// A regular file under /dev (a tmpfs such as /dev/shm) is written like any other: created, then replaced
    /// whole — never appended to as a device would be.
    func testRegularFilesUnderDevAreReplacedNotAppended() throws {
        guard FileManager.default.isWritableFile(atPath: "/dev/shm") else { throw XCTSkip("no writable /dev/shm") }
        let path = "/dev/shm/raise-atomic-test-\(getpid())"
        defer { unlink(path) }
        try AtomicFile.write("first", to: path)
        try AtomicFile.write("second", to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "second")
    }

    func testASymlinkIsFollowedAndTheReplacedFileKeepsItsMode() throws {
        let folder = try scratchFolder(self)
        try manager.createDirectory(atPath: folder + "/real", withIntermediateDirectories: false)
        try AtomicFile.write("old", to: folder + "/real/target.txt")
        XCTAssertEqual(chmod(folder + "/real/target.txt", 0o600), 0)
        try manager.createSymbolicLink(atPath: folder + "/link.txt", withDestinationPath: "real/target.txt")

        try AtomicFile.write("new", to: folder + "/link.txt")
        XCTAssertEqual(try manager.destinationOfSymbolicLink(atPath: folder + "/link.txt"), "real/target.txt", "the link is kept")
        XCTAssertEqual(try String(contentsOfFile: folder + "/real/target.txt", encoding: .utf8), "new")
        var info = stat()
        XCTAssertEqual(stat(folder + "/real/target.txt", &info), 0)
        XCTAssertEqual(info.st_mode & 0o7777, 0o600, "the mode is kept")
        XCTAssertEqual(try manager.contentsOfDirectory(atPath: folder + "/real"), ["target.txt"])

        try manager.createSymbolicLink(atPath: folder + "/dangling.txt", withDestinationPath: "real/new.txt")
        try AtomicFile.write("created", to: folder + "/dangling.txt")
        XCTAssertEqual(try String(contentsOfFile: folder + "/real/new.txt", encoding: .utf8), "created")
    }

    func testReadOnlyFilesAndFoldersAreRefusedAndLongNamesFit() throws {
        let folder = try scratchFolder(self)
        let locked = folder + "/locked.txt"
        try AtomicFile.write("keep me", to: locked)
        XCTAssertEqual(chmod(locked, 0o444), 0)
        XCTAssertThrowsError(try AtomicFile.write("lost", to: locked)) { error in
            XCTAssertTrue("\(error)".contains("locked.txt: is read-only (mode 444)"), "\(error)")
        }
        XCTAssertEqual(try String(contentsOfFile: locked, encoding: .utf8), "keep me")
        XCTAssertThrowsError(try AtomicFile.write("x", to: folder)) { error in
            XCTAssertTrue("\(error)".contains("is a folder"), "\(error)")
        }

        let long = folder + "/" + String(repeating: "n", count: 246)
        try AtomicFile.write("fits", to: long)
        XCTAssertEqual(try String(contentsOfFile: long, encoding: .utf8), "fits")
        XCTAssertEqual(AtomicTemporary.name(for: String(repeating: "é", count: 200)).utf8.count, 254, "cut at a character, within 255 bytes")
    }

    private var manager: FileManager { .default }
}
