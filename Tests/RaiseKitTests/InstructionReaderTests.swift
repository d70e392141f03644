// The instruction readers on the real shared data sets (counts checked against an independent parse
// with Foundation's JSONSerialization or the data's README), every error naming file, line and
// field, and the writers' round trip in each format.
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class InstructionReaderTests: XCTestCase {
    func testAlpacaLibreMalformedLinesAreReportedThenSkipped() throws {
        // Two kinds of wart: 14 malformed JSON lines (the first at 2279, as the data's README says) and
        // five "ok" records whose output is only newlines (the first at line 42).
        let path = try sharedData("alpaca-libre/alpaca_libre_tasks_v2.jsonl")
        assertThrows(["alpaca_libre_tasks_v2.jsonl:42: field 'output' is empty"]) {
            try InstructionReader.readAll(path: path, options: ReadOptions(filters: [("status", "ok")]))
        }

        let options = ReadOptions(filters: [("status", "ok")], skipInvalid: true)
        let (records, reader) = try InstructionReader.readAll(path: path, options: options)
        XCTAssertEqual(reader.format, DataFormat(.instruction, .jsonLines))
        let malformed = reader.skipped.filter { !$0.message.hasSuffix("field 'output' is empty") }
        XCTAssertEqual(malformed.count, 14)
        XCTAssertEqual(malformed.first?.line, 2279)
        XCTAssertTrue(malformed[0].message.hasPrefix(path + ":2279:"), malformed[0].message)
        XCTAssertEqual(reader.skipped.filter { $0.message.hasSuffix("field 'output' is empty") }.map(\.line), [42, 44, 47, 556, 1809])

        // An independent count: lines Foundation parses whose status is "ok" and whose output is not blank.
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: true)
        let valid = lines.filter { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return false }
            let output = (object["output"] as? String ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            return object["status"] as? String == "ok" && !output.isEmpty
        }
        XCTAssertEqual(records.count, valid.count)
        XCTAssertEqual(records.count + reader.filteredOut + reader.skipped.count, lines.count)
    }

    func testGPTeacherJSONArrayWithResponseField() throws {
        let path = try sharedData("gpteacher/codegen-instruct.json")
        let (records, reader) = try InstructionReader.readAll(path: path)
        XCTAssertEqual(reader.format, DataFormat(.instruction, .jsonArray))
        XCTAssertEqual(records.count, 4535)
        XCTAssertEqual(records[0].instruction, "Write a C++ program that calculates the area of a rectangle, given its width and height.")
        XCTAssertEqual(records[0].input, "width: 5, height: 8")
        XCTAssertTrue(records[0].output.hasPrefix("#include <iostream>"))
        XCTAssertEqual(records[0].source.line, 2)
        XCTAssertEqual(records[1].source.line, 7)
    }

    func testGSM8KNeedsAFieldMapping() throws {
        let path = try sharedData("gsm8k/train.jsonl")
        assertThrows(["train.jsonl:1:", "field 'instruction' missing (the record's fields: answer, question; --fields instruction=FIELD reads another)"]) {
            try InstructionReader.readAll(path: path)
        }
        let fields = try ReadOptions.parseFields("instruction=question,output=answer")
        let (records, _) = try InstructionReader.readAll(path: path, options: ReadOptions(fields: fields))
        XCTAssertEqual(records.count, 7473)
        XCTAssertTrue(records.allSatisfy { $0.output.contains("#### ") })
        assertThrows(["--fields", "unknown field 'question'"]) { try ReadOptions.parseFields("question=instruction") }
    }

    /// A mapping reads the renamed fields first and the usual names where a record lacks them, so that one
    /// `--fields` reads a GSM8K file and a file in the usual layout alike; a record with neither is an error
    /// naming the mapped field.
    func testAFieldMappingFallsBackToTheUsualNames() throws {
        let folder = try scratchFolder(self)
        let path = folder + "/mixed.jsonl"
        try AtomicFile.write("""
            {"question": "q1", "answer": "a1", "context": "c1", "uid": "u1", "kind": "k1"}
            {"instruction": "i2", "response": "r2", "input": "n2", "id": "d2", "category": "k2"}
            {"question": "q3", "instruction": "i3", "answer": "a3", "output": "o3"}

            """, to: path)
        let options = ReadOptions(fields: try ReadOptions.parseFields("instruction=question,output=answer,input=context,id=uid,task=kind"))
        let (records, _) = try InstructionReader.readAll(path: path, options: options)
        XCTAssertEqual(records.map(\.instruction), ["q1", "i2", "q3"])
        XCTAssertEqual(records.map(\.output), ["a1", "r2", "a3"])
        XCTAssertEqual(records.map(\.input), ["c1", "n2", ""])
        XCTAssertEqual(records.map(\.id), ["u1", "d2", "mixed.jsonl:3"])
        XCTAssertEqual(records.map(\.task), ["k1", "k2", nil])
        try AtomicFile.write("{\"title\": \"p\", \"answer\": \"a\"}\n{}\n", to: folder + "/neither.jsonl")
        assertThrows(["neither.jsonl:1: field 'question' missing (the record's fields: answer, title; --fields instruction=FIELD reads another)"]) {
            try InstructionReader.readAll(path: folder + "/neither.jsonl", options: options)
        }
        var skipping = options
        skipping.skipInvalid = true
        let reader = try InstructionReader.readAll(path: folder + "/neither.jsonl", options: skipping).reader
        XCTAssertEqual(reader.skipped.map(\.message).last, "\(folder)/neither.jsonl:2: field 'question' missing (the record has no field; "
                       + "--fields instruction=FIELD reads another)")
    }

    /// Dolly's records (`context`, `response`) and the prompt / completion pairs of OpenAI's fine-tuning files
    /// are read without a mapping; a record's `instruction` comes before its `prompt`.
    func testDollyAndPromptCompletionRecordsNeedNoMapping() throws {
        let path = try scratchFolder(self) + "/usual.jsonl"
        try AtomicFile.write("""
            {"instruction": "Who?", "context": "A text.", "response": "Someone.", "category": "closed_qa"}
            {"prompt": "2+2=", "completion": " 4"}
            {"instruction": "i", "prompt": "p", "output": "o"}

            """, to: path)
        let records = try InstructionReader.readAll(path: path).records
        XCTAssertEqual(records.map(\.instruction), ["Who?", "2+2=", "i"])
        XCTAssertEqual(records.map(\.input), ["A text.", "", ""])
        XCTAssertEqual(records.map(\.output), ["Someone.", " 4", "o"])
        XCTAssertEqual(records.map(\.task), ["closed_qa", nil, nil])
    }

    func testMMLUCSVWithQuotedFields() throws {
        let path = try sharedData("mmlu/dev/abstract_algebra_dev.csv")
        let (records, reader) = try InstructionReader.readAll(path: path)
        XCTAssertEqual(reader.format, DataFormat(.mmlu, .csv))
        XCTAssertEqual(records.count, 5)
        XCTAssertEqual(records[0].task, "abstract_algebra")
        XCTAssertEqual(records[0].instruction, "Find all c in Z_3 such that Z_3[x]/(x^2 + c) is a field.\nA. 0\nB. 1\nC. 2\nD. 3")
        XCTAssertEqual(records[0].output, "B")
        XCTAssertTrue(records[1].instruction.contains("A. True, True\nB. False, False"))
        var total = 0
        let folder = try sharedData("mmlu/dev")
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name.hasSuffix(".csv") {
            total += try InstructionReader.readAll(path: folder + "/" + name).records.count
        }
        XCTAssertEqual(total, 285, "the data's README: 285 dev rows")
    }

    private func write(_ text: String, _ name: String) throws -> String {
        let path = try scratchFolder(self) + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testShareGPTAndMessagesInBothContainers() throws {
        let sharegpt = #"[{"conversations": [{"from": "system", "value": "Be brief."}, {"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}, {"from": "human", "value": "Bye"}, {"from": "gpt", "value": "Bye!"}]}]"#
        let (a, ra) = try InstructionReader.readAll(path: write(sharegpt, "chat.json"))
        XCTAssertEqual(ra.format, DataFormat(.sharegpt, .jsonArray))
        XCTAssertEqual(a[0].turns.map(\.role), [.system, .user, .assistant, .user, .assistant])
        XCTAssertEqual(a[0].output, "Bye!")
        let messages = #"{"messages": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}]}"# + "\n"
            + #"{"messages": [{"role": "user", "content": "3+3?"}, {"role": "assistant", "content": "6"}], "id": 17}"#
        let (b, rb) = try InstructionReader.readAll(path: write(messages, "chat.jsonl"))
        XCTAssertEqual(rb.format, DataFormat(.messages, .jsonLines))
        XCTAssertEqual(b.map(\.output), ["4", "6"])
        XCTAssertEqual(b.map(\.id), ["chat.jsonl:1", "17"])
        assertThrows(["chat.jsonl:1:", "unknown role 'robot'"]) {
            try InstructionReader.readAll(path: write(#"{"messages": [{"role": "robot", "content": "x"}]}"#, "chat.jsonl"))
        }
        assertThrows(["no non-empty assistant turn"]) {
            try InstructionReader.readAll(path: write(#"{"messages": [{"role": "user", "content": "x"}]}"#, "chat.jsonl"))
        }
    }

    func testCSVWithAHeaderNamingItsColumns() throws {
        // A header in any column order, a quoted field over two lines, a blank line, a byte-order mark,
        // --where on a column and --fields mapping one.
        let text = "\u{FEFF}id,output,instruction,category,lang\n7,\"four, or \"\"4\"\"\",2+2?,math,en\n\n"
            + "8,\"line one\nline two\",write,prose,en\n9,neuf,count,math,fr\n"
        let path = try write(text, "pairs.csv")
        let (records, reader) = try InstructionReader.readAll(path: path, options: ReadOptions(filters: [("lang", "en")]))
        XCTAssertEqual(reader.format, DataFormat(.instruction, .csv, columns: ["id", "output", "instruction", "category", "lang"]))
        XCTAssertEqual(reader.format.description, "csv")
        XCTAssertEqual(reader.filteredOut, 1)
        XCTAssertEqual(records.map(\.id), ["7", "8"])
        XCTAssertEqual(records.map(\.instruction), ["2+2?", "write"])
        XCTAssertEqual(records.map(\.output), ["four, or \"4\"", "line one\nline two"])
        XCTAssertEqual(records.map(\.task), ["math", "prose"])
        XCTAssertEqual(records.map(\.source.line), [2, 4])
        let mapped = try write("question,answer\nWhy?,Because.\n", "qa.csv")
        let (qa, _) = try InstructionReader.readAll(path: mapped, options: ReadOptions(fields: ["instruction": "question", "output": "answer"]))
        XCTAssertEqual(qa.map(\.turns), [[ChatTurn(.user, "Why?"), ChatTurn(.assistant, "Because.")]])
        XCTAssertEqual(try InstructionReader(path: write("instruction,output\n", "rows.txt"), options: ReadOptions(format: "csv")).format.columns,
                       ["instruction", "output"])

        // A subset written back keeps the header, the columns and the quoting; read again, the same records.
        let out = try scratchFolder(self) + "/subset.csv"
        try RecordWriter.write(records, format: reader.format, to: out)
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8),
                       "id,output,instruction,category,lang\n7,\"four, or \"\"4\"\"\",2+2?,math,en\n8,\"line one\nline two\",write,prose,en\n")
        XCTAssertEqual(try InstructionReader.readAll(path: out).records.map(\.turns), records.map(\.turns))
        // Line breaks "\r\n": between rows they go, inside quotes they are the field's (the fuzzer found a
        // "\r" lost there at each round trip).
        let crlf = try write("instruction,output\r\n\"one\r\ntwo\r\r\n\",x\r\n", "crlf.csv")
        let (windows, windowsReader) = try InstructionReader.readAll(path: crlf)
        XCTAssertEqual(windows.map(\.turns), [[ChatTurn(.user, "one\r\ntwo\r\r\n"), ChatTurn(.assistant, "x")]])
        try RecordWriter.write(windows, format: windowsReader.format, to: out)
        XCTAssertEqual(try InstructionReader.readAll(path: out).records.map(\.turns), windows.map(\.turns))

        // Errors name the file, line and what is wrong; an MMLU row is still MMLU.
        assertThrows(["h.csv:1: no 'instruction' column (the header's columns: title, output)", "--fields instruction=COLUMN"]) {
            try InstructionReader.readAll(path: write("title,output\na,b\n", "h.csv"))
        }
        assertThrows(["h.csv:1: no 'answer' column (the header's columns: question, reply)"]) {
            try InstructionReader.readAll(path: write("question,reply\na,b\n", "h.csv"), options: ReadOptions(fields: ["instruction": "question", "output": "answer"]))
        }
        assertThrows(["h.csv:1: column 'output' is named twice"]) { try InstructionReader.readAll(path: write("instruction,output,output\n", "h.csv")) }
        assertThrows(["h.csv:1: column 2 of the header has no name"]) { try InstructionReader.readAll(path: write("instruction,,output\n", "h.csv")) }
        assertThrows(["h.csv:3: expected 2 fields (the header's: instruction, output), found 3"]) {
            try InstructionReader.readAll(path: write("instruction,output\na,b\nc,d,e\n", "h.csv"))
        }
        assertThrows(["h.csv:2: field 'output' is empty"]) { try InstructionReader.readAll(path: write("instruction,output\na, \n", "h.csv")) }
        XCTAssertEqual(try InstructionReader(path: write("q,a,b,c,d,B\n", "m.csv")).format, DataFormat(.mmlu, .csv))
        XCTAssertEqual(try InstructionReader(path: write("instruction,a,b,c,d,output\n", "m.csv")).format.schema, .instruction)
    }

    func testOneJSONFileMayMixSingleTurnRecordsAndChats() throws {
        let text = #"{"instruction": "a", "output": "b"}"# + "\n" + #"{"messages": [{"role": "user", "content": "c"}, {"role": "assistant", "content": "d"}]}"#
            + "\n" + #"{"conversations": [{"from": "human", "value": "e"}, {"from": "gpt", "value": "f"}]}"# + "\n"
        let (records, reader) = try InstructionReader.readAll(path: write(text, "mixed.jsonl"))
        XCTAssertEqual(reader.format, DataFormat(.instruction, .jsonLines))
        XCTAssertEqual(records.map(\.output), ["b", "d", "f"])
    }

    func testSelfInstructTasksGiveARecordPerInstance() throws {
        // The shared seed tasks: 175 tasks of one instance each, read as 175 records under their own ids.
        let (seeds, seedReader) = try InstructionReader.readAll(path: try sharedData("seed-tasks/seed_tasks.jsonl"))
        XCTAssertEqual(seedReader.format.description, "self-instruct (JSONL)")
        XCTAssertEqual(seeds.count, 175)
        XCTAssertEqual(seeds[0].id, "seed_task_0")
        XCTAssertTrue(seeds[0].instruction.hasPrefix("Is there anything I can eat for a breakfast"))
        XCTAssertTrue(seeds[0].output.hasPrefix("Yes, you can have 1 oatmeal banana protein shake"))

        // A task of two instances is two records, `<id>#1` and `<id>#2`; each is written back as the task with
        // its instance alone, under its own id, and read again the same.
        let task = #"{"id": "t", "instruction": "Add.", "instances": [{"input": "1 2", "output": "3"}, {"input": "2 2", "output": "4"}], "is_classification": false}"#
        let (records, reader) = try InstructionReader.readAll(path: write(task + "\n", "tasks.jsonl"))
        XCTAssertEqual(records.map(\.id), ["t#1", "t#2"])
        XCTAssertEqual(records.map(\.input), ["1 2", "2 2"])
        XCTAssertEqual(records.map(\.output), ["3", "4"])
        let out = try scratchFolder(self) + "/subset.jsonl"
        try RecordWriter.write([records[1]], format: reader.format, to: out)
        let again = try InstructionReader.readAll(path: out).records
        XCTAssertEqual(again.map(\.id), ["t#2"])
        XCTAssertEqual(again.map(\.turns), [records[1].turns])
        XCTAssertEqual(again.map(\.input), ["2 2"])
        assertThrows(["tasks.jsonl:1: field 'instances[1].output' missing (instances[1]'s fields: input)"]) {
            try InstructionReader.readAll(path: write(#"{"instruction": "a", "instances": [{"output": "b"}, {"input": "c"}]}"#, "tasks.jsonl"))
        }
        assertThrows(["tasks.jsonl:1: field 'instances' is not a non-empty array"]) {
            try InstructionReader.readAll(path: write(#"{"instruction": "a", "instances": []}"#, "tasks.jsonl"))
        }
    }

    func testCanonicalJSONLKeepsEveryTurn() throws {
        // A chat with a system turn and two exchanges, a plain-text document and an Alpaca record with an
        // input: written canonically and read again, the same turns and input.
        let folder = try scratchFolder(self)
        let chat = #"{"conversations": [{"from": "system", "value": "Be brief."}, {"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}, {"from": "human", "value": "Bye"}, {"from": "gpt", "value": "Bye!"}], "task": "talk"}"#
        var records = try InstructionReader.readAll(path: write(chat + "\n", "chat.jsonl")).records
        records += try InstructionReader.readAll(path: write("a document\nof two lines\n", "doc.txt")).records
        records += try InstructionReader.readAll(path: write(#"[{"instruction": "x", "input": "i", "output": "y"}]"#, "a.json")).records
        try RecordWriter.writeCanonical(records, to: folder + "/canonical.jsonl")
        let again = try InstructionReader.readAll(path: folder + "/canonical.jsonl").records
        XCTAssertEqual(again.map(\.turns), records.map(\.turns))
        XCTAssertEqual(again.map(\.input), ["", "", "i"])
        XCTAssertEqual(again.map(\.id), records.map(\.id))
        XCTAssertEqual(again.map(\.task), ["talk", nil, nil])
    }

    func testErrorsNameFileLineColumnAndField() throws {
        let array = "[\n  {\"instruction\": \"a\", \"output\": \"b\"},\n  {\"instruction\": \"c\", \"output\": \"d\",}\n]"
        assertThrows(["bad.json:3:38:", "expected a string key"]) { try InstructionReader.readAll(path: write(array, "bad.json")) }
        let skipped = try InstructionReader.readAll(path: write(array, "bad.json"), options: ReadOptions(skipInvalid: true))
        XCTAssertEqual(skipped.records.count, 1)
        XCTAssertEqual(skipped.reader.skipped.map(\.line), [3])
        assertThrows(["x.jsonl:2: field 'output' missing"]) {
            try InstructionReader.readAll(path: write("{\"instruction\": \"a\", \"output\": \"b\"}\n{\"instruction\": \"a\"}", "x.jsonl"))
        }
        assertThrows(["x.jsonl:1: field 'output' is empty"]) {
            try InstructionReader.readAll(path: write("{\"instruction\": \"a\", \"output\": \"  \"}", "x.jsonl"))
        }
        assertThrows(["x.jsonl:1: field 'input' is not a string or a number"]) {
            try InstructionReader.readAll(path: write("{\"instruction\": \"a\", \"input\": [3], \"output\": \"b\"}", "x.jsonl"))
        }
        assertThrows(["x.jsonl:1: field 'output' is not a string or a number"]) {
            try InstructionReader.readAll(path: write("{\"instruction\": \"a\", \"output\": true}", "x.jsonl"))
        }
        assertThrows(["open.json:2:38:", "not closed"]) {
            try InstructionReader.readAll(path: write("[\n  {\"instruction\": \"a\", \"output\": \"b\"}", "open.json"))
        }
        let invalidUTF8 = try scratchFolder(self) + "/bytes.jsonl"
        try Data(#"{"instruction": "a", "output": ""#.utf8 + [0xC3, 0x28] + #""}"#.utf8).write(to: URL(fileURLWithPath: invalidUTF8))
        assertThrows(["bytes.jsonl:1:", "invalid UTF-8"]) { try InstructionReader.readAll(path: invalidUTF8) }
        assertThrows(["q.csv:2: expected 6 fields"]) { try InstructionReader.readAll(path: write("q,a,b,c,d,A\nq,a,b\n", "q.csv")) }
        assertThrows(["q.csv:1: field 'answer' is 'E'"]) { try InstructionReader.readAll(path: write("q,a,b,c,d,E\n", "q.csv")) }
        assertThrows(["missing.jsonl", "cannot open: No such file or directory"]) { try InstructionReader.readAll(path: "/nonexistent/missing.jsonl") }
        let folder = try scratchFolder(self)
        assertThrows([folder, "cannot open: it is a folder"]) { try InstructionReader.readAll(path: folder, options: ReadOptions(format: "jsonl")) }
        assertThrows(["--format", "'yaml'"]) { try InstructionReader.readAll(path: write("{}", "x.jsonl"), options: ReadOptions(format: "yaml")) }
    }

    func testNumbersReadAsTextAndFiltersMatchNumbersAndTruthValues() throws {
        // A numeric answer (GSM8K-style, or a Parquet column of integers) is its text as JSON writes it;
        // --where compares a number or a truth value written out, as on strings. The subset keeps the number.
        let lines = ["{\"question\": \"6 times 12?\", \"answer\": 72, \"label\": 1, \"ok\": true}",
                     "{\"question\": \"Half of 1?\", \"answer\": 0.5, \"label\": 2, \"ok\": true}",
                     "{\"question\": \"One less than 0?\", \"answer\": -1, \"label\": 1, \"ok\": false}"]
        let path = try write(lines.joined(separator: "\n"), "numbers.jsonl")
        let mapped = ReadOptions(fields: ["instruction": "question", "output": "answer"])
        let records = try InstructionReader.readAll(path: path, options: mapped).records
        XCTAssertEqual(records.map(\.output), ["72", "0.5", "-1"])
        var filtered = mapped
        filtered.filters = [("label", "1"), ("ok", "true")]
        let (kept, reader) = try InstructionReader.readAll(path: path, options: filtered)
        XCTAssertEqual(kept.map(\.output), ["72"])
        XCTAssertEqual(reader.filteredOut, 2)
        let subset = try scratchFolder(self) + "/subset.jsonl"
        try RecordWriter.write(kept, format: reader.format, to: subset)
        XCTAssertEqual(try String(contentsOfFile: subset, encoding: .utf8), lines[0].replacingOccurrences(of: ": ", with: ":").replacingOccurrences(of: ", ", with: ",") + "\n")
    }

    func testPlainTextDocuments() throws {
        let (records, reader) = try InstructionReader.readAll(path: write("first line\nsecond line\n\n\nthird\n", "corpus.txt"))
        XCTAssertEqual(reader.format, DataFormat(.text, .text))
        XCTAssertEqual(records.map(\.output), ["first line\nsecond line", "third"])
        XCTAssertEqual(records.map(\.source.line), [1, 5])
    }

    func testWritersRoundTripEveryFormat() throws {
        let folder = try scratchFolder(self)
        let inputs = [
            ("a.json", "[\n{\"instruction\": \"x\", \"input\": \"i\", \"response\": \"y\", \"extra\": [1, 2]},\n{\"instruction\": \"z\", \"output\": \"w\"}\n]"),
            ("b.jsonl", "{\"instruction\": \"x\", \"output\": \"y\"}\n{\"instruction\": \"é😀\", \"output\": \"\\u0000w\"}\n"),
            ("c.csv", "\"q, with comma\",a,b,c,\"d \"\"quoted\"\"\",C\nq2,a,b,c,d,A\n"),
            ("d.txt", "doc one\nline two\n\ndoc two\n"),
            ("e.csv", "instruction,input,output\n\"x, y\",,z\nw,v,u\n"),
        ]
        for (name, text) in inputs {
            let path = folder + "/" + name
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let (records, reader) = try InstructionReader.readAll(path: path)
            let out = folder + "/out-" + name
            try RecordWriter.write(records, format: reader.format, to: out)
            let (again, againReader) = try InstructionReader.readAll(path: out)
            XCTAssertEqual(againReader.format, reader.format, name)
            XCTAssertEqual(again.map(\.turns), records.map(\.turns), name)
            XCTAssertEqual(again.map(\.input), records.map(\.input), name)
            XCTAssertEqual(again.map(\.original), records.map(\.original), name)
        }
        let (records, _) = try InstructionReader.readAll(path: folder + "/b.jsonl")
        let lines = zip(records, [[("ifd", 0.5)], [("ifd", 1.25)]]).map { RecordWriter.scoredLine($0, scores: $1) }
        XCTAssertTrue(lines.allSatisfy { $0.hasSuffix("}\n") && $0.dropLast().allSatisfy { $0 != "\n" } }, "one line each")
        XCTAssertEqual(try JSONValue.parse(String(lines[1])).objectValue?["scores"], .object(JSONObject([("ifd", .number(1.25))])))
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: folder).contains { $0.contains(".tmp-") }, "no temporary file left")
    }
}
