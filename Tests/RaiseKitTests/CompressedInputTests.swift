// Gzip and Zstandard inputs: read decompressed, past the first member or frame, as the plain file they
// hold (Tests/Fixtures/compressed/make_compressed.py); a file cut short or damaged is an error naming it.
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class CompressedInputTests: XCTestCase {
    private let folder = fixturesFolder + "/compressed/"

    func testGzipAndZstandardFilesReadAsThePlainFile() throws {
        let plain = try InstructionReader.readAll(path: fixturesFolder + "/parquet/alpaca_snappy.expected.jsonl").records
        XCTAssertEqual(plain.count, 40)
        for name in ["alpaca.jsonl.gz", "alpaca.jsonl.zst"] {
            let (records, reader) = try InstructionReader.readAll(path: folder + name)
            XCTAssertEqual(reader.format, DataFormat(.instruction, .jsonLines), name)
            XCTAssertEqual(records.map(\.id), plain.map(\.id), name)
            XCTAssertEqual(records.map(\.turns), plain.map(\.turns), name)
            XCTAssertEqual(records.map(\.input), plain.map(\.input), name)
            XCTAssertEqual(records.last?.source.line, 40, name)  // lines are those of the text inside
        }
    }

    func testCutOrDamagedFilesAreErrorsNamingThem() throws {
        let scratch = try scratchFolder(self)
        for (name, format) in [("alpaca.jsonl.gz", "gzip"), ("alpaca.jsonl.zst", "zstd")] {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + name)))
            let cut = scratch + "/cut-" + name
            try Data(bytes.prefix(bytes.count / 3)).write(to: URL(fileURLWithPath: cut))
            assertThrows([cut, "ends inside its \(format) data"]) { try InstructionReader.readAll(path: cut) }

            var flipped = bytes
            flipped[bytes.count / 4] ^= 0xFF
            let damaged = scratch + "/damaged-" + name
            try Data(flipped).write(to: URL(fileURLWithPath: damaged))
            XCTAssertThrowsError(try InstructionReader.readAll(path: damaged), name) { error in
                XCTAssertTrue("\(error)".hasPrefix(damaged + ":"), "\(error)")
            }
        }
    }
}
