// InstructionRecord: one instruction-tuning example as raise holds it, whatever file format it came
// from — a conversation of turns (single-turn records are one user and one assistant turn, with the
// Alpaca `input` kept apart), its origin, optional task, hidden tags, and the original JSON or text
// so that a selected subset can be written back in the format it was read from.

/// Who speaks a turn.
public enum ChatRole: String, Sendable, CaseIterable {
    case system, user, assistant
}

/// One turn of a conversation.
public struct ChatTurn: Equatable, Sendable {
    public var role: ChatRole
    public var content: String

    /// A turn of `role` saying `content`.
    public init(_ role: ChatRole, _ content: String) {
        self.role = role
        self.content = content
    }
}

/// Where a record came from: file and 1-based line of its first byte.
public struct SourceLocation: Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int

    /// The location `file`:`line` (1-based).
    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line)" }
}

/// One instruction-tuning example.
public struct InstructionRecord: Equatable, Sendable {
    /// A stable id: the record's own `id` field, else `<file name>:<line>`.
    public var id: String
    /// The conversation; the loss is taken on assistant turns only.
    public var turns: [ChatTurn]
    /// Extra context of a single-turn (Alpaca) record, shown after the instruction; empty otherwise.
    public var input: String
    /// The task or category, when the data names one (MMLU subject, synthetic task family).
    public var task: String?
    /// Labels that reports may read but selectors never do (the synthetic suite's family, noise, …).
    public var hiddenTags: [String: String]
    /// Where it was read from.
    public var source: SourceLocation
    /// The record as it appeared in the file, for writing a subset back in the same format.
    public var original: OriginalRecord

    /// A record; `turns` must hold at least one assistant turn.
    public init(id: String, turns: [ChatTurn], input: String = "", task: String? = nil, hiddenTags: [String: String] = [:],
                source: SourceLocation, original: OriginalRecord) {
        self.id = id
        self.turns = turns
        self.input = input
        self.task = task
        self.hiddenTags = hiddenTags
        self.source = source
        self.original = original
    }

    /// The first user turn: the instruction of a single-turn record.
    public var instruction: String { turns.first { $0.role == .user }?.content ?? "" }

    /// The record as the turns of a chat: its Alpaca input, if any, joined to the first instruction by a blank line,
    /// as the chat templates write it.
    public var chatTurns: [ChatTurn] {
        var chat = turns
        if !input.isEmpty, let first = chat.firstIndex(where: { $0.role == .user }) { chat[first].content += "\n\n" + input }
        return chat
    }
    /// The last assistant turn: the response of a single-turn record.
    public var output: String { turns.last { $0.role == .assistant }?.content ?? "" }

    /// What kind of record this is, for reports: its hidden `family` tag, else its task, else the file it
    /// first came from (the `<file>` of a `<file>:<line>` id, which `raise data split` keeps).
    public var category: String {
        if let family = hiddenTags["family"] { return family }
        if let task { return task }
        if let colon = id.lastIndex(of: ":"), id[id.index(after: colon)...].allSatisfy(\.isNumber) { return String(id[..<colon]) }
        return source.file.split(separator: "/").last.map(String.init) ?? source.file
    }
}

/// A record's original form.
public enum OriginalRecord: Equatable, Sendable {
    /// A JSON object (JSON array element or JSONL line), serialized on one line: one string per record
    /// rather than a tree of values, so that a pool of millions of records stays small in memory.
    case json(String)
    /// A line of text (a CSV row, a plain-text document).
    case text(String)
}
