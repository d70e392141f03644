// LlamaSettings: the family and sizes of a LLaMA-architecture model, and its RoPE scaling (Llama 3's), read
// from GGUF metadata (llama.*, qwen2.* or qwen3.*, and llama.cpp's `rope_freqs.weight`) or from an HF
// config.json (LLaMA, Qwen2 or Qwen3), with errors that name the file and the key.
import RaiseKit

/// The family and sizes of a LLaMA-architecture model.
struct LlamaSettings: Equatable {
    /// The model families computed by this architecture.
    enum Family: String {
        /// LLaMA (SmolLM2 and others): no biases.
        case llama
        /// Qwen2 (Qwen2 and Qwen2.5): biases on the query, key and value projections.
        case qwen2
        /// Qwen3: no biases, but an RMSNorm over each head of the queries and of the keys before RoPE.
        case qwen3

        /// Whether the query, key and value projections carry a bias.
        var hasAttentionBias: Bool { self == .qwen2 }
        /// Whether each head's queries and keys are RMS-normalized before RoPE.
        var normalizesQueriesAndKeys: Bool { self == .qwen3 }
    }

    var family: Family
    var layers: Int
    var width: Int
    var heads: Int
    var kvHeads: Int
    /// The size of one attention head: width / heads, unless the model sets it (Qwen3's are wider).
    var headDim: Int
    var feedForward: Int
    var vocabulary: Int
    var context: Int
    var ropeBase: Float
    var normEps: Float
    var tiedEmbeddings: Bool
    /// Llama 3's stretch of the RoPE frequencies (Llama 3.1 and later); nil for plain RoPE.
    var ropeScaling: Llama3RoPEScaling?

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
    /// (`llama.*`, `qwen2.*`, `qwen3.*`) the sizes, the head's among them when `attention.key_length` sets it;
    /// a `rope_freqs.weight` tensor (llama.cpp's form of Llama 3's scaling) the RoPE scaling. Another RoPE
    /// scaling, or rotation of part of each head, is refused by key.
    init(gguf: GGUFFile) throws {
        func integer(_ key: String) throws -> Int {
            guard let value = try gguf.value(key).intValue, value > 0 else {
                throw RaiseError.file(path: gguf.path, detail: "metadata '\(key)' is not a positive integer")
            }
            return value
        }
        let architecture = gguf.metadata["general.architecture"]?.stringValue ?? ""
        guard let family = Family(rawValue: architecture) else {
            throw RaiseError.file(path: gguf.path, detail: "general.architecture is '\(architecture)', not 'llama', 'qwen2' or 'qwen3'")
        }
        self.family = family
        let a = architecture
        layers = try integer("\(a).block_count")
        width = try integer("\(a).embedding_length")
        heads = try integer("\(a).attention.head_count")
        kvHeads = gguf.metadata["\(a).attention.head_count_kv"]?.intValue ?? heads
        let keyLength = "\(a).attention.key_length"
        headDim = gguf.metadata[keyLength] == nil ? LlamaSettings.evenShare(width, heads) : try integer(keyLength)
        if let valueLength = gguf.metadata["\(a).attention.value_length"], valueLength.intValue != headDim {
            throw RaiseError.file(path: gguf.path, detail: "metadata '\(a).attention.value_length' is \(valueLength), not the key length \(headDim)")
        }
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
            guard stored.shape == [headDim / 2] else {
                throw RaiseError.tensor(path: gguf.path, tensor: "rope_freqs.weight", detail: "shape \(stored.shape), expected \([headDim / 2])")
            }
            let divisors = (0..<stored.count).map { Double(stored.data[$0]) }
            if divisors.contains(where: { $0 != 1 }) {  // all ones: plain RoPE
                guard let scaling = Llama3RoPEScaling(divisors: divisors, of: RoPE.frequencies(headDim: headDim, base: Double(ropeBase))) else {
                    throw RaiseError.tensor(path: gguf.path, tensor: "rope_freqs.weight", detail: "its divisors are not Llama 3's RoPE scaling "
                                            + "with two or more of them blended: raise computes no other")
                }
                ropeScaling = scaling
            }
        }
    }

    /// The settings of an HF config.json (LlamaForCausalLM, or Qwen2ForCausalLM or Qwen3ForCausalLM by `model_type`), in the
    /// layout of transformers 4.x (`rope_theta`, `rope_scaling`) or 5.x (`rope_parameters`). A field that would
    /// change the model in a way raise does not compute (another family, a RoPE scaling other than Llama 3's,
    /// an odd head size, another activation, biases LLaMA lacks, sliding-window attention) is refused by name,
    /// never silently ignored.
    init(config: JSONObject, path: String) throws {
        func refuse(_ field: String, _ value: JSONValue, _ why: String) -> RaiseError {
            RaiseError.file(path: path, detail: "field '\(field)' = \(value.serialized) is not supported: \(why)")
        }
        let type = config["model_type"] ?? .string("llama")
        guard let family = type.stringValue.flatMap(Family.init(rawValue:)) else {
            throw refuse("model_type", type, "raise computes the llama, qwen2 and qwen3 families")
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
            let type = scaling.objectValue.flatMap { $0["rope_type"] ?? $0["type"] }
            guard let object = scaling.objectValue, type == .string("llama3") || type == .string("default") else {
                throw refuse("rope_scaling", scaling, scalingWhy)
            }
            ropeScaling = type == .string("default") ? nil : try LlamaSettings.llama3Scaling(object, field: "rope_scaling", path: path)
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
        let head = config["head_dim"] ?? .null
        headDim = head == .null ? LlamaSettings.evenShare(width, heads) : try config.positiveInteger("head_dim", path: path)
        if head != .null, headDim % 2 != 0 { throw refuse("head_dim", head, "RoPE turns pairs of dimensions: heads must be of even size") }
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
        let context = try number("original_max_position_embeddings", { $0 >= 1 && $0 <= 1e9 && $0 == $0.rounded() },
                                 "a positive integer of at most 10^9")
        return Llama3RoPEScaling(factor: factor, lowFrequencyFactor: low, highFrequencyFactor: high, originalContext: Int(context))
    }

    /// width / heads when it divides evenly; 0 (which `check` refuses) when it does not.
    private static func evenShare(_ width: Int, _ heads: Int) -> Int { width % heads == 0 ? width / heads : 0 }

    private func check(path: String) throws {
        guard heads % kvHeads == 0, headDim > 0, headDim % 2 == 0 else {
            throw RaiseError.file(path: path, detail: "width \(width), \(heads) heads of size \(headDim) and \(kvHeads) key/value heads "
                                  + "do not fit together")
        }
    }
}
