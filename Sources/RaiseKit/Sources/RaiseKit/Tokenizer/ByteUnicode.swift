// ByteUnicode: GPT-2's reversible map from the 256 byte values to printable Unicode characters, so
// that byte-level BPE vocabularies can be stored as JSON strings (encoder.json, vocab.bpe).

/// GPT-2's bytes_to_unicode table.
enum ByteUnicode {
    /// The character standing for each byte.   (256)
    static let characters: [Character] = {
        var printable = Array(33...126) + Array(161...172) + Array(174...255)
        var codes = printable
        var extra = 0
        for byte in 0..<256 where !printable.contains(byte) {
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
        }
        var table = [Character](repeating: " ", count: 256)
        for (byte, code) in zip(printable, codes) { table[byte] = Character(Unicode.Scalar(UInt32(code))!) }
        return table
    }()

    /// The byte each table character stands for.
    static let bytes: [Character: UInt8] = {
        var map = [Character: UInt8]()
        for (byte, character) in characters.enumerated() { map[character] = UInt8(byte) }
        return map
    }()

    /// The table string of a byte sequence.
    static func string(_ bytes: some Sequence<UInt8>) -> String { String(bytes.map { characters[Int($0)] }) }

    /// The bytes of a table string, or nil when it holds a character outside the table.
    static func bytes(of string: String) -> [UInt8]? {
        var result = [UInt8]()
        for character in string {
            guard let byte = bytes[character] else { return nil }
            result.append(byte)
        }
        return result
    }
}
