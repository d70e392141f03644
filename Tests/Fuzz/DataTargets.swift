// DataTargets: the JSON parser and the instruction-file readers. Properties: parsing never crashes;
// a parsed JSON value serializes to text that parses back to the same value; a reader either yields
// records or throws a `RaiseError` that names the file; with skip-invalid it never throws for a bad
// record of JSON lines, and every record it yields has a non-empty id and at least one turn.
import RaiseKit

/// `json`: the parser used by every JSON file raise reads, and its serializer.
func fuzzJSON(_ bytes: [UInt8]) {
    guard let value = try? JSONValue.parse(bytes) else { return }
    let text = value.serialized
    guard let again = try? JSONValue.parse(text) else { fatalError("property failed: serialized JSON does not parse: \(text)") }
    fuzzCheck(again == value, "serialize then parse changed the value: \(text)")
}

/// `jsonl`: JSON lines of instruction records, as `--format jsonl` and as detected; the input's length
/// picks the variant (and whether bad records are skipped), so each input costs one read.
func fuzzJSONLines(_ bytes: [UInt8]) {
    readRecords(bytes, file: "input.jsonl", format: bytes.count % 2 == 0 ? "jsonl" : nil, skipInvalid: bytes.count % 4 >= 2)
}

/// `sharegpt`: ShareGPT conversations (a JSON array or JSON lines) and the OpenAI `messages` schema.
func fuzzShareGPT(_ bytes: [UInt8]) {
    readRecords(bytes, file: "input.json", format: bytes.count % 2 == 0 ? "sharegpt" : "messages", skipInvalid: bytes.count % 4 >= 2)
}

/// Reads `bytes` as a file in `format` (nil: detected).
private func readRecords(_ bytes: [UInt8], file: String, format: String?, skipInvalid: Bool) {
    let path = scratchFile(file, bytes)
    do {
        let options = ReadOptions(format: format, fields: [:], filters: [], skipInvalid: skipInvalid)
        let (records, reader) = try InstructionReader.readAll(path: path, options: options)
        for record in records {
            fuzzCheck(!record.id.isEmpty && !record.turns.isEmpty, "a record without id or turns: \(record)")
        }
        for skipped in reader.skipped { fuzzCheck(skipped.path == path, "a skipped record names another file") }
    } catch let error as RaiseError {
        fuzzCheck(error.description.contains(path), "the error does not name the file: \(error)")
        // Lines are independent records: skipping, nothing in them can stop the read.
        fuzzCheck(!(skipInvalid && format == "jsonl"), "skip-invalid JSON lines stopped at: \(error)")
    } catch {
        fatalError("property failed: an error that is not a RaiseError: \(error)")
    }
}
