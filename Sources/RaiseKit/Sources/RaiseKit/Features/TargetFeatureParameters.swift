// TargetFeatureParameters: the parameters of the target-aware feature extractors, declared once — the
// feature plugin takes them, and the selectors built on those features (selector.nearest, selector.less,
// selector.dsir, selector.color-filter) take the same and pass them through (`featureSpec`), so the two
// can never disagree.

/// The parameters of feature.target-similarity, feature.gradient, feature.dsir and feature.loss-reduction.
public enum TargetFeatureParameters {
    /// feature.target-similarity's (and selector.nearest's).
    public static let similarity = [
        PluginParameter("dims", .integer(0...1024), default: "32",
                        "PCA dimensions of the pool, at most the model's width (0: the whole width, centred)"),
        PluginParameter("reduce", .choice(["centroid", "knn"]), default: "centroid",
                        "compare with the validation centroid, or the mean of the k most similar validation examples"),
        PluginParameter("k", .integer(1...100_000), default: "10", "validation neighbours for reduce=knn"),
        PluginParameter("whiten", .boolean, default: "false",
                        "scale each PCA direction to unit variance over the pool before the cosine (needs dims > 0)"),
    ]

    /// Refuses settings of `similarity` that cannot go together: whitening without PCA directions.
    ///
    /// - Throws: `RaiseError.invalidArgument` naming the parameter.
    public static func checkSimilarity(_ arguments: PluginArguments) throws {
        if arguments.boolean("whiten") && arguments.integer("dims") == 0 {
            throw RaiseError.invalidArgument(name: "parameter 'whiten'", detail: "scales the PCA directions: it needs dims > 0")
        }
    }

    /// feature.gradient's (and selector.less's).
    public static let gradient = [
        PluginParameter("warmup", .number(0...1), default: "0.05", "share of the pool the warm-up trains on (0: none)"),
        PluginParameter("epochs", .integer(0...1000), default: "4", "warm-up epochs"),
        PluginParameter("lr", .number(1e-7...10), default: "0.001", "warm-up peak learning rate"),
        PluginParameter("dims", .integer(1...1_048_576), default: "8192", "count-sketch dimensions of a gradient"),
        PluginParameter("adam", .boolean, default: "true", "precondition pool gradients by the warm-up's Adam moments"),
        PluginParameter("reduce", .choice(["mean", "max"]), default: "mean",
                        "similarity to the mean validation gradient, or the largest to one validation gradient"),
    ]

    /// feature.dsir's (and selector.dsir's, besides its own `sampling`).
    public static let dsir = [
        PluginParameter("buckets", .integer(1...16_777_216), default: "10000", "hash buckets of the n-grams (the paper's 10,000)"),
        PluginParameter("ngrams", .integer(1...4), default: "2", "the longest n-gram counted (2: unigrams and bigrams, the paper's)"),
        PluginParameter("smoothing", .number(0...1_000_000), default: "0",
                        "added to every bucket's count before normalising (0: the paper's estimator)"),
        PluginParameter("length", .choice(["normalised", "sum"]), default: "normalised",
                        "sum over an example's n-grams (favours long examples), or their mean times the pool's mean n-gram count (the paper's equal-length chunks)"),
    ]

    /// feature.loss-reduction's (and selector.color-filter's).
    public static let lossReduction = [
        PluginParameter("epochs", .integer(1...1000), default: "3", "epochs the copy is fine-tuned on the validation split"),
        PluginParameter("lr", .number(1e-7...10), default: "0.001", "the copy's peak learning rate"),
    ]

    /// The spec of `feature` with the settings of `arguments`, a selector's whose parameters are the feature's;
    /// given `parameters`, with those settings only (so that a selector's own parameters stay out).
    public static func featureSpec(_ feature: String, _ arguments: PluginArguments, parameters: [PluginParameter]? = nil) -> String {
        let names = parameters.map { Set($0.map(\.name)) }
        let values = arguments.values.filter { names?.contains($0.key) ?? true }
        let canonical = PluginArguments(pluginID: arguments.pluginID, values: values, seed: arguments.seed).canonical
        return feature + canonical[canonical.firstIndex(of: ":")!...]
    }
}
