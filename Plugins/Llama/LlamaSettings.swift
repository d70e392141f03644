// LlamaSettings: the family and sizes of a LLaMA-architecture model, and its RoPE scaling (Llama 3's), read
// from GGUF metadata (llama.* or qwen2.*, and llama.cpp's `rope_freqs.weight`) or from an HF config.json
// (LLaMA or Qwen2), with errors that name the file and the key.
import RaiseKit

/// The family and sizes of a LLaMA-architecture model.
struct LlamaSettings: Equatable {
    /// The model families computed by this architecture.
    enum Family: String {
        /// LLaMA (SmolLM2 and others): no biases.
        case llama
        /// Qwen2 (Qwen2 and Qwen2.5): biases on the query, key and value projections.
        case qwen2

        /// Whether the query, key and value projections carry a bias.
        var hasAttentionBias: Bool { self == .qwen2 }
    }

    var family: Family
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
    /// Llama 3's stretch of the RoPE frequencies (Llama 3.1 and later); nil for plain RoPE.
    var ropeScaling: Llama3RoPEScaling?

    var headDim: Int { width / heads }

    /// Each rotary pair's angle per position: plain RoPE's, scaled when the model says so.
    var ropeFrequencies: [Double] {
        let plain = RoPE.frequencies(headDim: headDim, base: Double(ropeBase))
        return ropeScaling?.scaled(plain) ?? plain
    }

    /// `ropeScaling` as HF's config.json writes it (the fields of `rope_scaling`, or of `rope_parameters` with its
    /// `rope_theta`); empty for plain RoPE.
    var ropeScalingFields: [(String, JSONValue)] {
        guard let scaling = ropeScaling else { return [] }
        return [("rope_type", .string("llama3")), ("factor", .number(scaling.factor)), ("low_freq_factor", .number(scaling.lowFrequencyFactor)),
                ("high_freq_factor", .number(scaling.highFrequencyFactor)),
                ("original_max_position_embeddings", .number(Double(scaling.originalContext)))]
    }

    /// The settings a GGUF file's metadata gives: `general.architecture` names the family, and its keys
    /// (`llama.*`, `qwen2.*`) the sizes; a `rope_freqs.weight` tensor (llama.cpp's form of Llama 3's scaling)
    /// the RoPE scaling. Another RoPE scaling, or rotation of part of each head, is refused by key.
    init(gguf: GGUFFile) throws {
        func integer(_ key: String) throws -> Int {
            guard let value = try gguf.value(key).intValue, value > 0 else {
                throw RaiseError.file(path: gguf.path, detail: "metadata '\(key)' is not a positive integer")
            }
            return value
        }
        let architecture = gguf.metadata["general.architecture"]?.stringValue ?? ""
        guard let family = Family(rawValue: architecture) else {
            throw RaiseError.file(path: gguf.path, detail: "general.architecture is '\(architecture)', not 'llama' or 'qwen2'")
        }
        self.family = family
        let a = architecture
        layers = try integer("\(a).block_count")
        width = try integer("\(a).embedding_length")
        heads = try integer("\(a).attention.head_count")
        kvHeads = gguf.metadata["\(a).attention.head_count_kv"]?.intValue ?? heads
        feedForward = try integer("\(a).feed_forward_length")
        vocabulary = try gguf.info("token_embd.weight").shape[0]
        context = try integer("\(a).context_length")
        ropeBase = Float(gguf.metadata["\(a).rope.freq_base"]?.doubleValue ?? 10_000)
        normEps = Float(gguf.metadata["\(a).attention.layer_norm_rms_epsilon"]?.doubleValue ?? 1e-5)
        tiedEmbeddings = !gguf.tensors.contains { $0.name == "output.weight" }
        ropeScaling = nil
        try check(path: gguf.path)
        if let type = gguf.metadata["\(a).rope.scaling.type"], type != .string("none") {
            throw RaiseError.file(path: gguf.path, detail: "metadata '\(a).rope.scaling.type' is \(type), not 'none': raise computes plain "
                                  + "RoPE and Llama 3's scaling (rope_freqs.weight)")
        }
        if let rotated = gguf.metadata["\(a).rope.dimension_count"], rotated.intValue != headDim {
            throw RaiseError.file(path: gguf.path, detail: "metadata '\(a).rope.dimension_count' is \(rotated), not the head size \(headDim): "
                                  + "raise rotates whole heads")
        }
        if gguf.tensors.contains(where: { $0.name == "rope_freqs.weight" }) {
            let stored = try gguf.tensor("rope_freqs.weight")
            let divisors = (0..<stored.count).map { Double(stored.data[$0]) }
            guard stored.shape == [headDim / 2], let scaling = Llama3RoPEScaling(divisors: divisors, of: RoPE.frequencies(headDim: headDim, base: Double(ropeBase))) else {
                throw RaiseError.tensor(path: gguf.path, tensor: "rope_freqs.weight", detail: "shape \(stored.shape) is not \([headDim / 2]), or its "
                                        + "divisors are not Llama 3's RoPE scaling with two or more of them blended: raise computes no other")
            }
            ropeScaling = scaling
        }
    }

