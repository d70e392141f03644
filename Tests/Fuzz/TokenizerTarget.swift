// TokenizerTarget: byte-level BPE. Property: for any text, decoding its encoding gives the text back,
// byte for byte (special tokens included) but for the bytes the vocabulary has no token for
// (`droppedBytes`); decoding any ids, in the vocabulary or not, never crashes.
// The tokenizers come from RAISE_FUZZ_TOKENIZERS: paths separated by ':', each a GPT-2 style folder
// (vocab.json + merges.txt) or a GGUF model file (`make fuzz` passes GPT-2's and SmolLM2's).
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
