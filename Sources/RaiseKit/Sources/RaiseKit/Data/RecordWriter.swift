// RecordWriter: writes records back — a selected subset in the very format it was read from (each
// record's original JSON object or text), or canonical JSONL, always atomically; and the lines of a
// scores file (JSONL with scores attached) and of a schedule (a step's picks, each record as it was),
// which `raise score` and `raise select` stream into their own atomic writers.

/// Writing records to files.
public enum RecordWriter {
    /// Writes `records` in `format`, each as it appeared in its input file (a CSV file's header first; its
    /// rows quoted where a field needs it).
    ///
    /// - Throws: `RaiseError.file` naming `path` when it cannot be written; nothing is left half-written.
    public static func write(_ records: [InstructionRecord], format: DataFormat, to path: String) throws {
        let writer = try AtomicFileWriter(path: path)
        switch format.container {
        case .jsonArray:
            try writer.write("[\n")
            for (i, record) in records.enumerated() {
                try writer.write("  " + serialized(record) + (i + 1 < records.count ? ",\n" : "\n"))
            }
            try writer.write("]\n")
        case .jsonLines, .parquet:  // a Parquet row as a JSON line: raise does not write Parquet
            for record in records { try writer.write(serialized(record) + "\n") }
        case .csv:
            if let columns = format.columns {  // the header, then each record's cells by column
                try writer.write(CSVRow.line(columns) + "\n")
                for record in records {
                    let object = originalObject(record)
                    try writer.write(CSVRow.line(columns.map { object[$0]?.stringValue ?? "" }) + "\n")
                }
            } else {
                for record in records { try writer.write(serialized(record) + "\n") }
            }
        case .text:
            for (i, record) in records.enumerated() { try writer.write((i > 0 ? "\n" : "") + serialized(record) + "\n") }
        }
        try writer.commit()
    }

    /// One line of a scores file (`raise score` writes them a window at a time): the record's original
    /// object (or, for CSV and text records, its id and text) with `scores` added as an object of named
    /// numbers, ending in a newline.
    public static func scoredLine(_ record: InstructionRecord, scores: [(String, Double)]) -> String {
        var object = originalObject(record)
        object["id"] = object["id"] ?? .string(record.id)
        object["scores"] = .object(JSONObject(scores.map { ($0.0, .number($0.1)) }))
        return JSONValue.object(object).serialized + "\n"
    }

    /// One line of a schedule (`raise select` with a selector that chooses at every step): the 0-based
    /// step, the pick's position in that step's batch, the record's id and the record as it was read (its
    /// original object, or for CSV and text records its text), ending in a newline.
    public static func scheduleLine(_ record: InstructionRecord, step: Int, position: Int) -> String {
        JSONValue.object(JSONObject([("step", .number(Double(step))), ("position", .number(Double(position))), ("id", .string(record.id)),
                                     ("record", .object(originalObject(record)))])).serialized + "\n"
    }

    /// The record's original JSON object, or an object holding its text.
    private static func originalObject(_ record: InstructionRecord) -> JSONObject {
        switch record.original {
        case .json(let text): return (try? JSONValue.parse(text))?.objectValue ?? JSONObject()
        case .text(let text): return JSONObject([("text", .string(text))])
        }
    }

    /// Writes every record as one canonical JSON object per line — id, then instruction, input and output
    /// for a single-turn record or `messages` (role, content) for any other conversation, then the task and
    /// hidden tags when present — whatever format and field names it was read with.
    public static func writeCanonical(_ records: [InstructionRecord], to path: String) throws {
        let writer = try AtomicFileWriter(path: path)
        for record in records {
            var object = JSONObject([("id", .string(record.id))])
            if record.turns.map(\.role) == [.user, .assistant] {
                object["instruction"] = .string(record.instruction)
                object["input"] = .string(record.input)
                object["output"] = .string(record.output)
            } else {
                object["messages"] = .array(record.chatTurns.map { .object(JSONObject([("role", .string($0.role.rawValue)), ("content", .string($0.content))])) })
            }
            if let task = record.task { object["task"] = .string(task) }
            if !record.hiddenTags.isEmpty {
                object["hidden_tags"] = .object(JSONObject(record.hiddenTags.keys.sorted().map { ($0, .string(record.hiddenTags[$0]!)) }))
            }
            try writer.write(JSONValue.object(object).serialized + "\n")
        }
        try writer.commit()
    }

    private static func serialized(_ record: InstructionRecord) -> String {
        switch record.original {
        case .json(let text): return text
        case .text(let text): return text
        }
    }
}
