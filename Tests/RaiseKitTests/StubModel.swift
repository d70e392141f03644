// StubModel: a test double of the model protocol whose answer losses come from a closure, counting its
// scoring passes; its embeddings are zeros and it neither trains nor generates.
import RaiseKit

/// A model whose `exampleLosses` are `losses(examples)`, counting loss and embedding passes.
final class StubModel: LanguageModel {
    let backendID = "model.stub"
    let configuration = JSONObject()
    let tokenizer: any Tokenizer
    let parameters: ParameterStore
    let contextLength = 8
    let embeddingWidth = 1
    let losses: ([TokenizedExample]) -> [Float]
    private(set) var lossPasses = 0
    private(set) var embeddingPasses = 0

    init(losses: @escaping ([TokenizedExample]) -> [Float]) throws {
        self.losses = losses
        var rng = RandomGenerator(seed: 0)
        parameters = ParameterStore([], rng: &rng)
        tokenizer = try BytePairTrainer.train(texts: ["a"], vocabularySize: 260)
    }

    func exampleLosses(_ examples: [TokenizedExample]) throws -> [Float] {
        lossPasses += 1
        return losses(examples)
    }

    func embeddings(_ examples: [TokenizedExample]) throws -> Tensor {
        embeddingPasses += 1
        return Tensor(zeros: [examples.count, 1])
    }

    func accumulateGradients(_ batch: [TokenizedExample]) throws -> (lossSum: Double, tokens: Int) { (0, 0) }
    func generate(prompt: [Int32], maxNewTokens: Int, stop: Set<Int32>) throws -> [Int32] { [] }
}
