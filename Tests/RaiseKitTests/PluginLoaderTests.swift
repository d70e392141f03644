// The plugin loader in process: casts across the boundary, one shared copy of RaiseKit, and every kind
// of bad plugin (each a deliberately broken fixture) reported with its file and reason, never a crash.
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class PluginLoaderTests: XCTestCase {
    private func loader() -> (PluginRegistry, PluginLoader) {
        let registry = PluginRegistry()
        return (registry, PluginLoader(registry: registry))
    }

    func testObjectsCastAcrossTheBoundary() throws {
        let (registry, loader) = loader()
        try loader.load(file: builtLibrary("RaiseFixtureProbe"))
        XCTAssertEqual(registry.plugins().map(\.factory.id), ["feature.probe-fails", "model.probe-wrong-type", "selector.probe"])
        let spec = try PluginSpec(parsing: "probe:count=5,ratio=0.25,band=high,verbose=true,path=\"a,b=c\"", option: "--selector")
        let selector = try registry.make(spec, kind: .selector, seed: 7, as: (any InstructionSelector).self)
        XCTAssertEqual(try selector.select(SelectionRequest(poolSize: 10, count: 5, totalSteps: 1)), [0, 1, 2, 3, 4])
        // The probe keeps the checked arguments it was made with; a RaiseKit struct read back across the boundary.
        let probe = try XCTUnwrap(Mirror(reflecting: selector).children.first { $0.label == "arguments" }?.value as? PluginArguments)
        XCTAssertEqual(probe.values, ["count": .integer(5), "ratio": .number(0.25), "band": .text("high"),
                                      "verbose": .boolean(true), "path": .text("a,b=c")])
        XCTAssertEqual(probe.seed, 7)
    }

    func testHostAndPluginShareOneCopyOfRaiseKit() throws {
        let path = try builtLibrary("RaiseFixtureProbe")
        try PluginLoader(registry: PluginRegistry()).load(file: path)
        let handle = try XCTUnwrap(dlopen(path, RTLD_NOW | RTLD_NOLOAD), "the loader keeps the library open")
        typealias Probe = @convention(c) () -> UnsafeRawPointer
        let probe = unsafeBitCast(try XCTUnwrap(dlsym(handle, "raise_probe_tensor_storage_type")), to: Probe.self)
        XCTAssertEqual(probe(), unsafeBitCast(TensorStorage.self, to: UnsafeRawPointer.self),
                       "the plugin sees the host's TensorStorage metadata, not a private copy")
        XCTAssertEqual(ObjectIdentifier(unsafeBitCast(probe(), to: AnyClass.self)), ObjectIdentifier(TensorStorage.self))
    }

    func testCopiedPluginLoadsFromAnotherFolder() throws {
        let folder = try scratchFolder(self)
        let copy = folder + "/libRaisePluginBaselineSelectors.so"
        try FileManager.default.copyItem(atPath: builtLibrary("RaisePluginBaselineSelectors"), toPath: copy)
        let (registry, loader) = loader()
        try loader.load(file: copy)
        XCTAssertGreaterThanOrEqual(registry.plugins().count, 2)
        XCTAssertTrue(registry.plugins().allSatisfy { $0.path == copy })
        let selector = try registry.make(PluginSpec(parsing: "random", option: "--selector"), kind: .selector, seed: 1,
                                         as: (any InstructionSelector).self)
        XCTAssertEqual(try selector.select(SelectionRequest(poolSize: 100, count: 10, totalSteps: 1)).count, 10)
    }

    func testMissingFile() {
        assertThrows(["/no/such/libRaisePluginX.so", "no such file"]) { try loader().1.load(file: "/no/such/libRaisePluginX.so") }
    }

    func testNotASharedObject() throws {
        let path = try scratchFolder(self) + "/libRaisePluginJunk.so"
        try String(repeating: "not an ELF file. ", count: 20).write(toFile: path, atomically: true, encoding: .utf8)
        assertThrows([path, "cannot load", "ELF"]) { try loader().1.load(file: path) }
    }

    func testEntrySymbolMissing() throws {
        let path = try builtLibrary("RaiseFixtureNoEntry")
        assertThrows([path, "'raise_plugin_entry' missing", "undefined symbol"]) { try loader().1.load(file: path) }
    }

    func testABIMismatchShowsBothVersions() throws {
        let path = try builtLibrary("RaiseFixtureWrongABI")
        assertThrows([path, "ABI version \(PluginABI.version + 41)", "expects \(PluginABI.version)"]) { try loader().1.load(file: path) }
    }

    func testTwoFilesRegisteringOneIDNameBothFiles() throws {
        let original = try builtLibrary("RaisePluginBaselineSelectors")
        let copy = try scratchFolder(self) + "/libRaisePluginBaselineCopy.so"
        try FileManager.default.copyItem(atPath: original, toPath: copy)
        let (registry, loader) = loader()
        try loader.load(file: original)
        assertThrows(["selector.random", original, copy]) { try loader.load(file: copy) }
        XCTAssertEqual(Set(registry.plugins().map(\.path)), [original], "the second file registered nothing")
    }

    func testFailedRegistrationRegistersNothing() throws {
        let path = try builtLibrary("RaiseFixtureFailingRegistration")
        let (registry, loader) = loader()
        assertThrows([path, "registration failed", "/etc/probe.conf"]) { try loader.load(file: path) }
        XCTAssertTrue(registry.plugins().isEmpty)
    }

    func testFactoryThatThrowsAtCreation() throws {
        let (registry, loader) = loader()
        try loader.load(file: builtLibrary("RaiseFixtureProbe"))
        assertThrows(["feature.probe-fails", "/nonexistent/weights.safetensors"]) {
            try registry.make(PluginSpec(parsing: "probe-fails", option: "--features"), kind: .feature, seed: 0,
                              as: (any FeatureExtractor).self)
        }
        assertThrows(["model.probe-wrong-type", "ProbeSelector", "not a model backend"]) {
            try registry.make(PluginSpec(parsing: "model.probe-wrong-type", option: "--model"), kind: .model, seed: 0,
                              as: (any LanguageModel).self)
        }
    }

    func testBadParametersNamePluginParameterAndWhatIsAllowed() throws {
        let (registry, loader) = loader()
        try loader.load(file: builtLibrary("RaiseFixtureProbe"))
        func make(_ text: String) throws -> any InstructionSelector {
            try registry.make(PluginSpec(parsing: text, option: "--selector"), kind: .selector, seed: 0, as: (any InstructionSelector).self)
        }
        assertThrows(["selector.probe", "unknown parameter 'size'", "count, ratio, band, verbose, path"]) { try make("probe:path=x,size=3") }
        assertThrows(["selector.probe", "'count' = 'three'", "an integer in 1...10"]) { try make("probe:path=x,count=three") }
        assertThrows(["selector.probe", "'count' = '11'", "an integer in 1...10"]) { try make("probe:path=x,count=11") }
        assertThrows(["selector.probe", "'ratio' = '1.5'", "a number in 0.0...1.0"]) { try make("probe:path=x,ratio=1.5") }
        assertThrows(["selector.probe", "'band' = 'top'", "one of low, middle, high"]) { try make("probe:path=x,band=top") }
        assertThrows(["selector.probe", "'verbose' = 'maybe'", "true or false"]) { try make("probe:path=x,verbose=maybe") }
        assertThrows(["selector.probe", "'path' is required"]) { try make("probe") }
        assertThrows(["unknown selector 'ifd'", "selector.probe"]) { try make("ifd") }
    }

    func testDirectoryScanSkipsBadFilesWithWarnings() throws {
        let folder = try scratchFolder(self)
        try FileManager.default.copyItem(atPath: builtLibrary("RaisePluginBaselineSelectors"), toPath: folder + "/libRaisePluginA.so")
        try FileManager.default.copyItem(atPath: builtLibrary("RaiseFixtureWrongABI"), toPath: folder + "/libRaisePluginB.so")
        try "junk".write(toFile: folder + "/libRaisePluginC.so", atomically: true, encoding: .utf8)
        try "ignored: not a plugin name".write(toFile: folder + "/libOther.so", atomically: true, encoding: .utf8)
        let (registry, loader) = loader()
        loader.scan(directory: folder)
        let direct = PluginRegistry()
        try PluginLoader(registry: direct).load(file: builtLibrary("RaisePluginBaselineSelectors"))
        XCTAssertEqual(registry.plugins().map(\.factory.id), direct.plugins().map(\.factory.id), "only the good file registered")
        XCTAssertEqual(loader.warnings.count, 2, "\(loader.warnings)")
        XCTAssertTrue(loader.warnings[0].contains("libRaisePluginB.so") && loader.warnings[0].contains("ABI version"))
        XCTAssertTrue(loader.warnings[1].contains("libRaisePluginC.so") && loader.warnings[1].contains("cannot load"))
    }

    func testSearchOrderAndDeduplication() throws {
        let folder = try scratchFolder(self)
        let copy = folder + "/libRaisePluginProbe.so"
        try FileManager.default.copyItem(atPath: builtLibrary("RaiseFixtureProbe"), toPath: copy)
        let (registry, loader) = loader()
        // The environment names the folder, --plugin-path the file in it: loaded once. The executable's
        // folder (the build folder) then adds the in-tree plugins.
        try loader.loadAll(pluginPaths: [copy], environment: folder, executablePath: buildFolder + "/raise")
        XCTAssertEqual(registry.plugins().filter { $0.path == copy }.count, 3)
        XCTAssertNoThrow(try registry.plugin("selector.random"))
        XCTAssertTrue(loader.warnings.isEmpty, "\(loader.warnings)")
        assertThrows(["/missing/dir", "no such file"]) {
            try PluginLoader(registry: PluginRegistry()).loadAll(pluginPaths: ["/missing/dir"], environment: nil, executablePath: "/x/raise")
        }
    }
}
