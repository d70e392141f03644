// LanguageModel: what a model-backend plugin (kind `model`) makes, and all that selectors, features,
// rewards and the trainer may ask of a model.
//
// Contract. The host creates a model through its factory (parameters: sizes, paths) and then calls it
// from one thread at a time: models are not thread-safe. Examples longer than `contextLength` are
// truncated by the backend from the left of the prompt. Errors are thrown as `RaiseError`, naming the
// parameter or file at fault; a non-finite loss is an error, never a silent NaN.

/// A language model raise can score and fine-tune.
public protocol LanguageModel: AnyObject {
    /// The factory id of the backend that made it ("model.tinygpt").
    var backendID: String { get }
    /// Every trainable parameter, in one flat buffer (snapshots, optimizers and checkpoints use it).
    var parameters: ParameterStore { get }
    /// The number of token ids it knows.
    var vocabularySize: Int { get }
    /// The longest sequence it reads.
    var contextLength: Int { get }

    /// The mean loss over each example's answer tokens, without gradients.   examples (N) -> (N)
    /// An example without answer tokens gets 0; callers count such examples.
    func exampleLosses(_ examples: [TokenizedExample]) throws -> [Float]

    /// One optimizer update on `batch` with the answer-only loss; returns that loss before the update.
    func trainStep(_ batch: [TokenizedExample], learningRate: Float) throws -> Float
}
