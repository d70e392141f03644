// The `raise` executable end to end: help, version, usage errors and exit codes, and the JSON lines
// of `raise bench kernels`, and the kernels OpenBLAS runs in the host. The binary is found next to the test
// bundle (CommandLine.arguments[0]).
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class CommandLineTests: XCTestCase {
    func testVersionAndHelp() throws {
        let version = try runRaise(["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertEqual(version.stdout, "raise \(RaiseKitVersion.string)\n")
        let help = try runRaise(["--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("bench kernels"))
        XCTAssertTrue(help.stdout.contains("demo"))
        let commandHelp = try runRaise(["bench", "kernels", "--help"])
        XCTAssertEqual(commandHelp.status, 0)
        XCTAssertTrue(commandHelp.stdout.contains("--threads N"))
    }

    func testUsageErrorsExitWithTwoAndNameTheProblem() throws {
        let unknownFlag = try runRaise(["data", "synth", "--bogus"])
        XCTAssertEqual(unknownFlag.status, 2)
        XCTAssertTrue(unknownFlag.stderr.contains("unknown option '--bogus'"))
        XCTAssertTrue(unknownFlag.stderr.contains("usage: raise data synth"))
        let unknownCommand = try runRaise(["frobnicate"])
        XCTAssertEqual(unknownCommand.status, 2)
        XCTAssertTrue(unknownCommand.stderr.contains("unknown command 'frobnicate'"))
        let badValue = try runRaise(["data", "synth", "--out", "/tmp/unused", "--size", "many"])
        XCTAssertEqual(badValue.status, 2)
        XCTAssertTrue(badValue.stderr.contains("--size 'many'"), badValue.stderr)
        let missingValue = try runRaise(["bench", "kernels", "--threads"])
        XCTAssertEqual(missingValue.status, 2)
        XCTAssertTrue(missingValue.stderr.contains("--threads needs a value"))
    }

    /// Under `--json` every line on stderr is a JSON object — warnings and errors as well as progress — so a
    /// program reading it line by line never meets a plain one.
    func testUnderJSONWarningsAndErrorsAreJSONObjects() throws {
        let folder = try scratchFolder(self)
        try (0..<4).map { "{\"instruction\":\"add \($0) and 1\",\"output\":\"\($0 + 1)\",\"status\":\"\($0 == 0 ? "bad" : "ok")\"}\n" }.joined()
            .write(toFile: folder + "/pool.jsonl", atomically: true, encoding: .utf8)
        let select = ["select", "--selector", "random", "--budget", "2examples", "--batch", "1", "--json"]
        func objects(_ stderr: String) throws -> [JSONObject] {
            try stderr.split(separator: "\n").map { line in try XCTUnwrap(try? JSONValue.parse(String(line)).objectValue, "not JSON: \(line)") }
        }
        let warned = try runRaise(select + ["--data", folder + "/pool.jsonl", "--where", "status=ok", "--out", folder + "/subset.jsonl"])
        XCTAssertEqual(warned.status, 0, warned.stderr)
        let warning = try XCTUnwrap(try objects(warned.stderr).first { $0["event"]?.stringValue == "warning" }, warned.stderr)
        XCTAssertEqual(warning["message"]?.stringValue, "\(folder)/pool.jsonl: --where status=ok left out 1 of its 4 record(s)")

        let failed = try runRaise(select + ["--data", folder + "/missing.jsonl", "--out", folder + "/other.jsonl"])
        XCTAssertEqual(failed.status, 1)
        let error = try XCTUnwrap(try objects(failed.stderr).last, failed.stderr)
        XCTAssertEqual(error["event"]?.stringValue, "error")
        XCTAssertTrue(error["message"]?.stringValue?.contains(folder + "/missing.jsonl") == true, failed.stderr)

        let misused = try runRaise(select + ["--bogus"])
        XCTAssertEqual(misused.status, 2)
        let usage = try XCTUnwrap(try objects(misused.stderr).last, misused.stderr)
        XCTAssertEqual(usage["message"]?.stringValue, "unknown option '--bogus' for 'raise select'")
        XCTAssertTrue(usage["usage"]?.stringValue?.hasPrefix("usage: raise select") == true, misused.stderr)
        // Without --json, the same mistakes are plain lines.
        let plain = try runRaise(select.filter { $0 != "--json" } + ["--bogus"])
        XCTAssertTrue(plain.stderr.hasPrefix("raise: error: unknown option '--bogus' for 'raise select'\n\nusage: raise select"), plain.stderr)
    }

    func testBadThreadEnvironmentIsReported() throws {
        let result = try runRaise(["bench", "kernels", "--repeats", "1"], environment: ["RAISE_THREADS": "zero"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("RAISE_THREADS='zero'"))
    }

    func testBenchKernelsJSONLines() throws {
        let result = try runRaise(["bench", "kernels", "--json", "--threads", "1", "--repeats", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 4)
        var cases = [String]()
        for line in lines {
            let object = try XCTUnwrap(JSONValue.parse(String(line)).objectValue)
            cases.append(try XCTUnwrap(object["case"]?.stringValue))
            let (gflops, reference, ratio) = (object["gflops"]!.numberValue!, object["reference_gflops"]!.numberValue!,
                                              object["ratio"]!.numberValue!)
            XCTAssertGreaterThan(gflops, 0)
            XCTAssertEqual(ratio, gflops / reference, accuracy: 0.002 * max(1, ratio))  // each printed to 3 decimals
        }
        XCTAssertEqual(cases, ["square-256", "square-512", "square-1024", "transformer-2048x128x512"])
    }

    /// The kernel set `raise bench kernels` reports running, under `environment`.
    private func kernels(_ environment: [String: String] = [:]) throws -> String {
        let result = try runRaise(["bench", "kernels", "--json", "--threads", "1", "--repeats", "1", "--rounds", "1"], environment: environment)
        XCTAssertEqual(result.status, 0, result.stderr)
        let first = try XCTUnwrap(result.stdout.split(separator: "\n").first)
        return try XCTUnwrap(JSONValue.parse(String(first)).objectValue?["kernels"]?.stringValue)
    }

    func testTheHostRunsKernelsAsStrongAsTheCPUAllows() throws {
        guard !ProcessEnvironment.isSet("OPENBLAS_CORETYPE") else {
            throw XCTSkip("OPENBLAS_CORETYPE is set for the tests: the host keeps it")
        }
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let chosen = try kernels()
        let level = try XCTUnwrap(BLASCoreChoice.level(ofCore: chosen), "OpenBLAS runs '\(chosen)', a core not known to BLASCoreChoice")
        XCTAssertGreaterThanOrEqual(level, BLASCoreChoice.level(ofFlags: BLASCoreChoice.cpuFlags(cpuinfo: cpuinfo)), chosen)
        XCTAssertEqual(try kernels(["OPENBLAS_CORETYPE": "Prescott"]), "Prescott")  // the user's choice stays
    }
}
