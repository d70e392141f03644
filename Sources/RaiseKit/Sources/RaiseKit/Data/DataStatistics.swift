// DataStatistics: what `raise data stats` reports about one instruction file, gathered in one
// streaming pass — counts, prompt and response lengths (tokens or bytes), exact duplicates, ids given to
// more than one record, invalid records, and the breakdown by task and by hidden tag.

/// Summary statistics of one file.
public struct DataStatistics {
    public let path: String
    public let format: DataFormat
    public private(set) var records = 0
    public private(set) var exactDuplicates = 0
    /// Records whose id an earlier record of the file has (a schedule or log naming it is ambiguous).
    public private(set) var repeatedIDs = 0
    /// The first such id, with the lines of its first record and of the repeat.
    public private(set) var firstRepeatedID: RepeatedID?
    public let skipped: [SkippedRecord]
    public let filteredOut: Int
    /// "tokens" or "bytes".
    public let lengthUnit: String
    public private(set) var promptLengths: [Int] = []
    public private(set) var responseLengths: [Int] = []
    public private(set) var tasks: [String: Int] = [:]
    /// Tag name -> tag value -> count.
    public private(set) var tags: [String: [String: Int]] = [:]

    /// Reads `path` once (skipping invalid records) and gathers the statistics.
    public init(path: String, options: ReadOptions, tokenizer: (any Tokenizer)?) throws {
        var options = options
        options.skipInvalid = true
        let reader = try InstructionReader(path: path, options: options)
        self.path = path
        format = reader.format
        lengthUnit = tokenizer == nil ? "bytes" : "tokens"
        func length(_ text: String) -> Int { tokenizer?.encode(text).count ?? text.utf8.count }
        var seen = Set<UInt64>(), idLines = [UInt64: Int]()  // an id's fingerprint → its first record's line
        var records = 0, duplicates = 0, repeatedIDs = 0
        var firstRepeatedID: RepeatedID?
        var prompts = [Int](), responses = [Int](), tasks = [String: Int](), tags = [String: [String: Int]]()
        try reader.forEach { record in
            records += 1
            let prompt = record.turns.filter { $0.role != .assistant }.map(\.content).joined(separator: "\n")
                + (record.input.isEmpty ? "" : "\n" + record.input)
            let response = record.turns.filter { $0.role == .assistant }.map(\.content).joined(separator: "\n")
            if !seen.insert(DataStatistics.fingerprint(prompt + "\u{0}" + response)).inserted { duplicates += 1 }
            let id = DataStatistics.fingerprint(record.id)
            if let first = idLines[id] {
                repeatedIDs += 1
                firstRepeatedID = firstRepeatedID ?? RepeatedID(id: record.id, firstLine: first, repeatLine: record.source.line)
            } else {
                idLines[id] = record.source.line
            }
            prompts.append(length(prompt))
            responses.append(length(response))
            if let task = record.task { tasks[task, default: 0] += 1 }
            for (name, value) in record.hiddenTags { tags[name, default: [:]][value, default: 0] += 1 }
        }
        self.records = records
        exactDuplicates = duplicates
        self.repeatedIDs = repeatedIDs
        self.firstRepeatedID = firstRepeatedID
        promptLengths = prompts
        responseLengths = responses
        self.tasks = tasks
        self.tags = tags
        skipped = reader.skipped
        filteredOut = reader.filteredOut
    }

    /// FNV-1a over the UTF-8 bytes: a stable 64-bit content fingerprint.
    static func fingerprint(_ text: String) -> UInt64 {
        var hash = FNV1a()
        hash.add(text.utf8)
        return hash.value
    }

    /// min, p50, p90, p99 and max of `values` (nearest rank), and the mean.
    public static func summary(_ values: [Int]) -> [(String, Double)] {
        guard !values.isEmpty else { return [] }
        let sorted = values.sorted()
        func rank(_ q: Double) -> Double { Double(sorted[max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1)]) }
        return [("min", Double(sorted[0])), ("mean", Double(sorted.reduce(0, +)) / Double(sorted.count)), ("p50", rank(0.5)),
                ("p90", rank(0.9)), ("p99", rank(0.99)), ("max", Double(sorted.last!))]
    }

    /// The statistics as one JSON object.
    public var json: JSONObject {
        func counts(_ table: [String: Int]) -> JSONValue { .object(JSONObject(table.keys.sorted().map { ($0, .number(Double(table[$0]!))) })) }
        func lengths(_ values: [Int]) -> JSONValue { .object(JSONObject(DataStatistics.summary(values).map { ($0.0, .number($0.1)) })) }
        return JSONObject([
            ("path", .string(path)), ("format", .string(format.description)), ("records", .number(Double(records))),
            ("invalid", .number(Double(skipped.count))), ("invalid_first", .array(skipped.prefix(5).map { .string($0.message) })),
            ("filtered_out", .number(Double(filteredOut))), ("exact_duplicates", .number(Double(exactDuplicates))),
            ("repeated_ids", .number(Double(repeatedIDs))), ("repeated_id_first", firstRepeatedID.map { .string($0.description) } ?? .null),
            ("length_unit", .string(lengthUnit)), ("prompt_length", lengths(promptLengths)), ("response_length", lengths(responseLengths)),
            ("tasks", counts(tasks)), ("hidden_tags", .object(JSONObject(tags.keys.sorted().map { ($0, counts(tags[$0]!)) }))),
        ])
    }

    /// The statistics as a readable report.
    public var report: String {
        func line(_ values: [Int]) -> String {
            DataStatistics.summary(values).map { "\($0.0) \($0.0 == "mean" ? String(Int($0.1.rounded())) : String(Int($0.1)))" }.joined(separator: "  ")
        }
        var text = "\(path)\n  format            \(format)\n  records           \(records)\n"
        text += "  invalid (skipped) \(skipped.count)\(skipped.isEmpty ? "" : "; first: " + skipped[0].message)\n"
        if filteredOut > 0 { text += "  filtered out      \(filteredOut)\n" }
        text += "  exact duplicates  \(exactDuplicates)\n"
        if let firstRepeatedID { text += "  repeated ids      \(repeatedIDs); first: \(firstRepeatedID)\n" }
        text += "  prompt \(lengthUnit)".padding(toLength: 20, withPad: " ", startingAt: 0) + line(promptLengths) + "\n"
        text += "  response \(lengthUnit)".padding(toLength: 20, withPad: " ", startingAt: 0) + line(responseLengths) + "\n"
        if !tasks.isEmpty { text += "  tasks             " + tasks.keys.sorted().map { "\($0) \(tasks[$0]!)" }.joined(separator: ", ") + "\n" }
        for name in tags.keys.sorted() {
            let values = tags[name]!
            text += "  tag \(name)".padding(toLength: 20, withPad: " ", startingAt: 0)
                + values.keys.sorted().map { "\($0) \(values[$0]!)" }.joined(separator: ", ") + "\n"
        }
        return text
    }
}

/// An id that two records of a file share: the lines of the first and of the repeat.
public struct RepeatedID: Sendable, CustomStringConvertible {
    public let id: String
    public let firstLine: Int
    public let repeatLine: Int

    /// Where, as a report says it: "'x' at lines 1 and 2".
    public var description: String { "'\(id)' at lines \(firstLine) and \(repeatLine)" }
}
