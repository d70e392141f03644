// Byte-level BPE: GPT-2's exact ids against the HF `tokenizers` package (fixture made once by
// Tests/Fixtures/tokenizer/make_gpt2_fixture.py), and exact round trips on random Unicode text.
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class TokenizerTests: XCTestCase {
    private func gpt2() throws -> BytePairTokenizer {
        _ = try sharedData("gpt2-tokenizer/encoder.json")
        return try BytePairTokenizer(directory: sharedDataFolder + "/gpt2-tokenizer")
    }

    func testGPT2KnownIds() throws {
        let tokenizer = try gpt2()
        XCTAssertEqual(tokenizer.vocabularySize, 50257)
        XCTAssertEqual(tokenizer.encode("Hello world"), [15496, 995])
        XCTAssertEqual(tokenizer.encode("Hello world, this is GPT-2."), [15496, 995, 11, 428, 318, 402, 11571, 12, 17, 13])
        XCTAssertEqual(tokenizer.specialTokens.eos, 50256)
        XCTAssertEqual(tokenizer.encode("a<|endoftext|>b"), [64, 50256, 65])
    }

    func testGPT2MatchesHFTokenizersOnVariedText() throws {
        let tokenizer = try gpt2()
        let data = try XCTUnwrap(FileManager.default.contents(atPath: fixturesFolder + "/tokenizer/gpt2_ids.json"))
        let cases = try XCTUnwrap(JSONValue.parse([UInt8](data)).objectValue?["cases"]?.arrayValue)
        XCTAssertGreaterThan(cases.count, 10)
        for item in cases {
            let object = try XCTUnwrap(item.objectValue)
            let text = try XCTUnwrap(object["text"]?.stringValue)
            let expected = try XCTUnwrap(object["ids"]?.arrayValue).map { Int32($0.intValue!) }
            XCTAssertEqual(tokenizer.encode(text), expected, text)
            XCTAssertEqual(tokenizer.decode(expected), text)
        }
    }

    func testRandomUnicodeRoundTripsExactly() throws {
        let tokenizer = try gpt2()
        var rng = RandomGenerator(seed: 11)
        let ranges: [ClosedRange<UInt32>] = [0x20...0x7E, 0x00...0x1F, 0xA0...0x24F, 0x370...0x3FF, 0x400...0x4FF, 0x590...0x6FF,
                                             0x900...0x97F, 0x3040...0x30FF, 0x4E00...0x4FFF, 0xAC00...0xAD00, 0x1F300...0x1F6FF,
                                             0x2000...0x206F, 0x300...0x36F, 0xFE00...0xFE0F]
        for _ in 0..<300 {
            var text = ""
            for _ in 0..<rng.nextInt(below: 60) {
                let range = ranges[rng.nextInt(below: ranges.count)]
                if let scalar = Unicode.Scalar(range.lowerBound + UInt32(rng.nextInt(below: Int(range.upperBound - range.lowerBound) + 1))) {
                    text.unicodeScalars.append(scalar)
                }
                if rng.nextInt(below: 5) == 0 { text += [" ", "  ", "\n", "'s", "<|endoftext|>", "123"][rng.nextInt(below: 6)] }
            }
            let ids = tokenizer.encode(text)
            XCTAssertEqual(tokenizer.decodeBytes(ids), Array(text.utf8), text.debugDescription)
        }
    }

    func testMalformedVocabularyFilesNameTheFile() throws {
        let folder = try scratchFolder(self)
        assertThrows([folder + "/encoder.json", "cannot open"]) { try BytePairTokenizer(directory: folder) }
        try #"{"a": 0"#.write(toFile: folder + "/encoder.json", atomically: true, encoding: .utf8)
        assertThrows([folder + "/encoder.json:1:"]) { try BytePairTokenizer(directory: folder) }
        try #"{"a": 0, "b": 1}"#.write(toFile: folder + "/encoder.json", atomically: true, encoding: .utf8)
        try "#version: 0.2\na b\n".write(toFile: folder + "/vocab.bpe", atomically: true, encoding: .utf8)
        assertThrows(["merge 1 ('a b') names a token missing from the vocabulary"]) { try BytePairTokenizer(directory: folder) }
        try "#version: 0.2\na b c\n".write(toFile: folder + "/vocab.bpe", atomically: true, encoding: .utf8)
        assertThrows([folder + "/vocab.bpe:2:", "two tokens"]) { try BytePairTokenizer(directory: folder) }
    }
}

final class BytePairTrainerTests: XCTestCase {
    private let corpus = (0..<200).map { i in "the cat sat on the mat \(i % 7); the dog ate the hat. Über naïve café #\(i)" }

