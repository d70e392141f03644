// Safetensors: a bit-exact round trip, F16/BF16 decoding, and one test per kind of corrupt header,
// each checking that the error names the file and, where there is one, the tensor.
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class SafetensorsTests: XCTestCase {
    private var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "raise-safetensors-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: directory) }

    /// Safetensors bytes with this header text and data section.
    private func bytes(header: String, body: [UInt8]) -> Data {
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        data.append(contentsOf: body)
        return data
    }

    /// Asserts that decoding fails with a message containing every fragment.
    private func assertRejected(_ data: Data, _ fragments: [String], line: UInt = #line) {
        XCTAssertThrowsError(try Safetensors.decode(data, path: "bad.safetensors"), line: line) { error in
            let message = "\(error)"
            for fragment in ["bad.safetensors"] + fragments {
                XCTAssertTrue(message.contains(fragment), "'\(message)' lacks '\(fragment)'", line: line)
            }
        }
    }

    func testRoundTripIsBitExact() throws {
        var rng = RandomGenerator(seed: 1)
        let a = Tensor(randomNormal: [3, 5], rng: &rng)
        let b = Tensor(shape: [2], values: [.pi, -0.0])
        let scalar = Tensor(scalar: 1e-30)
        let path = directory + "/model.safetensors"
        try Safetensors.write([("a", a), ("b", b), ("s", scalar)], metadata: ["format": "pt"], to: path)
        let file = try Safetensors.read(path: path)
        XCTAssertEqual(file.names, ["a", "b", "s"])
        XCTAssertEqual(file.metadata, ["format": "pt"])
        XCTAssertEqual(file.tensors["a"]!.shape, [3, 5])
        XCTAssertEqual(file.tensors["a"]!.scalars.map(\.bitPattern), a.scalars.map(\.bitPattern))
        XCTAssertEqual(file.tensors["b"]!.scalars.map(\.bitPattern), b.scalars.map(\.bitPattern))
        XCTAssertEqual(file.tensors["s"]!.shape, [])
        let raw = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(raw.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } % 8, 0, "header padded to 8 bytes")
    }

    func testDecodesF16AndBF16() throws {
        // F16 0x3C00 = 1, 0xC000 = −2; BF16 0x3F80 = 1, 0x4049 = 3.140625.
        let header = #"{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]}}"#
        let file = try Safetensors.decode(bytes(header: header, body: [0x00, 0x3C, 0x00, 0xC0, 0x80, 0x3F, 0x49, 0x40]), path: "x")
        XCTAssertEqual(file.tensors["h"]!.scalars, [1, -2])
        XCTAssertEqual(file.tensors["b"]!.scalars, [1, 3.140625])
    }

    func testDecodesIntegersThatFloatHoldsExactly() throws {
        // I64 [3, −2^24], I32 [511]; then an I64 of 2^24 + 1, which Float32 would round.
        var body = [UInt8]()
        for value in [Int64(3), -(1 << 24)] { withUnsafeBytes(of: value.littleEndian) { body += $0 } }
        withUnsafeBytes(of: Int32(511).littleEndian) { body += $0 }
        let header = #"{"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},"n":{"dtype":"I32","shape":[1],"data_offsets":[16,20]}}"#
        let file = try Safetensors.decode(bytes(header: header, body: body), path: "x")
        XCTAssertEqual(file.tensors["ids"]!.scalars, [3, -16_777_216])
        XCTAssertEqual(file.tensors["n"]!.scalars, [511])
        var big = [UInt8]()
        withUnsafeBytes(of: (Int64(1 << 24) + 1).littleEndian) { big += $0 }
        assertRejected(bytes(header: #"{"w":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, body: big),
                       ["tensor 'w'", "16777217", "not exact"])
        // Found by `make fuzz`: Int64.min trapped in abs() instead of being refused.
        var lowest = [UInt8]()
        withUnsafeBytes(of: Int64.min.littleEndian) { lowest += $0 }
        assertRejected(bytes(header: #"{"w":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, body: lowest),
                       ["tensor 'w'", "-9223372036854775808", "not exact"])
    }

    func testRejectsTruncatedFiles() throws {
        assertRejected(Data([1, 2, 3]), ["too short"])
        let empty = try scratchFolder(self) + "/empty.safetensors"
        FileManager.default.createFile(atPath: empty, contents: Data())
        assertThrows([empty, "file of 0 bytes is too short"]) { try Safetensors.read(path: empty) }
        assertRejected(bytes(header: "{}", body: []).prefix(9), ["runs past the end"])
        var huge = Data()
        withUnsafeBytes(of: UInt64(1) << 40) { huge.append(contentsOf: $0) }
        assertRejected(huge, ["exceeds the limit"])
    }

    func testRejectsMalformedHeaders() {
        assertRejected(bytes(header: "{\"a\":", body: []), ["not valid JSON", "1:6"])
        assertRejected(bytes(header: "[1, 2]", body: []), ["not a JSON object"])
        assertRejected(bytes(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{}}"#, body: [0, 0, 0, 0]),
                       ["duplicate key 'a'"])
        assertRejected(bytes(header: #"{"__metadata__":{"k":1}}"#, body: []), ["__metadata__", "'k'"])
    }

    func testRejectsBadTensorEntries() {
        let body = [UInt8](repeating: 0, count: 16)
        func entry(_ info: String) -> Data { bytes(header: "{\"w\":\(info)}", body: body) }
        assertRejected(entry(#"{"shape":[1],"data_offsets":[0,4]}"#), ["tensor 'w'", "'dtype' missing"])
        assertRejected(entry(#"{"dtype":"Q4","shape":[1],"data_offsets":[0,4]}"#), ["tensor 'w'", "unknown dtype 'Q4'"])
        assertRejected(entry(#"{"dtype":"U64","shape":[1],"data_offsets":[0,8]}"#), ["tensor 'w'", "U64 is not supported"])
        assertRejected(entry(#"{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}"#), ["tensor 'w'", "non-negative integer"])
        assertRejected(entry(#"{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}"#), ["tensor 'w'", "non-negative integer"])
        assertRejected(entry(#"{"dtype":"F32","shape":[3],"data_offsets":[0,8]}"#), ["tensor 'w'", "needs 12 bytes", "give 8"])
        assertRejected(entry(#"{"dtype":"F32","shape":[8],"data_offsets":[0,32]}"#), ["tensor 'w'", "past the data section"])
        assertRejected(entry(#"{"dtype":"F32","shape":[1],"data_offsets":[8,4]}"#), ["tensor 'w'", "data_offsets"])
        assertRejected(entry(#"{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}"#), ["tensor 'w'", "too large"])
    }

    func testRejectsOverlappingTensors() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        assertRejected(bytes(header: header, body: [UInt8](repeating: 0, count: 12)), ["tensor 'b'", "overlap", "'a'"])
    }

    func testMissingFileNamesThePath() {
        XCTAssertThrowsError(try Safetensors.read(path: directory + "/missing.safetensors")) { error in
            XCTAssertTrue("\(error)".contains("missing.safetensors"))
        }
    }
}
