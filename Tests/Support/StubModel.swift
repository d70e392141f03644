// StubModel: a test double of the model protocol whose answer losses come from a closure, counting its
// scoring passes; its embeddings are zeros (reported done in one go) and it neither trains nor generates.
import RaiseKit

/// A model whose `exampleLosses` are `losses(examples)`, counting loss and embedding passes.
public final class StubModel: LanguageModel {
    public let backendID = "model.stub"
    public let configuration = JSONObject()
    public let tokenizer: any Tokenizer
    public let parameters: ParameterStore
    public let contextLength = 8
    public let embeddingWidth = 1
    public let losses: ([TokenizedExample]) -> [Float]
    public private(set) var lossPasses = 0
    public private(set) var embeddingPasses = 0

    public init(losses: @escaping ([TokenizedExample]) -> [Float], parameters specs: [ParameterSpec] = []) throws {
        self.losses = losses
        var rng = RandomGenerator(seed: 0)
        parameters = ParameterStore(specs, rng: &rng)
        tokenizer = try BytePairTrainer.train(texts: ["a"], vocabularySize: 260)
    }

    public func exampleLosses(_ examples: [TokenizedExample]) throws -> [Float] {
        lossPasses += 1
        return losses(examples)
    }

    public func embeddings(_ examples: [TokenizedExample], progress: ((_ done: Int) -> Void)?) throws -> Tensor {
        embeddingPasses += 1
        progress?(examples.count)
        return Tensor(zeros: [examples.count, 1])
    }

    public func accumulateGradients(_ batch: [TokenizedExample]) throws -> (lossSum: Double, tokens: Int) { (0, 0) }
    public func generate(prompts: [[Int32]], maxNewTokens: [Int], stop: Set<Int32>) throws -> [[Int32]] { prompts.map { _ in [] } }
}
