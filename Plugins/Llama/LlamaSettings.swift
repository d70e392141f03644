// LlamaSettings: the sizes of a LLaMA-architecture model, read from GGUF metadata (llama.*) or from an
// HF config.json, with errors that name the file and the key.
import RaiseKit

/// The sizes of a LLaMA model.
struct LlamaSettings: Equatable {
    var layers: Int
    var width: Int
    var heads: Int
    var kvHeads: Int
    var feedForward: Int
    var vocabulary: Int
    var context: Int
    var ropeBase: Float
    var normEps: Float
    var tiedEmbeddings: Bool

    var headDim: Int { width / heads }

    /// The settings a GGUF file's `llama.*` metadata gives.
    init(gguf: GGUFFile) throws {
        func integer(_ key: String) throws -> Int {
            guard let value = try gguf.value(key).intValue, value > 0 else {
                throw RaiseError.file(path: gguf.path, detail: "metadata '\(key)' is not a positive integer")
            }
            return value
        }
        guard gguf.metadata["general.architecture"]?.stringValue == "llama" else {
            throw RaiseError.file(path: gguf.path, detail: "general.architecture is not 'llama'")
        }
        layers = try integer("llama.block_count")
        width = try integer("llama.embedding_length")
        heads = try integer("llama.attention.head_count")
        kvHeads = gguf.metadata["llama.attention.head_count_kv"]?.intValue ?? heads
        feedForward = try integer("llama.feed_forward_length")
        vocabulary = try gguf.info("token_embd.weight").shape[0]
        context = try integer("llama.context_length")
        ropeBase = Float(gguf.metadata["llama.rope.freq_base"]?.doubleValue ?? 10_000)
        normEps = Float(gguf.metadata["llama.attention.layer_norm_rms_epsilon"]?.doubleValue ?? 1e-5)
        tiedEmbeddings = !gguf.tensors.contains { $0.name == "output.weight" }
        try check(path: gguf.path)
    }

    /// The settings of an HF config.json (LlamaForCausalLM), in the layout of transformers 4.x (`rope_theta`)
    /// or 5.x (`rope_parameters.rope_theta`). A field that would change the model in a way raise does not
    /// compute (RoPE scaling, another head size, another activation, biases) is refused by name, never
    /// silently ignored.
    init(config: JSONObject, path: String) throws {
        func refuse(_ field: String, _ value: JSONValue, _ why: String) -> RaiseError {
            RaiseError.file(path: path, detail: "field '\(field)' = \(value.serialized) is not supported: \(why)")
        }
        let rope = config["rope_parameters"]?.objectValue
        if let scaling = config["rope_scaling"], scaling != .null { throw refuse("rope_scaling", scaling, "raise computes plain RoPE") }
        if let type = rope?["rope_type"], type != .string("default") { throw refuse("rope_parameters.rope_type", type, "raise computes plain RoPE") }
        if let activation = config["hidden_act"], activation != .string("silu") { throw refuse("hidden_act", activation, "LLaMA's MLP is SwiGLU (silu)") }
        for field in ["attention_bias", "mlp_bias"] where config[field] == .bool(true) {
            throw refuse(field, .bool(true), "raise's LLaMA has no biases")
        }
        layers = try config.positiveInteger("num_hidden_layers", path: path)
        width = try config.positiveInteger("hidden_size", path: path)
        heads = try config.positiveInteger("num_attention_heads", path: path)
        kvHeads = config["num_key_value_heads"]?.intValue ?? heads
        feedForward = try config.positiveInteger("intermediate_size", path: path)
        vocabulary = try config.positiveInteger("vocab_size", path: path)
        context = try config.positiveInteger("max_position_embeddings", path: path)
        ropeBase = Float(config["rope_theta"]?.numberValue ?? rope?["rope_theta"]?.numberValue ?? 10_000)
        normEps = Float(config["rms_norm_eps"]?.numberValue ?? 1e-5)
        tiedEmbeddings = config["tie_word_embeddings"].map { $0 == .bool(true) } ?? false
        if let headDim = config["head_dim"], headDim != .null, headDim.intValue != width / heads {
            throw refuse("head_dim", headDim, "raise's heads are hidden_size / num_attention_heads = \(width / heads) wide")
        }
        try check(path: path)
    }

    private func check(path: String) throws {
        guard width % heads == 0, heads % kvHeads == 0, (width / heads) % 2 == 0 else {
            throw RaiseError.file(path: path, detail: "width \(width), \(heads) heads and \(kvHeads) key/value heads do not fit together")
        }
    }
}
