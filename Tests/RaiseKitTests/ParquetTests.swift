// The Parquet reader against pyarrow: every fixture's rows (written by Tests/Fixtures/parquet/make_parquet.py,
// over each codec, page version and encoding pyarrow writes, and nulls, lists, nested lists, structs and
// maps) must equal the rows pyarrow reads, field for field; instruction records and chats read from it;
// an unsupported codec is named; and no damaged byte crashes the reader.
import Foundation
@testable import RaiseKit
import RaiseTestSupport
import XCTest

final class ParquetTests: XCTestCase {
    private let folder = fixturesFolder + "/parquet/"
    private let fixtures = ["alpaca_snappy", "alpaca_delta_gzip", "chat_zstd", "shapes_lz4", "shapes_plain"]

    /// Every row of `name`.parquet as raise reads it.
    private func rows(_ path: String) throws -> [JSONValue] {
        var rows = [JSONValue]()
        try ParquetFile(path: path).forEachRow { row, number in
            XCTAssertEqual(number, rows.count + 1)
            rows.append(.object(row))
        }
        return rows
    }

    func testRowsEqualPyarrows() throws {
        for name in fixtures {
            let expected = try String(contentsOfFile: folder + name + ".expected.jsonl", encoding: .utf8)
                .split(separator: "\n").map { try JSONValue.parse(String($0)) }
            let read = try rows(folder + name + ".parquet")
            XCTAssertEqual(read.count, expected.count, name)
            for (k, (got, want)) in zip(read, expected).enumerated() {
                XCTAssertEqual(got, want, "\(name) row \(k + 1): \(got.serialized) against \(want.serialized)")
            }
        }
    }

    func testInstructionRecordsAndChatsReadFromParquet() throws {
        let (records, reader) = try InstructionReader.readAll(path: folder + "alpaca_snappy.parquet")
        XCTAssertEqual(reader.format, DataFormat(.instruction, .parquet))
        XCTAssertEqual(records.count, 40)
        XCTAssertEqual(records[0].id, "1000")
        XCTAssertEqual(records[0].input, "")  // a null input
        XCTAssertEqual(records[1].input, "context 1")
        XCTAssertEqual(records[39].instruction, "Add 39 and 40.")
        XCTAssertEqual(records[39].output, "79")
        XCTAssertEqual(records[39].task, "open_qa")
        XCTAssertEqual(records[5].source, SourceLocation(file: folder + "alpaca_snappy.parquet", line: 6))

        // --where filters on a column, as on JSON records; the same records from the other encodings.
        let math = try InstructionReader.readAll(path: folder + "alpaca_delta_gzip.parquet", options: ReadOptions(filters: [("category", "math")]))
        XCTAssertEqual(math.records.map(\.instruction), Array(records.prefix(30).map(\.instruction)))
        XCTAssertEqual(math.reader.filteredOut, 10)

        let chats = try InstructionReader.readAll(path: folder + "chat_zstd.parquet").records
        XCTAssertEqual(chats.map { $0.turns.map(\.role) }, [[.system, .user, .assistant], [.user, .assistant], [.user, .assistant, .user, .assistant]])
        XCTAssertEqual(chats[2].turns.last?.content, "done")
    }

    func testAParquetRecordWithoutAnOutputNamesTheRowAndField() throws {
        assertThrows(["shapes_lz4.parquet:1: field 'instruction' missing (the record's fields: big, blob, flag, meta, nested, point, ratio, tags, text;"]) {
            try InstructionReader.readAll(path: self.folder + "shapes_lz4.parquet")
        }
    }

    func testAnUnsupportedCodecIsNamed() throws {
        assertThrows(["alpaca_brotli.parquet: Parquet: row group 1, column 'id': compression BROTLI is not read"]) {
            try InstructionReader.readAll(path: self.folder + "alpaca_brotli.parquet")
        }
    }

    /// Each byte of two fixtures set to 0x00 and to 0xFF in turn, and the files cut short at every length:
    /// each read gives rows or a `RaiseError` naming the file, never a crash or another error.
    func testDamagedFilesAreErrorsNotCrashes() throws {
        let scratch = try scratchFolder(self) + "/damaged.parquet"
        for name in ["chat_zstd", "shapes_plain"] {
            let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + name + ".parquet")))
            var variants = (0..<original.count).flatMap { at in [UInt8(0), 0xFF].map { value in
                var bytes = original
                bytes[at] = value
                return bytes
            } }
            variants += (0..<original.count).map { Array(original.prefix($0)) }
            var refused = 0
            for bytes in variants {
                try Data(bytes).write(to: URL(fileURLWithPath: scratch))
                do {
                    _ = try rows(scratch)
                } catch let error as RaiseError {
                    XCTAssertTrue(error.description.hasPrefix(scratch + ": "), error.description)
                    refused += 1
                }
            }
            XCTAssertGreaterThan(refused, original.count, name)  // every cut file at least, and many damaged ones
        }
    }
}
