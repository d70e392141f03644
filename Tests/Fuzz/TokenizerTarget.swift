// TokenizerTarget: byte-level BPE. Property: for any text, decoding its encoding gives the text back,
// byte for byte (special tokens included) but for the bytes the vocabulary has no token for
// (`droppedBytes`); decoding any ids, in the vocabulary or not, never crashes.
// The tokenizers come from RAISE_FUZZ_TOKENIZERS: paths separated by ':', each a GPT-2 style folder
// (vocab.json + merges.txt) or a GGUF model file (`make fuzz` passes GPT-2's, the tests' tiny Llama 3 and SmolLM2's).
import Foundation
import RaiseKit

/// The tokenizers under test, loaded once.
nonisolated(unsafe) let fuzzTokenizers: [BytePairTokenizer] = {  // libFuzzer runs one input at a time
    let paths = (ProcessInfo.processInfo.environment["RAISE_FUZZ_TOKENIZERS"] ?? "").split(separator: ":").map(String.init)
    guard !paths.isEmpty else { fatalError("raise-fuzz bpe: set RAISE_FUZZ_TOKENIZERS to tokenizer folders or GGUF files") }
    return paths.map { path in
        do {
            return path.hasSuffix(".gguf") ? try BytePairTokenizer(gguf: GGUFFile(path: path)) : try BytePairTokenizer(directory: path)
        } catch {
            fatalError("raise-fuzz bpe: \(error)")
        }
    }
}()

/// `bpe`: the input as UTF-8 text (invalid bytes repaired) round-trips; the input as ids decodes.
func fuzzBytePairRoundTrip(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    var ids = [Int32]()
    for k in stride(from: 0, to: bytes.count - 3, by: 4) {
        ids.append(Int32(bitPattern: UInt32(bytes[k]) | UInt32(bytes[k + 1]) << 8 | UInt32(bytes[k + 2]) << 16 | UInt32(bytes[k + 3]) << 24))
    }
    for tokenizer in fuzzTokenizers {
        let encoded = tokenizer.encode(text)
        fuzzCheck(encoded.allSatisfy { $0 >= 0 && Int($0) < tokenizer.vocabularySize }, "an id outside the vocabulary")
        let dropped = Set(tokenizer.droppedBytes)
        fuzzCheck(tokenizer.decodeBytes(encoded) == text.utf8.filter { !dropped.contains($0) },
                  "decode(encode(text)) != text for \(Array(text.utf8))")
        _ = tokenizer.decode(ids)
    }
}

/// `hf-tokenizer`: a Hugging Face `tokenizer.json` and, after the input's first NUL byte, the
/// `tokenizer_config.json` beside it (no NUL: none). Property: loading is a `RaiseError` or a tokenizer that
/// keeps the `tokenizer-folder` properties, and writes itself out as tokenizer.json again in a form it reads
/// back with the same specials, pre-tokenizer and `ignore_merges`.
func fuzzHuggingFaceTokenizer(_ bytes: [UInt8]) {
    writeSplit(bytes, "tokenizer.json", "tokenizer_config.json")
    guard let tokenizer = loadedOrRefused({ try BytePairTokenizer(huggingFace: scratchFolder + "/tokenizer.json") }) else { return }
    checkLoadedTokenizer(tokenizer)
    let again = writtenAndReadBack(tokenizer)
    fuzzCheck(again.specialTokens == tokenizer.specialTokens, "specials changed when written and read back")
    fuzzCheck(again.preTokenizer == tokenizer.preTokenizer && again.ignoresMerges == tokenizer.ignoresMerges,
              "pre-tokenizer or ignore_merges changed when written and read back")
}

/// `tokenizer` written as a Hugging Face tokenizer.json (what a saved or exported model carries) and read
/// back; failing either fails the property.
func writtenAndReadBack(_ tokenizer: BytePairTokenizer) -> BytePairTokenizer {
    do {
        try tokenizer.saveHuggingFace(directory: scratchFolder + "/saved", maxLength: 32)
        return try BytePairTokenizer(huggingFace: scratchFolder + "/saved/tokenizer.json")
    } catch {
        fatalError("property failed: a tokenizer raise read cannot be written and read back: \(error)")
    }
}

/// `tokenizer-folder`: a tokenizer folder's two JSON files from one input, split at its first NUL byte
/// (`encoder.json`, then `raise_tokenizer.json`; no NUL: no `raise_tokenizer.json`), beside a fixed
/// `vocab.bpe`. Property: loading is a `RaiseError` or a tokenizer whose every id is in its vocabulary,
/// that encodes and decodes text, and whose prompt formatter either refuses it or tokenizes a record.
func fuzzTokenizerFolder(_ bytes: [UInt8]) {
    writeSplit(bytes, "encoder.json", "raise_tokenizer.json")
    _ = scratchFile("vocab.bpe", Array("#version: 0.2\n".utf8))
    guard let tokenizer = loadedOrRefused({ try BytePairTokenizer(directory: scratchFolder) }) else { return }
    checkLoadedTokenizer(tokenizer)
}

/// Writes the input up to its first NUL byte as the scratch file `first`, and what follows it as `second`;
/// with no NUL, `second` is removed.
private func writeSplit(_ bytes: [UInt8], _ first: String, _ second: String) {
    let split = bytes.firstIndex(of: 0)
    _ = scratchFile(first, Array(bytes[..<(split ?? bytes.count)]))
    if let split { _ = scratchFile(second, Array(bytes[(split + 1)...])) } else { unlink(scratchFolder + "/" + second) }
}

/// The tokenizer `load` gives, or nil when it refuses the input with a `RaiseError`; any other error fails the property.
private func loadedOrRefused(_ load: () throws -> BytePairTokenizer) -> BytePairTokenizer? {
    do {
        return try load()
    } catch is RaiseError {
        return nil
    } catch {
        fatalError("property failed: not a RaiseError: \(error)")
    }
}

/// What every tokenizer a fuzz target loads must do: give ids in its vocabulary, decode any ids, and either
/// be refused by a prompt template or tokenize a record with it.
private func checkLoadedTokenizer(_ tokenizer: BytePairTokenizer) {
    let ids = tokenizer.encode("ab <|endoftext|> cd")
    fuzzCheck(ids.allSatisfy { $0 >= 0 && Int($0) < tokenizer.vocabularySize }, "an id outside the vocabulary")
    _ = tokenizer.decode(ids + [-1, Int32.max])
    for template in PromptTemplate.allCases {
        guard let formatter = try? PromptFormatter(template: template, tokenizer: tokenizer, maxLength: 32) else { continue }
        _ = formatter.tokenized(InstructionRecord(id: "r", turns: [ChatTurn(.user, "ab"), ChatTurn(.assistant, "cd")],
                                                  source: SourceLocation(file: "fuzz", line: 1), original: .text("ab cd")))
    }
}
