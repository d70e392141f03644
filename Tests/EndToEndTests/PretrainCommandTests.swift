// model.tinygpt through the plugin boundary: it overfits one batch, its whole-model gradient matches
// finite differences, checkpoints round-trip bit-exactly, the same seed gives the same loss curve,
// decoding with the key/value cache equals decoding without it, and `raise pretrain` killed and
// resumed ends where an uninterrupted run ends.
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class PretrainCommandTests: XCTestCase {
    func testKilledRunResumesToTheSameModel() throws {
        let folder = try scratchFolder(self)
        let data = folder + "/corpus.jsonl"
        try (0..<200).map { #"{"instruction": "Add \#($0 % 9) and \#($0 % 7).", "output": "\#($0 % 9 + $0 % 7)"}"# }
            .joined(separator: "\n").write(toFile: data, atomically: true, encoding: .utf8)
        XCTAssertEqual(try runRaise(["tokenizer", "train", "--vocab", "300", "--data", data, "--out", folder + "/tok", "--quiet"]).status, 0)
        func arguments(_ out: String) -> [String] {
            ["pretrain", "--model", "tinygpt:layers=2,heads=2,d=32,ctx=64,tokenizer=\(folder)/tok", "--data", data, "--steps", "400",
             "--checkpoint-every", "100", "--out", out, "--threads", "1", "--seed", "3", "--quiet"]
        }
        let whole = try runRaise(arguments(folder + "/whole"))
        XCTAssertEqual(whole.status, 0, whole.stderr)

        // Start the same run, kill -9 it once its first checkpoint exists, then resume.
        let ended = try runRaiseUntil(folder + "/killed/resume.safetensors", arguments(folder + "/killed"))
        XCTAssertEqual(ended, .uncaughtSignal, "the run was killed before it finished")

        let resumed = try runRaise(arguments(folder + "/killed").filter { $0 != "--quiet" } + ["--resume"])  // --quiet hides the note
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resuming"), resumed.stderr)
        let a = try Data(contentsOf: URL(fileURLWithPath: folder + "/whole/model.safetensors"))
        let b = try Data(contentsOf: URL(fileURLWithPath: folder + "/killed/model.safetensors"))
        XCTAssertEqual(a, b, "the resumed run ends with the same parameters, bit for bit")
    }
}
