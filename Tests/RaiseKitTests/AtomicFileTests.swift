// AtomicFileWriter: a commit replaces the destination whole, a writer dropped without one leaves the
// destination and the folder as they were, and the first commit into a folder removes the temporary
// files of writers whose process is gone — and only those.
import Foundation
import RaiseKit
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

    func testTheFirstCommitIntoAFolderRemovesOrphansOfDeadProcessesOnly() throws {
        let folder = try scratchFolder(self)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")  // its process id is surely gone once it exits
        try child.run()
        child.waitUntilExit()
        let orphans = [".other.jsonl.tmp-\(child.processIdentifier)", ".out.txt.tmp-\(child.processIdentifier)"]
        let live = ".other.jsonl.tmp-\(getpid())"  // a writer of this very process, still writing
        for name in orphans + [live, "notes.tmp-\(child.processIdentifier)"] {
            XCTAssertTrue(FileManager.default.createFile(atPath: folder + "/" + name, contents: Data("x".utf8)))
        }
        try AtomicFile.write("done", to: folder + "/out.txt")
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: folder))
        XCTAssertEqual(left, ["out.txt", live, "notes.tmp-\(child.processIdentifier)"])
    }
}
