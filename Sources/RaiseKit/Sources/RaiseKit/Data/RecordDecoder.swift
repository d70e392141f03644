// RecordDecoder: turns one parsed JSON object, CSV row or text document into an InstructionRecord,
// with an error naming the file, line and field for anything missing, empty or of the wrong type.

/// Decodes the records of one file.
struct RecordDecoder {
    let path: String
    let options: ReadOptions
    private let fileName: String

    init(path: String, options: ReadOptions) {
        self.path = path
        self.options = options
        fileName = path.split(separator: "/").last.map(String.init) ?? path
    }

    private func fail(_ line: Int, _ detail: String) -> RaiseError { .content(path: path, line: line, column: nil, detail: detail) }

    /// Whether a JSON record passes the `--where` filters: the field's string, number or truth value written as
    /// the filter's value (`--where status=ok`, `--where label=1`, `--where verified=true`).
    func passesFilters(_ object: JSONObject) -> Bool {
        options.filters.allSatisfy { object[$0.field]?.scalarText == $0.value }
    }

    /// The schema of one JSON record, told by its own keys: `conversations` is ShareGPT, `messages` OpenAI
    /// style, `instances` without an output field Self-Instruct, anything else the instruction schema — so one
    /// file may mix single-turn records and chats.
    func schema(of object: JSONObject) -> RecordSchema {
        if object["conversations"] != nil { return .sharegpt }
        if object["messages"] != nil { return .messages }
        if object["instances"] != nil, !names("output").contains(where: { object[$0] != nil }) { return .selfInstruct }
        return .instruction
    }

    /// The records of a JSON object (instruction, sharegpt, messages or self-instruct schema, as its keys say):
    /// one, or one per instance of a Self-Instruct task. A task's instance is written back as the task with
    /// that instance alone, its id `<id>#<k>` when the task has several.
    func decode(_ value: JSONValue, line: Int) throws -> [InstructionRecord] {
        guard let object = value.objectValue else { throw fail(line, "record is not a JSON object") }
        let id = try idField(object, line: line)
        let task = try optionalString(object, names("task"), line: line)
        var tags = [String: String]()
        if let hidden = object["hidden_tags"] {
            guard let tagObject = hidden.objectValue else { throw fail(line, "field 'hidden_tags' is not an object") }
            for key in tagObject.keys {
                guard let text = tagObject[key]!.stringValue else { throw fail(line, "field 'hidden_tags.\(key)' is not a string") }
                tags[key] = text
            }
        }
        let record = { (id: String, turns: [ChatTurn], input: String, original: JSONValue) in
            InstructionRecord(id: id, turns: turns, input: input, task: task, hiddenTags: tags, source: SourceLocation(file: path, line: line),
                              original: .json(original.serialized))
        }
        switch schema(of: object) {
        case .sharegpt:
            return [record(id, try conversation(object, field: "conversations", roleKey: "from", contentKey: "value", line: line), "", value)]
        case .messages:
            return [record(id, try conversation(object, field: "messages", roleKey: "role", contentKey: "content", line: line), "", value)]
        case .selfInstruct:
            let instruction = try requiredString(object, names("instruction"), line: line)
            guard let instances = object["instances"]!.arrayValue, !instances.isEmpty else {
                throw fail(line, "field 'instances' is not a non-empty array")
            }
            return try instances.indices.map { k in
                let field = "instances[\(k)]"
                guard let instance = instances[k].objectValue else { throw fail(line, "field '\(field)' is not an object") }
                let input = try optionalString(instance, ["input"], line: line, within: field) ?? ""
                let output = try requiredString(instance, ["output"], line: line, within: field)
                var alone = object
                alone["instances"] = .array([instances[k]])
                let instanceID = instances.count == 1 ? id : "\(id)#\(k + 1)"
                if instances.count > 1 { alone["id"] = .string(instanceID) }
                return record(instanceID, [ChatTurn(.user, instruction), ChatTurn(.assistant, output)], input, .object(alone))
            }
        default:
            let instruction = try requiredString(object, names("instruction"), line: line)
            let input = try optionalString(object, names("input"), line: line) ?? ""
            let output = try requiredString(object, names("output"), line: line)
            return [record(id, [ChatTurn(.user, instruction), ChatTurn(.assistant, output)], input, value)]
        }
    }

