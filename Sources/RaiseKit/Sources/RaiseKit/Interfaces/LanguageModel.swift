// LanguageModel: what a model-backend plugin (kind `model`) makes, and all that the trainer, selectors,
// features and rewards may ask of a model.
//
// Contract. The host creates a model through its factory — from sizes and a seed, or from a checkpoint
// directory (parameter `checkpoint`) — and calls it from one thread at a time: models are not
// thread-safe. Examples longer than `contextLength` are cut to their last `contextLength` tokens.
// Gradients flow only through `accumulateGradients`; every other method is a forward pass without
// them. Errors are `RaiseError`s naming the parameter or file at fault; a non-finite loss is an error.

/// A language model raise can score, fine-tune and query.
public protocol LanguageModel: AnyObject {
    /// The factory id of the backend that made it ("model.tinygpt").
    var backendID: String { get }
    /// The settings that rebuild it with its factory (saved as config.json in checkpoints).
    var configuration: JSONObject { get }
    /// Its config.json as Hugging Face transformers reads it (`model_type`, `architectures`, sizes), or nil
    /// when transformers has no such architecture. With it, a saved model folder is also a transformers
    /// folder: these fields at the top of config.json, tokenizer.json and tokenizer_config.json beside it.
    var huggingFaceConfiguration: JSONObject? { get }
    /// The tokenizer it reads and writes.
    var tokenizer: any Tokenizer { get }
    /// Every trainable parameter in one flat buffer: optimizers, checkpoints and snapshots use it. With
    /// low-rank adapters, the adapters only.
    var parameters: ParameterStore { get }
    /// The model's low-rank adapters and the frozen base under them, or nil when every weight trains.
    var adapters: LowRankAdapters? { get }
    /// The longest sequence it reads.
    var contextLength: Int { get }
    /// The width of an embedding row (C in `embeddings`), known without a forward pass.
    var embeddingWidth: Int { get }
    /// Whether `embeddings` computes each example alone, so that an example's row has the same bits in any
    /// call (no batch padding): then rows computed once can be kept and reused example by example
    /// (`EmbeddingStore`). False unless a backend says so.
    var embedsEachExampleAlone: Bool { get }

    /// Adds to `parameters.grads` the gradient of the SUM of the masked per-token losses of `batch`
    /// (the trainer divides by the token count); returns that sum and the number of scored tokens.
    func accumulateGradients(_ batch: [TokenizedExample]) throws -> (lossSum: Double, tokens: Int)

    /// The mean loss over each example's answer tokens.   examples (N) -> (N)
    /// An example without answer tokens gets 0; callers count such examples.
    func exampleLosses(_ examples: [TokenizedExample]) throws -> [Float]

    /// The mean-pooled last hidden state of each example; tells `progress` how many examples are done as
    /// it goes (after each batch), when given.   examples (N) -> (N, C)
    func embeddings(_ examples: [TokenizedExample], progress: ((_ done: Int) -> Void)?) throws -> Tensor

    /// Greedy decoding after each of `prompts`, decoded together with a key/value cache: answer i has at
    /// most `maxNewTokens[i]` ids (fewer where the context is full) and stops after any id in `stop`
    /// (which is included). The same answers as decoding each prompt alone.
    func generate(prompts: [[Int32]], maxNewTokens: [Int], stop: Set<Int32>) throws -> [[Int32]]

    /// The log-probability of each of `candidates` as the token that follows each (non-empty) prompt — how a
    /// multiple-choice answer is read without generating. A prompt is cut as an example is.
    ///   prompts (N), candidates (K) -> (N, K)
    func nextTokenLogProbabilities(prompts: [[Int32]], candidates: [Int32]) throws -> [[Float]]
}

extension LanguageModel {
    /// Greedy decoding after one prompt: at most `maxNewTokens` ids, stopping after any id in `stop` (included).
    public func generate(prompt: [Int32], maxNewTokens: Int, stop: Set<Int32>) throws -> [Int32] {
        try generate(prompts: [prompt], maxNewTokens: [maxNewTokens], stop: stop)[0]
    }

    /// The mean-pooled last hidden state of each example, without progress.   examples (N) -> (N, C)
    public func embeddings(_ examples: [TokenizedExample]) throws -> Tensor { try embeddings(examples, progress: nil) }

    /// Each candidate's log-probability as minus the loss of its prompt followed by it, that token alone
    /// scored: one pass per prompt and candidate. A backend that reads them all from one pass writes its own
    /// (`DecoderLanguageModel` does).
    public func nextTokenLogProbabilities(prompts: [[Int32]], candidates: [Int32]) throws -> [[Float]] {
        let examples = try TokenizedExample.nextToken(candidates, after: prompts, backend: backendID)
        let losses = try exampleLosses(examples)
        return prompts.indices.map { n in candidates.indices.map { -losses[n * candidates.count + $0] } }
    }

    /// No transformers architecture unless the backend names one.
    public var huggingFaceConfiguration: JSONObject? { nil }

    /// No adapters unless the backend makes them.
    public var adapters: LowRankAdapters? { nil }

    /// Batched by default: a row may depend on the call's padding.
    public var embedsEachExampleAlone: Bool { false }

    /// Every weight by name as a saved model holds it: the parameters, or the adapters merged into the base.
    public var savedWeights: [(name: String, tensor: Tensor)] { adapters?.mergedWeights() ?? Checkpoint.named(parameters) }
}
