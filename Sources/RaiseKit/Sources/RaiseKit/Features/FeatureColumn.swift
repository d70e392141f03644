// FeatureSpec and FeatureColumn: the names of the built-in feature extractors and of the columns they
// write — the contract between the feature plugin, which defines them, and every reader (RAISE's state,
// the score selectors, `raise explain`, `raise bench selection`). One owner: a renamed column is a
// compile error, not a silent miss.

/// The ids of the built-in feature extractors (plugin Features), as selectors ask for them.
public enum FeatureSpec {
    /// Prompt and response token counts.
    public static let length = "feature.length"
    /// The answer loss and its perplexity.
    public static let loss = "feature.loss"
    /// Conditional and unconditional answer losses and their IFD.
    public static let ifd = "feature.ifd"
    /// The PCA-reduced embedding.
    public static let embedding = "feature.embedding"
    /// The k-means cluster of the reduced embedding.
    public static let cluster = "feature.cluster"
    /// Cosine similarity of each embedding to the target's validation split (target-aware).
    public static let targetSimilarity = "feature.target-similarity"
    /// LESS: cosine similarity of each training gradient to the validation gradients (target-aware).
    public static let gradient = "feature.gradient"
    /// DSIR: the log importance weight of each example's hashed n-grams, target against pool (target-aware).
    public static let dsir = "feature.dsir"
    /// CoLoR-Filter: how much each example's answer loss falls under a copy of the model fine-tuned on the
    /// target's validation split (target-aware).
    public static let lossReduction = "feature.loss-reduction"

    /// feature.embedding reduced to `dimensions` columns.
    public static func embedding(dimensions: Int) -> String { "\(embedding):dims=\(dimensions)" }
}

/// The columns the built-in extractors write.
public enum FeatureColumn {
    /// feature.length: tokens before the answer.
    public static let promptTokens = "prompt_tokens"
    /// feature.length: answer tokens.
    public static let responseTokens = "response_tokens"
    /// feature.loss: the mean answer loss.
    public static let loss = "loss"
    /// feature.loss: exp(loss).
    public static let perplexity = "perplexity"
    /// feature.ifd: the answer loss after the instruction.
    public static let lossConditional = "loss_conditional"
    /// feature.ifd: the answer loss alone.
    public static let lossUnconditional = "loss_unconditional"
    /// feature.ifd: the instruction-following difficulty.
    public static let ifd = "ifd"
    /// feature.cluster: the cluster index.
    public static let cluster = "cluster"
    /// feature.target-similarity: cosine similarity to the target's validation embeddings.
    public static let targetSimilarity = "target_similarity"
    /// feature.gradient: cosine similarity of the training gradient to the validation gradients.
    public static let gradientAlignment = "gradient_alignment"
    /// feature.dsir: the log importance weight of the example's n-grams, target against pool.
    public static let dsirLogWeight = "dsir_log_weight"
    /// feature.loss-reduction: the answer loss under the model minus that under the copy fine-tuned on the target.
    public static let lossReduction = "loss_reduction"

    /// A column of a feature computed with the reference model (`reference:SPEC`).
    public static func reference(_ column: String) -> String { "reference_" + column }

    /// feature.embedding: reduced dimension `index`.
    public static func embedding(_ index: Int) -> String { "embedding_\(index)" }
}