    /// Where the canonical field `canonical` may be found, in order: the field `--fields` maps it to, then
    /// its usual names (`ReadOptions.usualNames`) — so one mapping reads a file of renamed records and one of
    /// canonical records alike.
    private func names(_ canonical: String) -> [String] {
        let usual = ReadOptions.usualNames[canonical]!
        guard let mapped = options.fields[canonical] else { return usual }
        return [mapped] + usual.filter { $0 != mapped }
    }

    private func idField(_ object: JSONObject, line: Int) throws -> String {
        let candidates = names("id")
        let name = candidates.first(where: { object[$0] != nil }) ?? candidates[0]
        switch object[name] {
        case nil: return "\(fileName):\(line)"
        case .string(let s)? where !s.isEmpty: return s
        case .number? where object[name]!.intValue != nil: return String(object[name]!.intValue!)
        default: throw fail(line, "field '\(name)' is not a non-empty string or an integer")
        }
    }

    /// The first of `names` present: a non-empty string, or a number read as its text (a Parquet column of
    /// integers, GSM8K-style answers: `72`). When none is, the error lists the fields the record has, and how
    /// `--fields` maps one of them. `within` names the object inside the record that holds the fields.
    private func requiredString(_ object: JSONObject, _ names: [String], line: Int, within: String? = nil) throws -> String {
        guard let name = names.first(where: { object[$0] != nil }) else {
            let holder = within ?? "the record"
            let fields = object.keys.isEmpty ? "\(holder) has no field" : "\(holder)'s fields: " + object.keys.sorted().joined(separator: ", ")
            let canonical = ReadOptions.canonicalFields.first { names.contains($0) } ?? names[0]
            let hint = within == nil ? "; --fields \(canonical)=FIELD reads another" : ""
            throw fail(line, "field '\(fieldName(names[0], within: within))' missing (\(fields)\(hint))")
        }
        let text = try stringOrNumber(object[name]!, name, line: line, within: within)
        guard !text.trimmingWhitespace.isEmpty else { throw fail(line, "field '\(fieldName(name, within: within))' is empty") }
        return text
    }

    /// The first of `names` present and not null: a string, or a number read as its text. `within` names the
    /// object inside the record that holds the fields.
    private func optionalString(_ object: JSONObject, _ names: [String], line: Int, within: String? = nil) throws -> String? {
        guard let name = names.first(where: { object[$0] != nil && object[$0] != .null }) else { return nil }
        return try stringOrNumber(object[name]!, name, line: line, within: within)
    }

    /// A field's string, or its number as JSON writes it.
    private func stringOrNumber(_ value: JSONValue, _ name: String, line: Int, within: String?) throws -> String {
        guard value.stringValue != nil || value.numberValue != nil, let text = value.scalarText else {
            throw fail(line, "field '\(fieldName(name, within: within))' is not a string or a number")
        }
        return text
    }

    /// A field's name as an error gives it: `instances[1].output` for a field of an object inside the record.
    private func fieldName(_ name: String, within: String?) -> String { within.map { "\($0).\(name)" } ?? name }

    private static let roles: [String: ChatRole] = [
        "system": .system, "human": .user, "user": .user, "gpt": .assistant, "assistant": .assistant,
        "chatgpt": .assistant, "bard": .assistant, "bing": .assistant, "model": .assistant,
    ]

