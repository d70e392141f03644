// `raise plugins …` end to end, and the out-of-tree sample: built against an installed core with the
// sample's own Makefile, then loaded with --plugin-path.
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class PluginCommandTests: XCTestCase {
    func testListJSONHasOneObjectPerPlugin() throws {
        let result = try runRaise(["plugins", "list", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let objects = try result.stdout.split(separator: "\n").map { try XCTUnwrap(JSONValue.parse(String($0)).objectValue) }
        let ids = objects.compactMap { $0["id"]?.stringValue }
        XCTAssertEqual(ids, ids.sorted())
        XCTAssertTrue(Set(ids).isSuperset(of: ["model.tinygpt", "selector.full", "selector.random"]), "\(ids)")
        for object in objects {
            XCTAssertNotNil(object["kind"]?.stringValue.flatMap(PluginKind.init(rawValue:)))
            XCTAssertNotNil(object["version"]?.stringValue)
            XCTAssertTrue(object["path"]?.stringValue?.contains("/libRaisePlugin") ?? false)
        }
        let random = try XCTUnwrap(objects.first { $0["id"]?.stringValue == "selector.random" })
        XCTAssertEqual(random["kind"]?.stringValue, "selector")
        XCTAssertTrue(random["path"]?.stringValue?.hasSuffix("/libRaisePluginBaselineSelectors.so") ?? false)
    }

    func testInfoAndCheck() throws {
        let info = try runRaise(["plugins", "info", "random"])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("stream  an integer in 0...1000000; default 0"))
        let ok = try runRaise(["plugins", "check", "selector.random:stream=2", "full"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertEqual(ok.stdout.split(separator: "\n").count, 2)
        let bad = try runRaise(["plugins", "check", "selector.random:stream=-1"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("selector.random: parameter 'stream' = '-1': expected an integer in 0...1000000"), bad.stderr)
        let unknown = try runRaise(["plugins", "info", "nonesuch"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains("unknown plugin 'nonesuch'; known: "), unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("model.tinygpt") && unknown.stderr.contains("selector.random"), unknown.stderr)
    }

    func testBadPluginPathsFailAndDirectoryScansWarn() throws {
        let missing = try runRaise(["plugins", "list", "--plugin-path", "/no/such/plugin.so"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("plugin /no/such/plugin.so: no such file or directory"))
        let wrong = try runRaise(["plugins", "list", "--plugin-path", builtLibrary("RaiseFixtureWrongABI")])
        XCTAssertEqual(wrong.status, 1)
        XCTAssertTrue(wrong.stderr.contains("ABI version"))
        let folder = try scratchFolder(self)
        try FileManager.default.copyItem(atPath: builtLibrary("RaiseFixtureNoEntry"), toPath: folder + "/libRaisePluginNoEntry.so")
        let scanned = try runRaise(["plugins", "list", "--json"], environment: ["RAISE_PLUGIN_PATH": folder])
        XCTAssertEqual(scanned.status, 0)
        XCTAssertTrue(scanned.stderr.contains("{\"event\":\"warning\",\"message\":\"skipped plugin \(folder)/libRaisePluginNoEntry.so"), scanned.stderr)
        XCTAssertFalse(scanned.stdout.contains("NoEntry"))
        XCTAssertEqual(scanned.stdout.split(separator: "\n").count, try runRaise(["plugins", "list", "--json"]).stdout.split(separator: "\n").count)
    }

    func testOutOfTreeSampleBuildsAndLoads() throws {
        // Lay out an installed core as `make install` does, from this build.
        let prefix = try scratchFolder(self)
        let core = prefix + "/lib/raise"
        try FileManager.default.createDirectory(atPath: core + "/swift", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: builtLibrary("RaiseKit"), toPath: core + "/libRaiseKit.so")
        try FileManager.default.copyItem(atPath: buildFolder + "/Modules/RaiseKit.swiftmodule", toPath: core + "/swift/RaiseKit.swiftmodule")

        let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Samples/ExternalReward").standardized.path
        let output = prefix + "/libRaisePluginExternalReward.so"
        let make = Process()
        make.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        make.arguments = ["make", "-s", "-C", sample, "RAISE_PREFIX=\(prefix)", "OUT=\(output)"]
        try make.run()
        make.waitUntilExit()
        XCTAssertEqual(make.terminationStatus, 0, "the sample's one documented build command")

        let list = try runRaise(["plugins", "list", "--json", "--plugin-path", output])
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.contains(#""id":"reward.neg-perplexity","kind":"reward""#), list.stdout)
        let check = try runRaise(["plugins", "check", "--plugin-path", output, "reward.neg-perplexity:cap=50"])
        XCTAssertEqual(check.status, 0, check.stderr)

        // In process: the reward computes −min(exp(mean loss), cap) through the LanguageModel protocol.
        let registry = PluginRegistry()
        try PluginLoader(registry: registry).load(file: output)
        let reward = try registry.make(PluginSpec(parsing: "neg-perplexity:cap=50", option: "--reward"), kind: .reward, seed: 0,
                                       as: (any Reward).self)
        let validation = [TokenizedExample(ids: [1, 2, 3], lossMask: [0, 1, 1]), TokenizedExample(ids: [4, 5], lossMask: [0, 1])]
        XCTAssertEqual(try reward.performance(of: try StubModel { Array([1, 2].prefix($0.count)) }, validation: validation), -exp(1.5), accuracy: 1e-9)
        XCTAssertEqual(try reward.performance(of: try StubModel { Array([9, 9].prefix($0.count)) }, validation: validation), -50)
    }
}
