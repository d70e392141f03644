// The plugin spec syntax ID[:NAME=VALUE,...] and the baseline selectors it names.
import RaiseKit
import RaiseTestSupport
import XCTest

final class PluginSpecTests: XCTestCase {
    func testParsesIdsSettingsAndQuotes() throws {
        let plain = try PluginSpec(parsing: "ifd:threshold=1.0,band=top", option: "--selector")
        XCTAssertEqual(plain.id, "ifd")
        XCTAssertEqual(plain.settings.map(\.name), ["threshold", "band"])
        XCTAssertEqual(plain.settings.map(\.value), ["1.0", "top"])
        XCTAssertEqual(plain.setting("band"), "top")
        XCTAssertNil(plain.setting("bands"))
        XCTAssertEqual(try PluginSpec(parsing: "selector.full", option: "--selector").settings.count, 0)
        let quoted = try PluginSpec(parsing: #"llama:path="/m/a,b=c.gguf",note="say \"hi\"",x="#, option: "--model")
        XCTAssertEqual(quoted.settings.map(\.value), ["/m/a,b=c.gguf", #"say "hi""#, ""])
    }

    /// Found by `make fuzz` (plugin-spec): a value ending in a prepended mark (U+0605) swallowed the closing
    /// quote of its canonical form, which then did not parse; the syntax is now read scalar by scalar.
    func testCanonicalTextParsesBackToTheSameValues() throws {
        let factory = PluginFactory(id: "selector.q", kind: .selector, version: "1", summary: "",
                                    parameters: [PluginParameter("path", .text, default: nil, ""), PluginParameter("n", .integer(1...9), default: "3", "")],
                                    create: { _ in fatalError() })
        for value in ["plain", "a,b=c", #"q"u\o"te"#, "x\u{605}", "\u{605}\"", "e\u{301}", "", "\u{301}=,"] {
            let arguments = try PluginSpec(parsing: "q:path=" + PluginSpec.quoted(value), option: "--selector").arguments(for: factory, seed: 0)
            XCTAssertEqual(arguments.values["path"], .text(value), value.debugDescription)
            let again = try PluginSpec(parsing: arguments.canonical, option: "--selector").arguments(for: factory, seed: 0)
            XCTAssertEqual(again.values, arguments.values, arguments.canonical)
        }
        XCTAssertEqual(try PluginSpec(parsing: "a:x=\u{301},y=2", option: "-").settings.map(\.value), ["\u{301}", "2"],
                       "a combining mark after '=' does not hide it, nor one before ','")
    }

    func testRejectsMalformedSpecs() {
        assertThrows(["--selector", "missing plugin id"]) { try PluginSpec(parsing: ":a=1", option: "--selector") }
        assertThrows(["--selector", "expected NAME=VALUE", "'band'"]) { try PluginSpec(parsing: "ifd:band", option: "--selector") }
        assertThrows(["--selector", "empty parameter name"]) { try PluginSpec(parsing: "ifd:=3", option: "--selector") }
        assertThrows(["--selector", "unterminated quote"]) { try PluginSpec(parsing: "ifd:a=\"x", option: "--selector") }
        assertThrows(["--selector", "'a' given twice"]) { try PluginSpec(parsing: "ifd:a=1,a=2", option: "--selector") }
        assertThrows(["--selector", "expected ','"]) { try PluginSpec(parsing: "ifd:a=\"x\"y", option: "--selector") }
    }
}

final class BaselineSelectorTests: XCTestCase {
    private func registry() throws -> PluginRegistry {
        let registry = PluginRegistry()
        try PluginLoader(registry: registry).load(file: builtLibrary("RaisePluginBaselineSelectors"))
        return registry
    }

    private func select(_ registry: PluginRegistry, _ spec: String, seed: UInt64, pool: Int, count: Int) throws -> [Int] {
        let selector = try registry.make(PluginSpec(parsing: spec, option: "--selector"), kind: .selector, seed: seed,
                                         as: (any InstructionSelector).self)
        XCTAssertEqual(selector.mode, .once)
        return try selector.select(SelectionRequest(poolSize: pool, count: count, totalSteps: 10))
    }

    func testRandomIsSeededDistinctAndInRange() throws {
        let r = try registry()
        let first = try select(r, "random", seed: 3, pool: 1000, count: 100)
        XCTAssertEqual(first, try select(r, "random", seed: 3, pool: 1000, count: 100), "same seed, same subset")
        XCTAssertNotEqual(first, try select(r, "random", seed: 4, pool: 1000, count: 100))
        XCTAssertNotEqual(first, try select(r, "random:stream=1", seed: 3, pool: 1000, count: 100))
        XCTAssertEqual(Set(first).count, 100)
        XCTAssertTrue(first.allSatisfy { (0..<1000).contains($0) })
        XCTAssertEqual(Set(try select(r, "random", seed: 3, pool: 50, count: 50)), Set(0..<50))
        assertThrows(["selector.random", "cannot choose 11 of a pool of 10"]) { try select(r, "random", seed: 0, pool: 10, count: 11) }
    }

    func testRandomIsUniform() throws {
        // 2,000 draws of 10 from 20: each index is chosen 1,000 times in expectation (sd ≈ 22).
        let r = try registry()
        var counts = [Int](repeating: 0, count: 20)
        for seed in 0..<2000 { for i in try select(r, "random", seed: UInt64(seed), pool: 20, count: 10) { counts[i] += 1 } }
        XCTAssertTrue(counts.allSatisfy { abs($0 - 1000) < 120 }, "\(counts)")
    }

    func testFullReturnsThePool() throws {
        XCTAssertEqual(try select(registry(), "full", seed: 0, pool: 7, count: 3), Array(0..<7))
    }
}
