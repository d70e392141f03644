// PassMemory: forward passes already computed — answer losses and embeddings — by model state and the
// exact examples of the call, so that feature extractors asking for the same pass pay for it once:
// feature.loss and feature.ifd's conditional losses, feature.embedding and feature.target-similarity's
// embeddings of the pool — also when two jobs of a benchmark ask at the same moment (one computes, the
// other waits for it). Only whole calls are remembered: a remembered call returns what the model
// returned for those examples in those batches, bit for bit. The owner decides how long it lives (a
// benchmark keeps one for its whole run; `raise score` one per window, which bounds its memory).
import Synchronization

/// Remembered `exampleLosses` and `embeddings` calls.
public final class PassMemory: Sendable {
    private struct Call: Hashable {
        let model: UInt64
        let examples: [TokenizedExample]

        /// The name two threads making this call at once wait on (`NamedLock`), so that one computes it and the
        /// other finds it remembered: `pass` tells losses from embeddings.
        func lockName(_ pass: String) -> String {
            "pass memory \(pass) \(model) \(FeatureCache.fingerprint(model: nil, examples: examples))"
        }
    }

    private let losses = Mutex<[Call: [Float]]>([:])
    private let embeddings = Mutex<[Call: Tensor]>([:])

    /// An empty memory.
    public init() {}

    /// `model`, its passes remembered here. Embeddings are remembered under a fingerprint of the weights
    /// taken at each call, so a model whose weights change between calls (LESS's warm-up) is measured
    /// again. Answer losses are remembered only with `fingerprint`, which the caller guarantees changes
    /// whenever the weights do (`FeatureCache.fingerprint`): nil for a model that may be trained meanwhile.
    /// Embeddings not remembered are read from `store` where it keeps them (between processes).
    /// `embeddingProgress`, told a pass's size, makes the progress report of each embedding pass computed
    /// without one of its caller's.
    public func remembering(_ model: any LanguageModel, fingerprint: UInt64?, store: EmbeddingStore? = nil,
                            embeddingProgress: ((_ examples: Int) -> (_ done: Int) -> Void)? = nil) -> any LanguageModel {
        RememberingModel(base: model, memory: self, fingerprint: fingerprint, store: store, embeddingProgress: embeddingProgress)
    }

    /// The losses of `examples` under the model `fingerprint` names: remembered, or computed and kept.
    fileprivate func losses(model fingerprint: UInt64, _ examples: [TokenizedExample], compute: () throws -> [Float]) rethrows -> [Float] {
        let call = Call(model: fingerprint, examples: examples)
        return try NamedLock.withLock(call.lockName("losses")) {
            if let known = losses.withLock({ $0[call] }) { return known }
            let computed = try compute()
            losses.withLock { $0[call] = computed }
            return computed
        }
    }

    /// The embeddings of `examples` under `model` as its weights are now: remembered, or read from `store`
    /// and `compute`d where it has none, and kept. Each caller gets its own copy (callers centre and scale
    /// embeddings in place).
    fileprivate func embeddings(_ model: any LanguageModel, _ examples: [TokenizedExample], store: EmbeddingStore?,
                                compute: (_ examples: [TokenizedExample]) throws -> Tensor) throws -> Tensor {
        let call = Call(model: FeatureCache.fingerprint(of: model), examples: examples)
        return try NamedLock.withLock(call.lockName("embeddings")) {
            if let known = embeddings.withLock({ $0[call] }) { return known.copy() }
            let computed = try store.map { try $0.embeddings(model, examples, compute: compute) } ?? compute(examples)
            embeddings.withLock { $0[call] = computed.copy() }
            return computed
        }
    }
}

/// A model whose passes go through a `PassMemory`; everything else goes to the wrapped model.
private final class RememberingModel: LanguageModel {
    let base: any LanguageModel
    let memory: PassMemory
    let fingerprint: UInt64?
    let store: EmbeddingStore?
    let embeddingProgress: ((_ examples: Int) -> (_ done: Int) -> Void)?

    init(base: any LanguageModel, memory: PassMemory, fingerprint: UInt64?, store: EmbeddingStore?,
         embeddingProgress: ((_ examples: Int) -> (_ done: Int) -> Void)?) {
        (self.base, self.memory, self.fingerprint, self.store, self.embeddingProgress) = (base, memory, fingerprint, store, embeddingProgress)
    }

    var backendID: String { base.backendID }
    var configuration: JSONObject { base.configuration }
    var tokenizer: any Tokenizer { base.tokenizer }
    var parameters: ParameterStore { base.parameters }
    var adapters: LowRankAdapters? { base.adapters }
    var huggingFaceConfiguration: JSONObject? { base.huggingFaceConfiguration }
    var contextLength: Int { base.contextLength }
    var embeddingWidth: Int { base.embeddingWidth }
    var embedsEachExampleAlone: Bool { base.embedsEachExampleAlone }

    func exampleLosses(_ examples: [TokenizedExample]) throws -> [Float] {
        guard let fingerprint else { return try base.exampleLosses(examples) }
        return try memory.losses(model: fingerprint, examples) { try base.exampleLosses(examples) }
    }

    func embeddings(_ examples: [TokenizedExample], progress: ((_ done: Int) -> Void)?) throws -> Tensor {
        try memory.embeddings(base, examples, store: store) { toCompute in
            try base.embeddings(toCompute, progress: progress ?? embeddingProgress?(toCompute.count))
        }
    }

    func accumulateGradients(_ batch: [TokenizedExample]) throws -> (lossSum: Double, tokens: Int) { try base.accumulateGradients(batch) }

    func generate(prompts: [[Int32]], maxNewTokens: [Int], stop: Set<Int32>) throws -> [[Int32]] {
        try base.generate(prompts: prompts, maxNewTokens: maxNewTokens, stop: stop)
    }
}
