// EmbeddingStore: a model that embeds each example alone has each example embedded once across stores of
// one folder (processes), its rows read back in the call's order, bit for bit; other weights or another
// version of the backend embed again; a batched model is embedded whole every time and nothing is kept.
import XCTest
@testable import RaiseKit
import RaiseTestSupport

/// A model whose embedding of an example is (sum of its ids × weight, its length), counting rows embedded.
private final class RowModel: LanguageModel {
    let backendID = "model.rows"
    let configuration = JSONObject()
    let tokenizer: any Tokenizer
    let parameters: ParameterStore
    let contextLength = 8
    let embeddingWidth = 2
    let embedsEachExampleAlone: Bool
    private(set) var rowsEmbedded = 0

    init(alone: Bool) throws {
        embedsEachExampleAlone = alone
        var rng = RandomGenerator(seed: 0)
        parameters = ParameterStore([ParameterSpec("w", [1], .ones)], rng: &rng)
        tokenizer = try BytePairTrainer.train(texts: ["a"], vocabularySize: 260)
    }

    func embeddings(_ examples: [TokenizedExample], progress: ((_ done: Int) -> Void)?) throws -> Tensor {
        rowsEmbedded += examples.count
        return Tensor(shape: [examples.count, 2], values: examples.flatMap {
            [Float($0.ids.reduce(0, +)) * parameters.values.data[0] + 0.1, Float($0.ids.count)]
        })
    }

    func exampleLosses(_ examples: [TokenizedExample]) throws -> [Float] { examples.map { _ in 0 } }
    func accumulateGradients(_ batch: [TokenizedExample]) throws -> (lossSum: Double, tokens: Int) { (0, 0) }
    func generate(prompts: [[Int32]], maxNewTokens: [Int], stop: Set<Int32>) throws -> [[Int32]] { prompts.map { _ in [] } }
}

final class EmbeddingStoreTests: XCTestCase {
    private let a = TokenizedExample(ids: [1, 2], lossMask: [0, 1])
    private let b = TokenizedExample(ids: [3, 4, 5], lossMask: [0, 1, 1])
    private let c = TokenizedExample(ids: [6], lossMask: [1])

    func testEachExampleIsEmbeddedOnceAndReadBackInOrder() throws {
        let folder = try scratchFolder(self)
        let model = try RowModel(alone: true)
        let first = try EmbeddingStore(cache: FeatureCache(directory: folder), backendVersion: "1.0.0").embeddings(model, [a, b]) { try model.embeddings($0) }
        XCTAssertEqual(first.scalars, try model.embeddings([a, b]).scalars)
        XCTAssertEqual(model.rowsEmbedded, 2 + 2)

        // Another store of the folder (another process): only c is new, embedded once although asked twice.
        var asked = [[TokenizedExample]]()
        let second = try EmbeddingStore(cache: FeatureCache(directory: folder), backendVersion: "1.0.0").embeddings(model, [b, c, a, c]) {
            asked.append($0)
            return try model.embeddings($0)
        }
        XCTAssertEqual(asked, [[c]])
        XCTAssertEqual(second.shape, [4, 2])
        XCTAssertEqual(second.scalars, try model.embeddings([b, c, a, c]).scalars, "the rows in the call's order, bit for bit")

        // The same weights under another version of the backend (its code changed): nothing read back.
        asked = []
        _ = try EmbeddingStore(cache: FeatureCache(directory: folder), backendVersion: "1.0.1").embeddings(model, [a, b]) {
            asked.append($0)
            return try model.embeddings($0)
        }
        XCTAssertEqual(asked, [[a, b]])

        // Other weights: another store entry, every example embedded again.
        model.parameters.values.data[0] = 2
        asked = []
        let changed = try EmbeddingStore(cache: FeatureCache(directory: folder), backendVersion: "1.0.0").embeddings(model, [a, c]) {
            asked.append($0)
            return try model.embeddings($0)
        }
        XCTAssertEqual(asked, [[a, c]])
        XCTAssertEqual(changed.scalars, [6.1, 2, 12.1, 1])
    }

    func testABatchedModelIsEmbeddedWholeAndNothingIsKept() throws {
        let folder = try scratchFolder(self)
        let model = try RowModel(alone: false)
        for _ in 0..<2 {
            var asked = [[TokenizedExample]]()
            _ = try EmbeddingStore(cache: FeatureCache(directory: folder), backendVersion: "1.0.0").embeddings(model, [a, b]) {
                asked.append($0)
                return try model.embeddings($0)
            }
            XCTAssertEqual(asked, [[a, b]], "a batch's padding moves its rows: no row is reused")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), [])
    }
}