    func testTrainsTheRequestedSizeDeterministicallyAndRoundTrips() throws {
        let a = try BytePairTrainer.train(texts: corpus, vocabularySize: 300)
        let b = try BytePairTrainer.train(texts: corpus, vocabularySize: 300)
        XCTAssertEqual(a.vocabularySize, 300)
        XCTAssertEqual(a.mergeList.count, 300 - 256 - BytePairTrainer.defaultSpecials.count)
        XCTAssertTrue(a.mergeList.elementsEqual(b.mergeList) { $0.0 == $1.0 && $0.1 == $1.1 }, "deterministic")
        // The most frequent pair of the corpus is merged first: "Ġt"+"he"-style pieces make " the" one token.
        XCTAssertEqual(a.encode(" the").count, 1)
        for text in corpus.prefix(20) + ["unseen wörds 😀 <|im_start|>user\nhi<|im_end|>"] {
            XCTAssertEqual(a.decodeBytes(a.encode(text)), Array(text.utf8))
        }
        XCTAssertEqual(a.encode("<|im_start|>").count, 1)
        XCTAssertEqual(a.specialTokens.eos, a.specialTokens.byText["<|endoftext|>"])
    }

    func testSavedVocabularyReloadsIdentically() throws {
        let trained = try BytePairTrainer.train(texts: corpus, vocabularySize: 320)
        let folder = try scratchFolder(self)
        try trained.save(directory: folder)
        let loaded = try BytePairTokenizer(directory: folder)
        XCTAssertEqual(loaded.vocabularySize, trained.vocabularySize)
        XCTAssertEqual(loaded.specialTokens, trained.specialTokens)
        for text in corpus.prefix(10) + ["<|endoftext|> tail"] { XCTAssertEqual(loaded.encode(text), trained.encode(text)) }
    }

    /// The Hugging Face files raise writes (what a model folder carries for transformers) read back as the
    /// same tokenizer: ids, specials and roles — GPT-2's pre-tokenizer and SmolLM2's digit split alike.
    func testHuggingFaceFilesReloadIdentically() throws {
        let folder = try scratchFolder(self)
        try BytePairTrainer.train(texts: corpus, vocabularySize: 320).save(directory: folder + "/raise")
        let settings = folder + "/raise/raise_tokenizer.json"
        let texts = corpus.prefix(10) + ["<|endoftext|> tail 12345", "unseen wörds 😀 <|im_start|>user\nhi<|im_end|>"]
        for preTokenizer in PreTokenizer.allCases {
            var extras = try JSONValue.readObject(path: settings)
            extras["pre_tokenizer"] = .string(preTokenizer.rawValue)
            try AtomicFile.write(JSONValue.object(extras).serialized, to: settings)
            let tokenizer = try BytePairTokenizer(directory: folder + "/raise")
            XCTAssertEqual(tokenizer.preTokenizer, preTokenizer)
            let hf = folder + "/\(preTokenizer)"
            try tokenizer.saveHuggingFace(directory: hf, maxLength: 64)
            let loaded = try BytePairTokenizer(huggingFace: hf + "/tokenizer.json")
            XCTAssertEqual(loaded.preTokenizer, preTokenizer)
            XCTAssertEqual(loaded.specialTokens, tokenizer.specialTokens)
            XCTAssertEqual(loaded.vocabularySize, tokenizer.vocabularySize)
            for text in texts { XCTAssertEqual(loaded.encode(text), tokenizer.encode(text), text) }
        }
    }

    /// A tokenizer.json whose added tokens repeat a text or an id, or whose vocabulary gives one id twice or
    /// an added token's id, is refused naming the field (written back, such a clash lost a token: found by
    /// `make fuzz`, hf-tokenizer); a
    /// tokenizer without PAD is written with `pad_token: null` and read back without one (it read back EOS).
    func testHuggingFaceAddedTokensMustNotShareIds() throws {
        let folder = try scratchFolder(self)
        let noPad = try BytePairTokenizer(vocabulary: Dictionary(uniqueKeysWithValues: (0..<256).map { ([UInt8($0)], Int32($0)) }), merges: [],
                                          specials: ["<|im_end|>": 256, "<|endoftext|>": 257], roles: (nil, 256, nil))
        try noPad.saveHuggingFace(directory: folder, maxLength: 16)
        XCTAssertEqual(try BytePairTokenizer(huggingFace: folder + "/tokenizer.json").specialTokens, noPad.specialTokens)

        let path = folder + "/tokenizer.json", original = try JSONValue.readObject(path: path)
        var model = try XCTUnwrap(original["model"]?.objectValue), vocabulary = try XCTUnwrap(model["vocab"]?.objectValue)
        vocabulary["a"] = .number(257)
        model["vocab"] = .object(vocabulary)
        var clash = original
        clash["model"] = .object(model)
        try AtomicFile.write(JSONValue.object(clash).serialized, to: path)
        assertThrows([path, "field 'model.vocab'", "token 'a' has id 257, which the added token '<|endoftext|>' holds"]) {
            _ = try BytePairTokenizer(huggingFace: path)
        }
        vocabulary["a"] = .number(98)
        model["vocab"] = .object(vocabulary)
        clash["model"] = .object(model)
        try AtomicFile.write(JSONValue.object(clash).serialized, to: path)
        assertThrows([path, "field 'model.vocab'", "have the same id 98"]) { _ = try BytePairTokenizer(huggingFace: path) }
        var repeated = original
        let added = try XCTUnwrap(original["added_tokens"]?.arrayValue)
        repeated["added_tokens"] = .array(added + [added[0]])
        try AtomicFile.write(JSONValue.object(repeated).serialized, to: path)
        assertThrows([path, "field 'added_tokens'", "repeats the text or the id of an earlier entry"]) { _ = try BytePairTokenizer(huggingFace: path) }
    }

