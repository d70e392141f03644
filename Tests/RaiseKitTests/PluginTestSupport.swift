// Helpers for plugin tests: where the built plugins and fixtures are, models with real weights, and
// scratch folders.
import Foundation
import RaiseKit
import XCTest

/// The folder holding the test bundle, the raise executable, the plugins and the fixtures.
let buildFolder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path

/// The path of a library built into the build folder, failing the test when it is missing.
func builtLibrary(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
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
func realModel(library: String, spec: String) throws -> any LanguageModel {
    if let model = realModels[spec] { return model }
    let registry = PluginRegistry()
    try PluginLoader(registry: registry).load(file: builtLibrary(library))
    let model = try registry.make(PluginSpec(parsing: spec, option: "--model"), kind: .model, seed: 0, as: (any LanguageModel).self)
    realModels[spec] = model
    return model
}

/// A new empty folder, removed when the test ends.
func scratchFolder(_ test: XCTestCase) throws -> String {
    let path = NSTemporaryDirectory() + "raise-test-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// Asserts that `body` throws an error whose description contains every fragment.
func assertThrows<T>(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T) {
    do {
        _ = try body()
        XCTFail("expected an error containing \(fragments)", file: file, line: line)
    } catch {
        for fragment in fragments where !"\(error)".contains(fragment) {
            XCTFail("'\(error)' lacks '\(fragment)'", file: file, line: line)
        }
    }
}