    private func conversation(_ object: JSONObject, field: String, roleKey: String, contentKey: String, line: Int) throws -> [ChatTurn] {
        guard let value = object[field] else { throw fail(line, "field '\(field)' missing") }
        guard let items = value.arrayValue else { throw fail(line, "field '\(field)' is not an array") }
        var turns = [ChatTurn]()
        for (i, item) in items.enumerated() {
            guard let turn = item.objectValue else { throw fail(line, "field '\(field)[\(i)]' is not an object") }
            guard let roleName = turn[roleKey]?.stringValue else { throw fail(line, "field '\(field)[\(i)].\(roleKey)' missing") }
            guard let role = RecordDecoder.roles[roleName.lowercased()] else {
                throw fail(line, "field '\(field)[\(i)].\(roleKey)' has unknown role '\(roleName)'")
            }
            guard let content = turn[contentKey]?.stringValue else { throw fail(line, "field '\(field)[\(i)].\(contentKey)' missing") }
            turns.append(ChatTurn(role, content))
        }
        guard turns.contains(where: { $0.role == .assistant && !$0.content.trimmingWhitespace.isEmpty }) else {
            throw fail(line, "field '\(field)' has no non-empty assistant turn")
        }
        return turns
    }

    /// Refuses a CSV header that names a column twice or leaves one unnamed, or has no instruction or no
    /// output column (under their usual names or those `--fields` maps them to).
    ///
    /// - Throws: `RaiseError.content` naming line 1 of the file and the header's columns.
    func checkHeader(_ columns: [String]) throws {
        let header = "the header's columns: " + columns.joined(separator: ", ")
        if let empty = columns.firstIndex(where: \.isEmpty) { throw fail(1, "column \(empty + 1) of the header has no name (\(header))") }
        if let twice = columns.indices.first(where: { columns[..<$0].contains(columns[$0]) }) {
            throw fail(1, "column '\(columns[twice])' is named twice in the header")
        }
        for canonical in ["instruction", "output"] where !names(canonical).contains(where: columns.contains) {
            throw fail(1, "no '\(names(canonical)[0])' column (\(header)): a CSV file is MMLU rows (question,A,B,C,D,answer) "
                       + "or rows under a header naming an instruction and an output column; --fields \(canonical)=COLUMN reads another")
        }
    }

    /// A CSV row under `columns` as a JSON object of strings, column by column, for `decode`.
    ///
    /// - Throws: `RaiseError.content` naming the line when the row has more or fewer fields than the header.
    func csvObject(_ fields: [String], columns: [String], line: Int) throws -> JSONObject {
        guard fields.count == columns.count else {
            throw fail(line, "expected \(columns.count) fields (the header's: \(columns.joined(separator: ", "))), found \(fields.count)")
        }
        return JSONObject(zip(columns, fields.map(JSONValue.string)).map { ($0, $1) })
    }

    /// A record from an MMLU row: question,A,B,C,D,answer; the task is the subject in the file name.
    func decodeMMLU(_ fields: [String], rawLine: String, line: Int) throws -> InstructionRecord {
        guard fields.count == 6 else { throw fail(line, "expected 6 fields (question,A,B,C,D,answer), found \(fields.count)") }
        guard !fields[0].trimmingWhitespace.isEmpty else { throw fail(line, "field 'question' is empty") }
        let answer = String(fields[5].trimmingWhitespace)
        guard ["A", "B", "C", "D"].contains(answer) else { throw fail(line, "field 'answer' is '\(answer)', expected A, B, C or D") }
        let letters = ["A", "B", "C", "D"]
        let prompt = fields[0] + "\n" + (0..<4).map { "\(letters[$0]). \(fields[$0 + 1])" }.joined(separator: "\n")
        var subject = String(fileName.split(separator: ".").first ?? "")
        for suffix in ["_dev", "_val", "_test"] where subject.hasSuffix(suffix) { subject.removeLast(suffix.count) }
        return InstructionRecord(id: "\(fileName):\(line)", turns: [ChatTurn(.user, prompt), ChatTurn(.assistant, answer)],
                                 task: subject, source: SourceLocation(file: path, line: line), original: .text(rawLine))
    }

    /// A pretraining document: one assistant turn, all of it trained on.
    func decodeText(_ document: String, line: Int) -> InstructionRecord {
        InstructionRecord(id: "\(fileName):\(line)", turns: [ChatTurn(.assistant, document)],
                          source: SourceLocation(file: path, line: line), original: .text(document))
    }
}

extension String {
    /// The string without leading and trailing white space and newlines.
    var trimmingWhitespace: Substring {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return Substring(scalars[first...last])
    }
}
