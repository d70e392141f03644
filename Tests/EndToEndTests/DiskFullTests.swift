// Disk full: a checkpoint written to a full 1 MB tmpfs, and an output larger than the file-size limit,
// fail with an error naming the path and the system's reason, exit 1, keep the previous good file intact
// and leave no temporary file. The tmpfs is mounted in a user namespace (`unshare -rm`), so the test
// needs no root; where the kernel forbids that, only the file-size-limit test runs.
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class DiskFullTests: XCTestCase {
    /// Runs `script` with bash (in a user and mount namespace when `namespace`); returns status and output.
    private func bash(_ script: String, namespace: Bool = false) throws -> (status: Int32, output: String) {
        try namespace ? runProcess("/usr/bin/unshare", ["-rm", "/bin/bash", "-c", script]) : runProcess("/bin/bash", ["-c", script])
    }

    func testFullDiskFailsWithTheReasonAndKeepsTheLastCheckpoint() throws {
        let probe = "d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs $d && umount $d && rmdir $d"
        guard (try? bash(probe, namespace: true).status) == 0 else {
            throw XCTSkip("this kernel does not let an unprivileged user mount a tmpfs in a namespace (unshare -rm)")
        }
        let (folder, model) = try tinySuite(self, size: 300, validation: 8, pretrain: 200)
        // A policy trained for one episode, then resumed for a second (more episodes are the same run) on
        // the filled disk: the state written after the second episode does not fit.
        let trainSelector = "\(buildFolder)/raise train-selector --model \(model) --data \(folder)/suite/pool.jsonl --val \(folder)/suite/val.jsonl "
            + "--template plain --budget 2 --batch 4 --clusters 2 --semantic-dims 4 --hidden 8 --threads 1 --quiet"
        let result = try bash("""
            set -u
            export RAISE_CACHE_DIR=\(folder)/cache
            disk=\(folder)/disk; mkdir -p $disk
            mount -t tmpfs -o size=1m tmpfs $disk
            \(trainSelector) --episodes 1 --out $disk/policy > /dev/null || exit 90
            cp $disk/policy/training-state.safetensors \(folder)/good.safetensors
            dd if=/dev/zero of=$disk/filler bs=4k 2> /dev/null
            \(trainSelector) --episodes 2 --out $disk/policy --resume > /dev/null 2> \(folder)/stderr
            echo "status $?"
            cmp $disk/policy/training-state.safetensors \(folder)/good.safetensors && echo "state intact"
            ls -A $disk/policy
            """, namespace: true)
        let stderr = (try? String(contentsOfFile: folder + "/stderr", encoding: .utf8)) ?? ""
        XCTAssertTrue(result.output.contains("status 1"), result.output + stderr)
        XCTAssertTrue(result.output.contains("state intact"), result.output)
        XCTAssertFalse(result.output.contains(".tmp-"), "a temporary file was left: " + result.output)
        XCTAssertTrue(stderr.contains("raise: error: \(folder)/disk/policy/") && stderr.contains("No space left on device"), stderr)
    }

    func testFileSizeLimitFailsWithTheReasonAndKeepsTheLastOutput() throws {
        let (folder, model) = try tinySuite(self, size: 300, validation: 8, pretrain: 200)
        let score = "\(buildFolder)/raise score --model \(model) --data \(folder)/suite/pool.jsonl --template plain --threads 1 --quiet --out \(folder)/out/scores.jsonl"
        let first = try bash("mkdir -p \(folder)/out && RAISE_CACHE_DIR=\(folder)/cache \(score) --features length")
        XCTAssertEqual(first.status, 0, first.output)
        let good = try Data(contentsOf: URL(fileURLWithPath: folder + "/out/scores.jsonl"))
        // A file-size limit just under the first output's size (bash counts KiB), for an output with more
        // columns; SIGXFSZ ignored, so the write fails with EFBIG instead of killing the process.
        let limited = try bash("trap '' XFSZ; ulimit -f \(good.count >> 10); RAISE_CACHE_DIR=\(folder)/cache \(score) --features length,loss --force")
        XCTAssertEqual(limited.status, 1, limited.output)
        XCTAssertTrue(limited.output.contains("raise: error: \(folder)/") && limited.output.contains("File too large"), limited.output)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/out/scores.jsonl")), good, "the previous output is intact")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder + "/out"), ["scores.jsonl"], "no temporary file left")
    }
}
