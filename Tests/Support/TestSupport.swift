// TestSupport: what the unit and end-to-end tests share — where the built executable, plugins, fixtures
// and shared data are, scratch folders, running `raise` and other programs, the tiny task suite, models
// with real weights loaded once, and an assertion on error messages.
import Foundation
import RaiseKit
import XCTest

/// The folder of committed test fixtures.
public let fixturesFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures").standardized.path

/// The folder holding the test bundle, the raise executable, the plugins and the fixtures.
public let buildFolder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path

/// The path of a library built into the build folder, failing the test when it is missing.
public func builtLibrary(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
    let path = buildFolder + "/lib\(name).so"
    guard FileManager.default.fileExists(atPath: path) else {
        XCTFail("\(path) is not built (run `swift build` first)", file: file, line: line)
        throw RaiseError.file(path: path, detail: "not built")
    }
    return path
}

/// Models with real weights, made once per test run (XCTest runs tests serially).
nonisolated(unsafe) private var realModels = [String: any LanguageModel]()

/// The model `spec` makes from the plugin library `library`, loaded once and shared by every test.
public func realModel(library: String, spec: String) throws -> any LanguageModel {
    if let model = realModels[spec] { return model }
    let registry = PluginRegistry()
    try PluginLoader(registry: registry).load(file: builtLibrary(library))
    let model = try registry.make(PluginSpec(parsing: spec, option: "--model"), kind: .model, seed: 0, as: (any LanguageModel).self)
    realModels[spec] = model
    return model
}

/// Runs `executable` with `arguments` (and `environment` over the test's own); returns its exit status and
/// its stdout and stderr together.
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
    let result = try Subprocess.run(executable, arguments, environment: environment, errorStream: .mergedIntoOutput)
    return (result.status, result.output)
}

/// A synthetic task suite (pool of `size` records) in a new scratch folder, a 300-token BPE trained on its
/// pretraining corpus, and the spec of a one-layer TinyGPT that uses it.
public func tinySuite(_ test: XCTestCase, size: Int, validation: Int = 16, testSplit: Int = 8, pretrain: Int = 400) throws -> (folder: String, model: String) {
    let folder = try scratchFolder(test)
    XCTAssertEqual(try runRaise(["data", "synth", "--out", folder + "/suite", "--size", String(size), "--val-size", String(validation),
                                 "--test-size", String(testSplit), "--pretrain-size", String(pretrain)]).status, 0)
    XCTAssertEqual(try runRaise(["tokenizer", "train", "--vocab", "300", "--data", folder + "/suite/pretrain.jsonl", "--out", folder + "/tok",
                                 "--quiet"]).status, 0)
    return (folder, "tinygpt:layers=1,heads=2,d=32,ctx=48,tokenizer=\(folder)/tok")
}

/// A new empty folder, removed when the test ends.
public func scratchFolder(_ test: XCTestCase) throws -> String {
    let path = NSTemporaryDirectory() + "raise-test-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// Asserts that `body` throws an error whose description contains every fragment.
public func assertThrows<T>(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T) {
    do {
        _ = try body()
        XCTFail("expected an error containing \(fragments)", file: file, line: line)
    } catch {
        for fragment in fragments where !"\(error)".contains(fragment) {
            XCTFail("'\(error)' lacks '\(fragment)'", file: file, line: line)
        }
    }
}

/// The folder of the shared real data sets.
public let sharedDataFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../../shared/data").standardized.path

/// The path of a shared data file; skips the test when the shared data is absent.
public func sharedData(_ relativePath: String) throws -> String {
    let path = sharedDataFolder + "/" + relativePath
    guard FileManager.default.fileExists(atPath: path) else {
        throw XCTSkip("\(path) not found: the shared data sets belong in ../shared/data beside the repository")
    }
    return path
}

/// The repository's top folder (Samples/ is there).
public let repositoryFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path

/// The bench environment's Python (`make venv-bench`, which `make test` runs) when it imports torch and
/// transformers; skips the test, saying how to get it, otherwise.
public func benchPython() throws -> String {
    let python = repositoryFolder + "/.venv-bench/bin/python"
    guard FileManager.default.isExecutableFile(atPath: python), (try? runProcess(python, ["-c", "import torch, transformers"]).status) == 0 else {
        throw XCTSkip("\(python) cannot import torch and transformers: `make venv-bench` makes the bench environment")
    }
    return python
}

/// Feature caches of test runs go to a scratch folder, not the user's cache (a cache entry written by an
/// older build would be read back by a test comparing two runs); the folder is removed when the test process exits.
public let scratchCache: [String: String] = {
    atexit { try? FileManager.default.removeItem(atPath: scratchCacheFolder()) }
    return ["RAISE_CACHE_DIR": scratchCacheFolder()]
}()

/// This test process's scratch feature-cache folder.
private func scratchCacheFolder() -> String {
    NSTemporaryDirectory() + "raise-test-cache-\(getpid())"
}

/// Runs the built `raise` with `arguments`; returns its exit code, stdout and stderr.
public func runRaise(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
    let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let executable = folder.appendingPathComponent("raise")
    guard FileManager.default.isExecutableFile(atPath: executable.path) else {
        throw RaiseError.file(path: executable.path, detail: "the raise executable is not built (run `swift build` first)")
    }
    let result = try Subprocess.run(executable.path, arguments, environment: scratchCache.merging(environment) { $1 })
    return (result.status, result.output, result.errorOutput)
}

/// Starts the built `raise` with `arguments` (its output discarded) and kills it with SIGKILL as soon as
/// `path` exists; returns how the process ended (`.uncaughtSignal` when it was killed before finishing).
public func runRaiseUntil(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Process.TerminationReason {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: buildFolder + "/raise")
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(scratchCache) { $1 }.merging(environment) { $1 }
    process.standardError = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    while !FileManager.default.fileExists(atPath: path) && process.isRunning { usleep(500) }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    return process.terminationReason
}
