// DataTargets: the JSON parser and the instruction-file readers. Properties: parsing never crashes;
// a parsed JSON value serializes to text that parses back to the same value; a reader either yields
// records or throws a `RaiseError` that names the file; with skip-invalid it never throws for a bad
// record of JSON lines (damaged gzip or Zstandard data around them stops the read), and every record it
// yields has a non-empty id and at least one turn; a headed CSV file's records, written back, read again
// as the same records; a Parquet file's rows are assembled or refused, never a crash.
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

/// `csv`: CSV files, MMLU rows or rows under a header, as detected and as `--format csv`; the records of a
/// headed file are written back (the header, then the cells by column) and must read again the same.
func fuzzCSV(_ bytes: [UInt8]) {
    readRecords(bytes, file: "input.csv", format: bytes.count % 2 == 0 ? "csv" : nil, skipInvalid: bytes.count % 4 >= 2) { records, reader in
        guard reader.format.columns != nil, !records.isEmpty else { return }
        let copy = scratchFile("copy.csv", [])
        do {
            try RecordWriter.write(records, format: reader.format, to: copy)
            let again = try InstructionReader.readAll(path: copy, options: ReadOptions(format: "csv")).records
            fuzzCheck(again.map(\.turns) == records.map(\.turns) && again.map(\.input) == records.map(\.input),
                      "a headed CSV file written back reads as other records")
        } catch {
            fatalError("property failed: a headed CSV file written back does not read: \(error)")
        }
    }
}

/// `parquet`: Parquet files (footer, page headers, codecs, encodings, row assembly), as detected and as
/// `--format parquet`; skipping invalid records, every row is assembled even when it is no instruction record.
func fuzzParquet(_ bytes: [UInt8]) {
    readRecords(bytes, file: "input.parquet", format: bytes.count % 2 == 0 ? "parquet" : nil, skipInvalid: bytes.count % 4 >= 2)
}

/// Reads `bytes` as a file in `format` (nil: detected), then hands what it read to `check`.
private func readRecords(_ bytes: [UInt8], file: String, format: String?, skipInvalid: Bool,
                         check: ([InstructionRecord], InstructionReader) -> Void = { _, _ in }) {
    let path = scratchFile(file, bytes)
    do {
        let options = ReadOptions(format: format, fields: [:], filters: [], skipInvalid: skipInvalid)
        let (records, reader) = try InstructionReader.readAll(path: path, options: options)
        for record in records {
            fuzzCheck(!record.id.isEmpty && !record.turns.isEmpty, "a record without id or turns: \(record)")
        }
        for skipped in reader.skipped { fuzzCheck(skipped.path == path, "a skipped record names another file") }
        check(records, reader)
    } catch let error as RaiseError {
        fuzzCheck(error.description.contains(path), "the error does not name the file: \(error)")
        // Lines are independent records: skipping, nothing in them can stop the read; damaged compressed data can.
        let compressedDataError = ["its gzip data", "its zstd data"].contains(where: error.description.contains)
        fuzzCheck(!(skipInvalid && format == "jsonl") || compressedDataError, "skip-invalid JSON lines stopped at: \(error)")
    } catch {
        fatalError("property failed: an error that is not a RaiseError: \(error)")
    }
}
