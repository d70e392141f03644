// LossMemory: answer losses already computed, by model state and the exact examples of the call, so
// that feature extractors asking for the same pass — feature.loss and feature.ifd's conditional losses
// — pay for it once. Only whole calls are remembered: a remembered call returns what the model returned
// for those examples in those batches, bit for bit. The owner decides how long it lives (a benchmark
// keeps one for its whole run; `raise score` one per window, which bounds its memory).
import Synchronization

/// Remembered `exampleLosses` calls.
public final class LossMemory: Sendable {
    private struct Call: Hashable {
        let model: UInt64
        let examples: [TokenizedExample]
    }

    private let calls = Mutex<[Call: [Float]]>([:])

    /// An empty memory.
    public init() {}

    /// `model`, its `exampleLosses` remembered here under `fingerprint` — which must change whenever its
    /// weights do (`FeatureCache.fingerprint`): a model being trained must not be wrapped.
    public func remembering(_ model: any LanguageModel, fingerprint: UInt64) -> any LanguageModel {
        RememberingModel(base: model, memory: self, fingerprint: fingerprint)
    }

    /// The losses of `examples` under the model `fingerprint` names: remembered, or computed and kept.
    fileprivate func losses(model fingerprint: UInt64, _ examples: [TokenizedExample], compute: () throws -> [Float]) rethrows -> [Float] {
        let call = Call(model: fingerprint, examples: examples)
        if let known = calls.withLock({ $0[call] }) { return known }
        let losses = try compute()
        calls.withLock { $0[call] = losses }
        return losses
    }
}

/// A model whose answer losses go through a `LossMemory`; everything else goes to the wrapped model.
private final class RememberingModel: LanguageModel {
    let base: any LanguageModel
    let memory: LossMemory
    let fingerprint: UInt64

    init(base: any LanguageModel, memory: LossMemory, fingerprint: UInt64) {
        (self.base, self.memory, self.fingerprint) = (base, memory, fingerprint)
    }

    var backendID: String { base.backendID }
    var configuration: JSONObject { base.configuration }
    var tokenizer: any Tokenizer { base.tokenizer }
    var parameters: ParameterStore { base.parameters }
    var adapters: LowRankAdapters? { base.adapters }
    var huggingFaceConfiguration: JSONObject? { base.huggingFaceConfiguration }
    var contextLength: Int { base.contextLength }
    var embeddingWidth: Int { base.embeddingWidth }

    func exampleLosses(_ examples: [TokenizedExample]) throws -> [Float] {
        try memory.losses(model: fingerprint, examples) { try base.exampleLosses(examples) }
    }

    func embeddings(_ examples: [TokenizedExample]) throws -> Tensor { try base.embeddings(examples) }

    func accumulateGradients(_ batch: [TokenizedExample]) throws -> (lossSum: Double, tokens: Int) { try base.accumulateGradients(batch) }

    func generate(prompt: [Int32], maxNewTokens: Int, stop: Set<Int32>) throws -> [Int32] {
        try base.generate(prompt: prompt, maxNewTokens: maxNewTokens, stop: stop)
    }
}
