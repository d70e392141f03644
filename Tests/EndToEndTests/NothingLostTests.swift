// Nothing lost: the built `raise`, used as a careless or hostile user would, never deletes, replaces or
// corrupts what it did not make — other programs' files beside an output, devices, finished results, its
// own inputs — and a resumed or concurrent run never mixes two set-ups in one result.
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class NothingLostTests: XCTestCase {
    /// A pool of `count` Alpaca records in a new file.
    private func pool(_ folder: String, count: Int = 40, name: String = "pool.jsonl") throws -> String {
        let path = folder + "/" + name
        let lines = (0..<count).map { #"{"instruction": "Add \#($0) and 1.", "input": "", "output": "\#($0 + 1)"}"# }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func select(_ data: String, out: String, extra: [String] = []) throws -> (status: Int32, stdout: String, stderr: String) {
        try runRaise(["select", "--data", data, "--selector", "random", "--budget", "10%", "--batch", "2", "--out", out, "--quiet"] + extra)
    }

    func testAnOutputNeverSweepsAwayOtherProgramsFiles() throws {
        let folder = try scratchFolder(self)
        let data = try pool(folder)
        let sweep = folder + "/sweep"
        try FileManager.default.createDirectory(atPath: sweep + "/.photos.tmp-999999", withIntermediateDirectories: true)
        try "x".write(toFile: sweep + "/.photos.tmp-999999/img", atomically: false, encoding: .utf8)
        try "y".write(toFile: sweep + "/.config.tmp-999998", atomically: false, encoding: .utf8)
        let run = try select(data, out: sweep + "/x.jsonl")
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(try String(contentsOfFile: sweep + "/.photos.tmp-999999/img", encoding: .utf8), "x")
        XCTAssertEqual(try String(contentsOfFile: sweep + "/.config.tmp-999998", encoding: .utf8), "y")
    }

    func testDevicesAreWrittenThroughAndAnInputIsNeverAnOutput() throws {
        let folder = try scratchFolder(self)
        let data = try pool(folder)
        let toNull = try select(data, out: "/dev/null")
        XCTAssertEqual(toNull.status, 0, toNull.stderr)
        var info = stat()
        XCTAssertEqual(stat("/dev/null", &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFCHR, "/dev/null is still a device")

        let before = try Data(contentsOf: URL(fileURLWithPath: data))
        for out in [data, folder + "/link.jsonl"] {
            if out != data { try FileManager.default.createSymbolicLink(atPath: out, withDestinationPath: data) }
            let overInput = try select(data, out: out, extra: ["--force"])
            XCTAssertEqual(overInput.status, 1)
            XCTAssertTrue(overInput.stderr.contains("is also an input (\(data))"), overInput.stderr)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: data)), before, "the input is untouched")
    }

    func testAFinishedResultIsReplacedOnlyWithForce() throws {
        let folder = try scratchFolder(self)
        let data = try pool(folder)
        let out = folder + "/subset.jsonl"
        XCTAssertEqual(try select(data, out: out).status, 0)
        let first = try Data(contentsOf: URL(fileURLWithPath: out))
        let again = try select(data, out: out, extra: ["--seed", "7"])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("subset.jsonl: exists already; raise does not replace it"), again.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), first)
        let forced = try select(data, out: out, extra: ["--seed", "7", "--force"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertNotEqual(try Data(contentsOf: URL(fileURLWithPath: out)), first)
    }

    func testAnEmptyOrAllInvalidPoolNeverReplacesAResult() throws {
        let folder = try scratchFolder(self)
        let (suite, model) = try tinySuite(self, size: 200)
        let scores = folder + "/scores.jsonl"
        let score = { (data: String, extra: [String]) in
            try runRaise(["score", "--model", model, "--data", data, "--template", "plain", "--features", "length", "--out", scores,
                          "--quiet", "--threads", "1"] + extra)
        }
        XCTAssertEqual(try score(suite + "/suite/pool.jsonl", []).status, 0)
        let full = try String(contentsOfFile: scores, encoding: .utf8)
        XCTAssertEqual(full.split(separator: "\n").count, 200)

        try "".write(toFile: folder + "/empty.jsonl", atomically: true, encoding: .utf8)
        let empty = try score(folder + "/empty.jsonl", ["--force"])
        XCTAssertEqual(empty.status, 1)
        XCTAssertTrue(empty.stderr.contains("--data: the pool is empty"), empty.stderr)
        try "{\"instruction\": 1}\nnot json\n".write(toFile: folder + "/invalid.jsonl", atomically: true, encoding: .utf8)
        let invalid = try score(folder + "/invalid.jsonl", ["--force", "--skip-invalid"])
        XCTAssertEqual(invalid.status, 1)
        XCTAssertTrue(invalid.stderr.contains("the pool is empty: 2 invalid record(s) skipped; the first: \(folder)/invalid.jsonl:1"), invalid.stderr)
        XCTAssertEqual(try String(contentsOfFile: scores, encoding: .utf8), full, "the scores are untouched")
    }

    func testPretrainRefusesToReplaceAModelOrResumeUnderOtherSettings() throws {
        let (folder, model) = try tinySuite(self, size: 200)
        /// `raise pretrain` with these options over the defaults below, and `flags`.
        func pretrain(_ options: [String: String] = [:], _ flags: [String] = []) throws -> (status: Int32, stdout: String, stderr: String) {
            let all = ["--model": model, "--data": folder + "/suite/pretrain.jsonl", "--steps": "4", "--batch": "4", "--checkpoint-every": "2",
                       "--threads": "1", "--out": folder + "/base"].merging(options) { $1 }
            return try runRaise(["pretrain", "--quiet"] + all.keys.sorted().flatMap { [$0, all[$0]!] } + flags)
        }
        XCTAssertEqual(try pretrain().status, 0)
        let weights = try Data(contentsOf: URL(fileURLWithPath: folder + "/base/model.safetensors"))

        let replace = try pretrain(["--seed": "3"])
        XCTAssertEqual(replace.status, 1)
        XCTAssertTrue(replace.stderr.contains("base: holds a finished result (config.json)"), replace.stderr)
        XCTAssertTrue(replace.stderr.contains("pass --resume to continue it"), replace.stderr)
        let others: [([String: String], String)] = [
            (["--batch": "8"], "batch was 4, is now 8"), (["--lr": "1e-3"], "lr was 0.003, is now 0.001"),
            (["--data": folder + "/suite/pool.jsonl"], "data was"), (["--steps": "6"], "steps was 4, is now 6"),
            (["--model": model.replacingOccurrences(of: "heads=2", with: "heads=4")], "model was tinygpt:layers=1,heads=2")]
        for (options, difference) in others {
            let other = try pretrain(options, ["--resume"])
            XCTAssertEqual(other.status, 1, "\(options)")
            XCTAssertTrue(other.stderr.contains("run-settings.json: this run was started with other settings (\(difference)"), other.stderr)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/base/model.safetensors")), weights, "the model is untouched")
        XCTAssertEqual(try pretrain([:], ["--resume"]).status, 0, "the same settings resume")
    }

    func testAFolderOfTheUsersIsNeverWrittenInto() throws {
        let (folder, model) = try tinySuite(self, size: 200)
        let mine = folder + "/mine"
        try Folder.create(mine)
        for (name, text) in [("report.md", "my notes\n"), ("results.csv", "a,b\n")] { try AtomicFile.write(text, to: mine + "/" + name) }
        let message = "mine: holds files and no output of this command (report.md, results.csv); raise writes only into a new or empty folder, or one it made"
        let commands: [[String]] = [
            ["bench", "run", "--model", model, "--data", folder + "/suite/pool.jsonl", "--val", folder + "/suite/val.jsonl", "--selector", "random",
             "--budgets", "10%", "--seeds", "1", "--no-full", "--quiet"],
            ["pretrain", "--model", model, "--data", folder + "/suite/pretrain.jsonl", "--steps", "2", "--force", "--quiet"],
            ["tokenizer", "train", "--vocab", "300", "--data", folder + "/suite/pretrain.jsonl", "--force", "--quiet"],
            ["data", "synth", "--size", "100", "--force"]]
        for words in commands {
            let refused = try runRaise(words + ["--out", mine])
            XCTAssertEqual(refused.status, 1, words.joined(separator: " "))
            XCTAssertTrue(refused.stderr.contains(message), refused.stderr)
        }
        XCTAssertEqual(try String(contentsOfFile: mine + "/report.md", encoding: .utf8), "my notes\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: mine).sorted(), ["report.md", "results.csv"], "nothing written there")
        // A project's config.json beside them does not make the folder a benchmark's (it is a model folder's mark).
        try AtomicFile.write("{}\n", to: mine + "/config.json")
        let project = try runRaise(commands[0] + ["--out", mine])
        XCTAssertEqual(project.status, 1)
        XCTAssertTrue(project.stderr.contains("mine: holds files and no output of this command (config.json, report.md, results.csv)"), project.stderr)
        try FileManager.default.removeItem(atPath: mine + "/config.json")
        // data split claims each part's file on its own: its parts go beside the user's files.
        let split = try runRaise(["data", "split", "--data", folder + "/suite/val.jsonl", "--parts", "a=4,b=rest", "--out", mine])
        XCTAssertEqual(split.status, 0, split.stderr)
        XCTAssertEqual(try String(contentsOfFile: mine + "/report.md", encoding: .utf8), "my notes\n")
        // What a killed raise leaves (its lock file, a temporary file of an atomic write) is no user's.
        let killed = folder + "/killed"
        try Folder.create(killed)
        for name in [FolderLock.fileName, ".encoder.json.tmp-raise-0123456789abcdef"] { try AtomicFile.write("", to: killed + "/" + name) }
        let resumed = try runRaise(["tokenizer", "train", "--vocab", "300", "--data", folder + "/suite/pretrain.jsonl", "--out", killed, "--quiet"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
    }

    func testASecondProcessOnTheSameFolderStopsAtOnceNamingTheFirst() throws {
        let (folder, model) = try tinySuite(self, size: 200)
        let first = Process()
        first.executableURL = URL(fileURLWithPath: URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path + "/raise")
        first.arguments = ["pretrain", "--model", model, "--data", folder + "/suite/pretrain.jsonl", "--steps", "100000", "--batch", "4",
                           "--threads", "1", "--quiet", "--out", folder + "/base"]
        first.standardError = FileHandle.nullDevice
        try first.run()
        defer {
            first.terminate()
            first.waitUntilExit()
        }
        while !FileManager.default.fileExists(atPath: folder + "/base/" + FolderLock.fileName) && first.isRunning { usleep(1000) }
        let second = try runRaise(["pretrain", "--model", model, "--data", folder + "/suite/pretrain.jsonl", "--steps", "4", "--batch", "4",
                                   "--threads", "1", "--quiet", "--out", folder + "/base", "--force"])
        XCTAssertEqual(second.status, 1)
        XCTAssertTrue(second.stderr.contains("another raise process (pid \(first.processIdentifier)) is writing this folder"), second.stderr)
    }

    func testTrainSelectorRefusesToReplaceAFinishedPolicy() throws {
        let (folder, model) = try tinySuite(self, size: 200)
        let train = { (episodes: String, extra: [String]) in
            try runRaise(["train-selector", "--model", model, "--data", folder + "/suite/pool.jsonl", "--val", folder + "/suite/val.jsonl",
                          "--template", "plain", "--episodes", episodes, "--budget", "2", "--batch", "4", "--clusters", "2",
                          "--semantic-dims", "4", "--hidden", "8", "--threads", "1", "--quiet", "--out", folder + "/policy"] + extra)
        }
        XCTAssertEqual(try train("2", []).status, 0)
        let policy = try Data(contentsOf: URL(fileURLWithPath: folder + "/policy/policy.safetensors"))
        let again = try train("1", [])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("policy: holds a finished result (config.json)"), again.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/policy/policy.safetensors")), policy)
        XCTAssertEqual(try train("1", ["--force"]).status, 0, "--force replaces it")
    }

    /// PPO's settings are part of a policy's run: resuming under another GAE λ (the default changed on
    /// 2026-12-02) is refused, naming it, and the policy is left as it was; the same settings resume.
    func testTrainSelectorRefusesToResumeUnderOtherPPOSettings() throws {
        let (folder, model) = try tinySuite(self, size: 200)
        let train = { (episodes: String, extra: [String]) in
            try runRaise(["train-selector", "--model", model, "--data", folder + "/suite/pool.jsonl", "--val", folder + "/suite/val.jsonl",
                          "--template", "plain", "--episodes", episodes, "--budget", "2", "--batch", "4", "--semantic-dims", "4",
                          "--hidden", "8", "--threads", "1", "--quiet", "--out", folder + "/policy", "--resume"] + extra)
        }
        XCTAssertEqual(try train("1", []).status, 0)
        let policy = try Data(contentsOf: URL(fileURLWithPath: folder + "/policy/policy.safetensors"))
        let other = try train("2", ["--gae-lambda", "0"])
        XCTAssertEqual(other.status, 1)
        XCTAssertTrue(other.stderr.contains("this policy was trained with other settings (gae_lambda was 0.9, is now 0)"), other.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/policy/policy.safetensors")), policy)
        XCTAssertEqual(try train("2", []).status, 0, "the same settings resume")
    }
}

/// Bad input that used to be taken silently: pipes and devices, unbounded lines, files whose extension
/// or encoding the detector ignored, and options read loosely.
final class CarelessInputTests: XCTestCase {
    private func stats(_ path: String, _ extra: [String] = []) throws -> (status: Int32, stdout: String, stderr: String) {
        try runRaise(["data", "stats", path] + extra)
    }

    func testPipesFIFOsAndDevicesAreRefusedAtOnce() throws {
        let folder = try scratchFolder(self)
        let fifo = folder + "/pool.jsonl"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let clock = Date()
        let named = try stats(fifo)  // no writer: opening it would block forever
        XCTAssertEqual(named.status, 1)
        XCTAssertTrue(named.stderr.contains("\(fifo): is a pipe or FIFO, not a file"), named.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(clock), 30)
        let zero = try stats("/dev/zero")
        XCTAssertEqual(zero.status, 1)
        XCTAssertTrue(zero.stderr.contains("/dev/zero: is a device, not a file"), zero.stderr)
        let substituted = try runProcess("/bin/bash", ["-c", "\(buildFolder)/raise data stats <(printf '{\"instruction\":\"a\",\"output\":\"b\"}\\n'); echo \"status $?\""])
        XCTAssertTrue(substituted.output.contains("is a pipe or FIFO") && substituted.output.contains("status 1"), substituted.output)
    }

    func testARecordLongerThanTheLimitNamesFileAndLine() throws {
        let folder = try scratchFolder(self)
        let long = String(repeating: "x", count: 5000)
        let cases = [("lines.jsonl", "{\"instruction\":\"a\",\"output\":\"b\"}\n{\"instruction\":\"\(long)\",\"output\":\"b\"}\n", 2),
                     ("array.json", "[{\"instruction\":\"a\",\"output\":\"b\"},\n {\"instruction\":\"\(long)\",\"output\":\"b\"}]", 2),
                     ("doc.txt", "short\n\n" + (0..<100).map { _ in String(long.prefix(100)) }.joined(separator: "\n") + "\n", 3),
                     ("no-newline.txt", long, 1)]
        for (name, content, line) in cases {
            try content.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
            let result = try stats(folder + "/" + name, ["--max-record-bytes", "4096"])
            XCTAssertEqual(result.status, 1, name)
            XCTAssertTrue(result.stderr.contains("\(folder)/\(name):\(line): longer than 4096 bytes (--max-record-bytes)"), result.stderr)
        }
        XCTAssertEqual(try stats(folder + "/lines.jsonl").status, 0, "within the default 64 MiB")
    }

    func testExtensionEncodingAndMarksAreHonoured() throws {
        let folder = try scratchFolder(self)
        let record = "{\"instruction\":\"a\",\"output\":\"b\"}\n"
        try ("# a comment\n" + record).write(toFile: folder + "/comment.jsonl", atomically: true, encoding: .utf8)
        let comment = try stats(folder + "/comment.jsonl")
        XCTAssertTrue(comment.stdout.contains("invalid") || comment.stdout.contains("skipped"), comment.stdout)
        let strict = try runRaise(["select", "--data", folder + "/comment.jsonl", "--selector", "random", "--budget", "1", "--batch", "1",
                                   "--out", folder + "/x.jsonl"])
        XCTAssertEqual(strict.status, 1)
        XCTAssertTrue(strict.stderr.contains("comment.jsonl:1:1:"), strict.stderr)

        try Data([0] + Array(record.utf8)).write(to: URL(fileURLWithPath: folder + "/nul.jsonl"))
        let nul = try runRaise(["select", "--data", folder + "/nul.jsonl", "--selector", "random", "--budget", "1", "--batch", "1", "--out", folder + "/y.jsonl"])
        XCTAssertEqual(nul.status, 1, "read as JSON, not as a text document")
        try Data([0x41, 0, 0x42]).write(to: URL(fileURLWithPath: folder + "/binary.txt"))
        XCTAssertTrue(try stats(folder + "/binary.txt").stderr.contains("holds a NUL byte (at byte 2)"))

        try Data([0xEF, 0xBB, 0xBF] + Array((record + record).utf8)).write(to: URL(fileURLWithPath: folder + "/bom.jsonl"))
        let bom = try runRaise(["data", "stats", folder + "/bom.jsonl", "--json"])
        XCTAssertEqual(bom.status, 0, bom.stderr)
        XCTAssertEqual(try JSONValue.parse(bom.stdout).objectValue?["records"]?.intValue, 2, bom.stdout)

        var utf16 = Data([0xFF, 0xFE])
        utf16.append(record.data(using: .utf16LittleEndian)!)
        try utf16.write(to: URL(fileURLWithPath: folder + "/wide.jsonl"))
        XCTAssertTrue(try stats(folder + "/wide.jsonl").stderr.contains("is UTF-16 text; raise reads UTF-8"))
        try record.data(using: .utf16LittleEndian)!.write(to: URL(fileURLWithPath: folder + "/wide-nobom.jsonl"))
        XCTAssertTrue(try stats(folder + "/wide-nobom.jsonl").stderr.contains("is UTF-16 (no byte-order mark) text"))
    }

    func testOptionsAreNeverTakenLoosely() throws {
        let folder = try scratchFolder(self)
        let lines = (0..<40).map { #"{"instruction": "Add \#($0) and 1.", "output": "\#($0 + 1)"}"# }
        try (lines.joined(separator: "\n") + "\n").write(toFile: folder + "/pool.jsonl", atomically: true, encoding: .utf8)
        let select = ["select", "--data", folder + "/pool.jsonl", "--selector", "random", "--out", folder + "/s.jsonl"]
        let cases: [([String], String)] = [
            (["--budget", "101%"], "--budget 101%: a subset is at most the whole pool (100%)"),
            (["--budget", "1000steps"], "over 3 epochs need"),
            (["--budget", "100examples"], "100examples is not a whole number of batches of 16 examples: use 96examples or 112examples"),
            (["--budget", "0.01%"], "less than one training step of 16 examples"),
            (["--budget", "5%", "--budget", "10%"], "option --budget is given twice"),
            (["--budget", "5%", "--data", folder + "/pool.jsonl"], "--data \(folder)/pool.jsonl is given twice"),
            (["--budget", "5%", "--data", folder + "/./pool.jsonl"], "is given twice (as \(folder)/pool.jsonl)"),
            (["--budget", "5%", "--batch", "0x10"], "--batch '0x10': expected an integer"),
            (["--budget", "--quiet"], "option --budget needs a value B"),
        ]
        for (extra, message) in cases {
            let result = try runRaise(select + extra)
            XCTAssertEqual(result.status, 2, "\(extra): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(extra): \(result.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/s.jsonl"))
        let hexRate = try runRaise(["finetune", "--model", "nope", "--data", folder + "/pool.jsonl", "--lr", "0x1p3"])
        XCTAssertEqual(hexRate.status, 2)
        XCTAssertTrue(hexRate.stderr.contains("--lr '0x1p3': expected a number"), hexRate.stderr)
        let quietOut = try runRaise(select + ["--budget", "5%", "--out", "--quiet"])
        XCTAssertEqual(quietOut.status, 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "--quiet"))
    }

    func testMessagesNameWhatIsWrong() throws {
        let folder = try scratchFolder(self)
        try "{\"instruction\":\"a\",\"output\":\"b\"}\n".write(toFile: folder + "/pool.jsonl", atomically: true, encoding: .utf8)
        let pretrain = ["pretrain", "--data", folder + "/pool.jsonl", "--steps", "1", "--quiet"]
        let missing = try runRaise(pretrain + ["--model", "./nope", "--out", folder + "/m"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("--model: ./nope: no such model folder"), missing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/m"), "the output folder it made is gone again")
        let file = try runRaise(pretrain + ["--model", folder + "/pool.jsonl", "--out", folder + "/m"])
        XCTAssertTrue(file.stderr.contains("is a file, not a model folder"), file.stderr)
        let underFile = try runRaise(["data", "synth", "--size", "100", "--out", folder + "/pool.jsonl/suite"])
        XCTAssertEqual(underFile.status, 1)
        XCTAssertTrue(underFile.stderr.contains("cannot create the folder: \(folder)/pool.jsonl is a file, not a folder"), underFile.stderr)
    }

    func testATargetSplitIsComparedWithThePoolByContentNotByID() throws {
        let (folder, model) = try tinySuite(self, size: 200, validation: 8, testSplit: 4)
        let pool = try String(contentsOfFile: folder + "/suite/pool.jsonl", encoding: .utf8).split(separator: "\n").map(String.init)
        let validation = try String(contentsOfFile: folder + "/suite/val.jsonl", encoding: .utf8).split(separator: "\n").map(String.init)
        func finetune(val: String) throws -> (status: Int32, stdout: String, stderr: String) {
            try runRaise(["finetune", "--model", model, "--data", folder + "/suite/pool.jsonl", "--val", val, "--template", "plain",
                          "--budget", "1", "--batch", "2", "--threads", "1", "--quiet"])
        }
        // The validation records renamed with the pool's ids: other content, so no overlap.
        let sameIDs = validation.enumerated().map { $0.element.replacingOccurrences(of: "\"id\":\"val-\($0.offset)\"", with: "\"id\":\"pool-\($0.offset)\"") }
        try (sameIDs.joined(separator: "\n") + "\n").write(toFile: folder + "/same-ids.jsonl", atomically: true, encoding: .utf8)
        let accepted = try finetune(val: folder + "/same-ids.jsonl")
        XCTAssertEqual(accepted.status, 0, accepted.stderr)
        // A pool record renamed, its answer spaced differently: the same content.
        let copy = pool[5].replacingOccurrences(of: "\"id\":\"pool-5\"", with: "\"id\":\"fresh-1\"").replacingOccurrences(of: "\"output\":\"", with: "\"output\":\"  ")
        try ([validation[0], copy].joined(separator: "\n") + "\n").write(toFile: folder + "/copied.jsonl", atomically: true, encoding: .utf8)
        let refused = try finetune(val: folder + "/copied.jsonl")
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("copied.jsonl:2: record 'fresh-1' is also in the pool") && refused.stderr.contains("pool.jsonl:6, 'pool-5'"),
                      refused.stderr)
    }

    /// A record longer than the model's context is cut (its prompt first) and every command that reads it says
    /// so, naming the option and file: a loss over answers read without their instruction is another measure.
    func testRecordsCutToTheContextAreCountedByFile() throws {
        let (folder, model) = try tinySuite(self, size: 200, validation: 8, testSplit: 4)
        let question = String(repeating: "how many apples are left ", count: 8), answer = String(repeating: "seven apples ", count: 12)
        let records = [("short", "2+2?", "4"), ("long-question", question, "4"), ("long-answer", "count them", answer)]
        try records.map { "{\"id\":\"\($0)\",\"instruction\":\"\($1)\",\"output\":\"\($2)\"}\n" }.joined()
            .write(toFile: folder + "/long.jsonl", atomically: true, encoding: .utf8)
        let evaluate = try runRaise(["evaluate", "--model", model, "--template", "plain", "--val", folder + "/long.jsonl", "--threads", "1", "--quiet"])
        XCTAssertEqual(evaluate.status, 0, evaluate.stderr)
        XCTAssertTrue(evaluate.stderr.contains("raise: warning: --val \(folder)/long.jsonl: 2 of 3 record(s) are longer than the context of 48 "
                                               + "tokens and were cut: 1 lost the start of their prompt; 1 their whole prompt, so that their answers "
                                               + "are read without the instruction; 1 the end of their answer"), evaluate.stderr)
        let finetune = try runRaise(["finetune", "--model", model, "--data", folder + "/suite/pool.jsonl", "--test", folder + "/long.jsonl",
                                     "--template", "plain", "--budget", "1", "--batch", "2", "--threads", "1", "--quiet"])
        XCTAssertEqual(finetune.status, 0, finetune.stderr)
        XCTAssertTrue(finetune.stderr.contains("raise: warning: --test \(folder)/long.jsonl: 2 of 3 record(s) are longer"), finetune.stderr)
    }

    /// `--where` applies to every `--data` file; what it leaves out of each is said, by file — above all a file it
    /// leaves out whole (one without the field, such as GSM8K's beside alpaca-libre's `status`).
    func testWhatAFilterLeavesOutIsSaidByFile() throws {
        let (folder, model) = try tinySuite(self, size: 200, validation: 8, testSplit: 4)
        try (0..<4).map { "{\"instruction\":\"add \($0) and 1\",\"output\":\"\($0 + 1)\",\"status\":\"\($0 == 0 ? "bad" : "ok")\"}\n" }.joined()
            .write(toFile: folder + "/tagged.jsonl", atomically: true, encoding: .utf8)
        try (0..<3).map { "{\"question\":\"what is \($0) times 2\",\"answer\":\"\($0 * 2)\"}\n" }.joined()
            .write(toFile: folder + "/untagged.jsonl", atomically: true, encoding: .utf8)
        let select = try runRaise(["select", "--model", model, "--data", folder + "/tagged.jsonl", "--data", folder + "/untagged.jsonl",
                                   "--where", "status=ok", "--fields", "instruction=question,output=answer", "--selector", "random",
                                   "--budget", "3examples", "--batch", "1", "--template", "plain", "--quiet", "--out", folder + "/subset.jsonl"])
        XCTAssertEqual(select.status, 0, select.stderr)
        XCTAssertTrue(select.stderr.contains("raise: warning: \(folder)/tagged.jsonl: --where status=ok left out 1 of its 4 record(s)"), select.stderr)
        XCTAssertTrue(select.stderr.contains("raise: warning: \(folder)/untagged.jsonl: --where status=ok left out all 3 of its record(s): "
                                             + "the file adds none"), select.stderr)
        let split = try runRaise(["data", "split", "--data", folder + "/tagged.jsonl", "--where", "status=ok", "--parts", "all=rest",
                                  "--out", folder + "/split"])
        XCTAssertEqual(split.status, 0, split.stderr)
        XCTAssertTrue(split.stderr.contains("raise: warning: \(folder)/tagged.jsonl: --where status=ok left out 1 of its 4 record(s)"), split.stderr)
    }
}
