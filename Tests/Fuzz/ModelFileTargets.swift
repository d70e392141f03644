// ModelFileTargets: the safetensors and GGUF readers. Properties: a malformed file is an error naming
// it, never a crash or an out-of-bounds read (AddressSanitizer watches); a safetensors file that reads
// writes back as F32 and reads again to the same tensors, bit for bit; every tensor a GGUF header
// describes can be read, and a GGUF vocabulary either builds a tokenizer or is refused.
import Foundation
import RaiseKit

/// `safetensors`: the header reader and the F32/F16/BF16/I64/I32 conversions.
func fuzzSafetensors(_ bytes: [UInt8]) {
    let path = "fuzz.safetensors"
    let file: SafetensorsFile
    do {
        file = try Safetensors.decode(Data(bytes), path: path)
    } catch {
        fuzzCheck("\(error)".contains(path), "the error does not name the file: \(error)")
        return
    }
    let tensors = file.names.map { (name: $0, tensor: file.tensors[$0]!) }
    guard let again = try? Safetensors.decode(Safetensors.encode(tensors, metadata: file.metadata), path: path) else {
        fatalError("property failed: a file that read does not read after writing it back")
    }
    fuzzCheck(again.names == file.names && again.metadata == file.metadata, "names or metadata changed on a round trip")
    for name in file.names {
        let (before, after) = (file.tensors[name]!, again.tensors[name]!)
        fuzzCheck(before.shape == after.shape && before.scalars.map(\.bitPattern) == after.scalars.map(\.bitPattern),
                  "tensor '\(name)' changed on a round trip")
    }
}

/// `gguf`: the GGUF header, metadata values of every type, tensor descriptions, dequantization and the
/// tokenizer read from metadata, which must export to a tokenizer.json that reads back alike.
func fuzzGGUF(_ bytes: [UInt8]) {
    let path = scratchFile("input.gguf", bytes)
    let file: GGUFFile
    do {
        file = try GGUFFile(path: path)
    } catch {
        fuzzCheck("\(error)".contains(path), "the error does not name the file: \(error)")
        return
    }
    for info in file.tensors {
        guard let tensor = try? file.tensor(info.name) else { fatalError("property failed: a described tensor cannot be read") }
        fuzzCheck(tensor.shape == info.shape, "tensor '\(info.name)' read with another shape")
    }
    do {
        let tokenizer = try BytePairTokenizer(gguf: file)
        let text = "fuzz <|im_start|> é 123"
        _ = tokenizer.decodeBytes(tokenizer.encode(text))
        let exported = writtenAndReadBack(tokenizer)  // what an exported model carries
        fuzzCheck(exported.specialTokens.byText == tokenizer.specialTokens.byText, "the tokens matched as text changed on export")
        fuzzCheck(exported.encode(text) == tokenizer.encode(text), "the exported tokenizer encodes otherwise")
    } catch {
        fuzzCheck("\(error)".contains(path), "the tokenizer error does not name the file: \(error)")
    }
}