    /// The settings of an HF config.json (LlamaForCausalLM, or Qwen2ForCausalLM by `model_type`), in the
    /// layout of transformers 4.x (`rope_theta`, `rope_scaling`) or 5.x (`rope_parameters`). A field that would
    /// change the model in a way raise does not compute (another family, a RoPE scaling other than Llama 3's,
    /// another head size, another activation, biases LLaMA lacks, sliding-window attention) is refused by name,
    /// never silently ignored.
    init(config: JSONObject, path: String) throws {
        func refuse(_ field: String, _ value: JSONValue, _ why: String) -> RaiseError {
            RaiseError.file(path: path, detail: "field '\(field)' = \(value.serialized) is not supported: \(why)")
        }
        let type = config["model_type"] ?? .string("llama")
        guard let family = type.stringValue.flatMap(Family.init(rawValue:)) else {
            throw refuse("model_type", type, "raise computes the llama and qwen2 families")
        }
        self.family = family
        if let sliding = config["use_sliding_window"], sliding == .bool(true) {
            throw refuse("use_sliding_window", sliding, "raise attends to the whole context")
        }
        if let kinds = config["layer_types"], kinds.arrayValue?.allSatisfy({ $0 == .string("full_attention") }) != true {
            throw refuse("layer_types", kinds, "raise attends to the whole context in every layer")
        }
        let rope = config["rope_parameters"]?.objectValue
        let scalingWhy = "raise computes plain RoPE and Llama 3's scaling (rope_type 'llama3')"
        if let scaling = config["rope_scaling"], scaling != .null {  // transformers 4.x
            guard let object = scaling.objectValue, (object["rope_type"] ?? object["type"]) == .string("llama3") else {
                throw refuse("rope_scaling", scaling, scalingWhy)
            }
            ropeScaling = try LlamaSettings.llama3Scaling(object, field: "rope_scaling", path: path)
        } else if let rope, let type = rope["rope_type"], type != .string("default") {  // transformers 5.x
            guard type == .string("llama3") else { throw refuse("rope_parameters.rope_type", type, scalingWhy) }
            ropeScaling = try LlamaSettings.llama3Scaling(rope, field: "rope_parameters", path: path)
        } else {
            ropeScaling = nil
        }
        if let activation = config["hidden_act"], activation != .string("silu") { throw refuse("hidden_act", activation, "LLaMA's MLP is SwiGLU (silu)") }
        for field in ["attention_bias", "mlp_bias"] where config[field] == .bool(true) {
            throw refuse(field, .bool(true), "raise's LLaMA has no biases (Qwen2's, on the query, key and value projections, "
                         + "come with model_type 'qwen2')")
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

    /// The Llama 3 scaling of a `rope_scaling` or `rope_parameters` object.
    ///
    /// - Throws: `RaiseError.file` naming the field that is missing or out of range.
    private static func llama3Scaling(_ object: JSONObject, field: String, path: String) throws -> Llama3RoPEScaling {
        func number(_ key: String, _ valid: (Double) -> Bool, _ expected: String) throws -> Double {
            guard let value = object[key]?.numberValue, value.isFinite, valid(value) else {
                throw RaiseError.file(path: path, detail: "field '\(field).\(key)' is \(object[key]?.serialized ?? "missing"), expected \(expected)")
            }
            return value
        }
        let factor = try number("factor", { $0 >= 1 }, "a number of 1 or more")
        let low = try number("low_freq_factor", { $0 > 0 }, "a positive number")
        let high = try number("high_freq_factor", { $0 > low }, "a number above low_freq_factor")
        let context = try number("original_max_position_embeddings", { $0 >= 1 && $0 == $0.rounded() }, "a positive integer")
        return Llama3RoPEScaling(factor: factor, lowFrequencyFactor: low, highFrequencyFactor: high, originalContext: Int(context))
    }

    private func check(path: String) throws {
        guard width % heads == 0, heads % kvHeads == 0, (width / heads) % 2 == 0 else {
            throw RaiseError.file(path: path, detail: "width \(width), \(heads) heads and \(kvHeads) key/value heads do not fit together")
        }
    }
}