    /// Each damage of a saved folder is an error naming the file and field (each of these trapped, or
    /// allocated gigabytes, or grew the vocabulary, before the folder was checked whole).
    func testADamagedFolderIsRefusedNamingFileAndField() throws {
        let trained = try BytePairTrainer.train(texts: corpus, vocabularySize: 300)
        let folder = try scratchFolder(self)
        try trained.save(directory: folder)
        let extrasPath = folder + "/raise_tokenizer.json", encoderPath = folder + "/encoder.json"
        let extras = try String(contentsOfFile: extrasPath, encoding: .utf8), encoder = try String(contentsOfFile: encoderPath, encoding: .utf8)
        let endOfText = trained.specialTokens.byText["<|endoftext|>"]!
        func damaged(_ file: String, _ original: String, _ from: String, _ to: String, _ expected: [String]) throws {
            XCTAssertTrue(original.contains(from), "fixture: \(from)")
            try original.replacingOccurrences(of: from, with: to).write(toFile: file, atomically: true, encoding: .utf8)
            assertThrows(expected) { try BytePairTokenizer(directory: folder) }
            try original.write(toFile: file, atomically: true, encoding: .utf8)
        }
        try damaged(extrasPath, extras, "\"eos\":\(endOfText)", "\"eos\":99999", [extrasPath, "field 'eos': 99999 is not the id of one of the special tokens"])
        try damaged(extrasPath, extras, "\"eos\":\(endOfText)", "\"eos\":-1", [extrasPath, "field 'eos'"])
        try damaged(extrasPath, extras, "\"eos\":\(endOfText)", "\"eos\":4294967296", [extrasPath, "field 'eos'"])
        let noEnd = try BytePairTokenizer(vocabulary: [[97]: 0], merges: [], specials: ["<|pad|>": 1], roles: (nil, 0, nil))
        assertThrows(["template plain", "no end-of-sequence special token"]) { try PromptFormatter(template: .plain, tokenizer: noEnd, maxLength: 8) }
        try damaged(extrasPath, extras, "\"<|endoftext|>\":\(endOfText)", "\"<|endoftext|>\":-1", [extrasPath, "field 'specials': '<|endoftext|>' is -1"])
        try damaged(extrasPath, extras, "\"bos\":\(endOfText)", "\"bos\":7", [extrasPath, "field 'bos': 7 is not the id of one of the special tokens"])
        try damaged(extrasPath, extras, "\"<|endoftext|>\":\(endOfText)", "\"<|endoftext|>\":2000000000", [extrasPath, "'<|endoftext|>' is 2000000000"])
        try damaged(extrasPath, extras, "\"<|endoftext|>\":\(endOfText)", "\"\":\(endOfText)", [extrasPath, "empty text"])
        try damaged(extrasPath, extras, "\"pre_tokenizer\":\"gpt2\"", "\"pre_tokenizer\":\"bogus\"", [extrasPath, "field 'pre_tokenizer'"])
        try damaged(extrasPath, extras, "\"non_special\":[]", "\"non_special\":[5]", [extrasPath, "field 'non_special': 5 is not the id of one of the special tokens"])
        try damaged(encoderPath, encoder, "\"<|endoftext|>\":\(endOfText)", "\"<|endoftext|>\":100000", [encoderPath, "id 100000 is beyond the 300 tokens"])
        try damaged(encoderPath, encoder, "\"<|endoftext|>\":\(endOfText)", "\"<|endoftext|>\":0", [encoderPath, "have the same id 0"])
        try damaged(encoderPath, encoder, "\"<|endoftext|>\":\(endOfText)", "\"<|endoftext|>\":3000000000", [encoderPath, "beyond the 300 tokens"])
        XCTAssertEqual(try BytePairTokenizer(directory: folder).encode("the cat"), trained.encode("the cat"), "the restored folder loads")
    }

    func testRejectsASizeThatCannotHoldTheBytes() {
        assertThrows(["--vocab", "cannot hold 256 bytes"]) { try BytePairTrainer.train(texts: ["x"], vocabularySize: 200) }
    }
}
