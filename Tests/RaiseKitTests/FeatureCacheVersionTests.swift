// The feature cache serves a column only to the backend version that computed it: the same weights,
// settings and records under a new version of the model's backend (its code changed) are scored again.
import XCTest
import RaiseKit
import RaiseTestSupport

final class FeatureCacheVersionTests: XCTestCase {
    func testAnotherBackendVersionIsScoredAgain() throws {
        let folder = try scratchFolder(self)
        let model = try StubModel(losses: { $0.map { Float($0.ids.count) } })
        let records = ["x", "y"].map {
            InstructionRecord(id: $0, turns: [ChatTurn(.user, $0), ChatTurn(.assistant, "ok")], source: SourceLocation(file: "t", line: 1), original: .text(""))
        }
        let pool = Pool(records: records, examples: [TokenizedExample(ids: [1, 2], lossMask: [0, 1]), TokenizedExample(ids: [3, 4, 5], lossMask: [0, 1, 1])])

        /// The loss column, through a fresh pipeline (no pass memory) whose registry has the backend at `version`.
        func losses(version: String) throws -> [Float]? {
            let registry = PluginRegistry()
            try PluginLoader(registry: registry).load(file: builtLibrary("RaisePluginFeatures"))
            let registrar = PluginRegistrar(libraryPath: "built-in")
            try registrar.add(PluginFactory(id: "model.stub", kind: .model, version: version, summary: "a test model") { _ in try StubModel(losses: { _ in [] }) })
            try registry.register(registrar)
            let pipeline = FeaturePipeline(registry: registry, models: .init(trained: model), template: .plain,
                                           cache: FeatureCache(directory: folder), console: Console(mode: .quiet), seed: 0)
            return try pipeline.columns([FeatureSpec.loss], of: pool)[FeatureColumn.loss]
        }

        XCTAssertEqual(try losses(version: "1.0.0"), [2, 3])
        XCTAssertEqual(model.lossPasses, 1)
        XCTAssertEqual(try losses(version: "1.0.0"), [2, 3])
        XCTAssertEqual(model.lossPasses, 1, "the same version is served from the cache")
        XCTAssertEqual(try losses(version: "1.1.0"), [2, 3])
        XCTAssertEqual(model.lossPasses, 2, "another version of the backend scores the pool again")
    }
}
