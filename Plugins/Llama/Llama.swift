// Llama: the LLaMA architecture — token embedding, pre-RMSNorm blocks of rotary grouped-query attention
// and a SwiGLU MLP, a final RMSNorm, and a head tied to the embedding or not — written over RaiseKit's
// ops, with weights from a GGUF file (dequantized to Float32; a LLaMA's q/k rows un-permuted from
// llama.cpp's adjacent-pair rotary layout to HF's half-split one, which its Qwen2 files keep) or an HF
// safetensors checkpoint. Qwen2 is the same architecture with biases on the query, key and value
// projections, Qwen3 with an RMSNorm over each head of the queries and keys (`LlamaSettings.Family`) and
// heads of their own size; Llama 3 is LLaMA with its RoPE scaling (`LlamaSettings.ropeScaling`). Parameter
// names follow HF (`model.layers.0.self_attn.q_proj.weight`), so checkpoints are HF-shaped. With `lora`,
// the weights are frozen and low-rank adapters on the chosen projections train instead.
import RaiseKit

/// A LLaMA-architecture language model.
final class Llama: DecoderLanguageModel {
    let backendID = "model.llama"
    let settings: LlamaSettings
    let tokenizer: any Tokenizer
    /// Every weight of the architecture (what the loaders fill); frozen under adapters.
    let weights: ParameterStore
    let adapters: LowRankAdapters?
    var parameters: ParameterStore { adapters?.parameters ?? weights }
    var contextLength: Int
    var embeddingWidth: Int { settings.width }
    /// The sizes (the head's when it is not width / heads), the family when it is not LLaMA and the RoPE scaling
    /// when there is one (as transformers 4.x writes it): a plain LLaMA's settings read as they did before Qwen2,
    /// Qwen3 and Llama 3, so the features cached for it (keyed by them) stay valid.
    var configuration: JSONObject {
        var values = JSONObject([
            ("num_hidden_layers", .number(Double(settings.layers))), ("hidden_size", .number(Double(settings.width))),
            ("num_attention_heads", .number(Double(settings.heads))), ("num_key_value_heads", .number(Double(settings.kvHeads))),
            ("intermediate_size", .number(Double(settings.feedForward))), ("vocab_size", .number(Double(settings.vocabulary))),
            ("max_position_embeddings", .number(Double(settings.context))), ("rope_theta", .number(Double(settings.ropeBase))),
            ("rms_norm_eps", .number(Double(settings.normEps))), ("tie_word_embeddings", .bool(settings.tiedEmbeddings)),
            ("raise_context", .number(Double(contextLength))),
        ])
        if settings.family != .llama { values["model_type"] = .string(settings.family.rawValue) }
        if settings.headDim * settings.heads != settings.width { values["head_dim"] = .number(Double(settings.headDim)) }
        if settings.ropeScaling != nil { values["rope_scaling"] = .object(JSONObject(settings.ropeScalingFields)) }
        return values
    }
    /// transformers' LlamaForCausalLM (or Qwen2ForCausalLM, Qwen3ForCausalLM) config: the same sizes under HF's
    /// names, with the fields raise fixes (SiLU, the family's biases, full attention, Float32), the RoPE (plain,
    /// or Llama 3's scaling, in both transformers 5.x's `rope_parameters` and 4.x's `rope_scaling`) and the token
    /// roles spelled out.
    var huggingFaceConfiguration: JSONObject? {
        let roles = tokenizer.specialTokens
        let family: [(String, JSONValue)] = switch settings.family {
        case .llama: [("model_type", .string("llama")), ("architectures", .array([.string("LlamaForCausalLM")])),
                      ("attention_bias", .bool(false)), ("mlp_bias", .bool(false))]
        case .qwen2: [("model_type", .string("qwen2")), ("architectures", .array([.string("Qwen2ForCausalLM")])), ("use_sliding_window", .bool(false))]
        case .qwen3: [("model_type", .string("qwen3")), ("architectures", .array([.string("Qwen3ForCausalLM")])), ("use_sliding_window", .bool(false)),
                      ("attention_bias", .bool(false))]
        }
        var config = JSONObject(family + [
            ("hidden_act", .string("silu")), ("head_dim", .number(Double(settings.headDim))),
            ("rope_parameters", .object(JSONObject((settings.ropeScaling == nil ? [("rope_type", .string("default"))] : settings.ropeScalingFields)
                                                   + [("rope_theta", .number(Double(settings.ropeBase)))]))),
            ("dtype", .string("float32")),
            ("bos_token_id", roles.bos.map { .number(Double($0)) } ?? .null), ("eos_token_id", roles.eos.map { .number(Double($0)) } ?? .null),
            ("pad_token_id", roles.pad.map { .number(Double($0)) } ?? .null),
        ])
        for key in configuration.keys where key != "raise_context" { config[key] = configuration[key] }
        return config
    }
    let padID: Int32
    /// Named views of the parameters, looked up once.
    private let embedTokens: Variable  // (V, C)
    private let blocks: [Block]
    private let norm: Variable  // (C)
    private let head: Variable  // (V, C): the embedding itself when tied
    /// Each rotary pair's angle per position.   (D/2)
    private let ropeFrequencies: [Double]

    /// A projection's weight (out, in), its bias (out) if the family has one, and its adapter, if any.
    private struct Projection {
        let weight: Variable
        let bias: Variable?
        let adapter: LowRankAdapter?
    }

    /// One decoder block's parameters (F = feedForward, Q = heads × headDim, KV = kvHeads × headDim, D = headDim).
    private struct Block {
        let inputNorm: Variable                                     // (C)
        let qProj: Projection, kProj: Projection, vProj: Projection  // (Q, C), (KV, C), (KV, C)
        let qNorm: Variable?, kNorm: Variable?                      // (D), (D): Qwen3's
        let oProj: Projection                                       // (C, Q)
        let postAttentionNorm: Variable                             // (C)
        let gateProj: Projection, upProj: Projection                // (F, C)
        let downProj: Projection                                    // (C, F)

        init(_ weights: ParameterStore, _ adapters: LowRankAdapters?, layer l: Int, family: LlamaSettings.Family) {
            let attentionBias = family.hasAttentionBias
            func p(_ module: String) -> Variable { weights[Llama.weightName(module, layer: l)] }
            func projection(_ module: String, biased: Bool = false) -> Projection {
                Projection(weight: p(module), bias: biased ? weights[Llama.biasName(module, layer: l)] : nil,
                           adapter: adapters?[Llama.weightName(module, layer: l)])
            }
            (inputNorm, postAttentionNorm) = (p("input_layernorm"), p("post_attention_layernorm"))
            (qProj, kProj) = (projection("self_attn.q_proj", biased: attentionBias), projection("self_attn.k_proj", biased: attentionBias))
            (vProj, oProj) = (projection("self_attn.v_proj", biased: attentionBias), projection("self_attn.o_proj"))
            (qNorm, kNorm) = family.normalizesQueriesAndKeys ? (p("self_attn.q_norm"), p("self_attn.k_norm")) : (nil, nil)
            (gateProj, upProj, downProj) = (projection("mlp.gate_proj"), projection("mlp.up_proj"), projection("mlp.down_proj"))
        }
    }

    /// The projections `lora_targets` names: short name and module.
    static let adaptable = [("q", "self_attn.q_proj"), ("k", "self_attn.k_proj"), ("v", "self_attn.v_proj"), ("o", "self_attn.o_proj"),
                            ("gate", "mlp.gate_proj"), ("up", "mlp.up_proj"), ("down", "mlp.down_proj")]

    /// The HF name of layer `l`'s weight of `module`.
    static func weightName(_ module: String, layer l: Int) -> String { "model.layers.\(l).\(module).weight" }

    /// The HF name of layer `l`'s bias of `module` (Qwen2's query, key and value projections).
    static func biasName(_ module: String, layer l: Int) -> String { "model.layers.\(l).\(module).bias" }

    /// A model with zeroed weights of the given sizes; the loaders fill them in.   `context` caps the
    /// sequence length raise uses (the model may allow more). With `lora`, the weights are frozen and
    /// adapters (A drawn from `seed`) are the parameters.
    init(settings: LlamaSettings, tokenizer: any Tokenizer, context: Int, lora: LowRankSettings? = nil, seed: UInt64 = 0) {
        self.settings = settings
        self.tokenizer = tokenizer
        contextLength = min(context, settings.context)
        padID = tokenizer.specialTokens.pad ?? tokenizer.specialTokens.eos ?? 0
        let (c, q, kv, f) = (settings.width, settings.heads * settings.headDim, settings.kvHeads * settings.headDim, settings.feedForward)
        var specs = [ParameterSpec("model.embed_tokens.weight", [settings.vocabulary, c], .zeros)]
        for l in 0..<settings.layers {
            let p = "model.layers.\(l)."
            specs += [
                ParameterSpec(p + "input_layernorm.weight", [c], .ones, decays: false),
                ParameterSpec(p + "self_attn.q_proj.weight", [q, c], .zeros), ParameterSpec(p + "self_attn.k_proj.weight", [kv, c], .zeros),
                ParameterSpec(p + "self_attn.v_proj.weight", [kv, c], .zeros), ParameterSpec(p + "self_attn.o_proj.weight", [c, q], .zeros),
                ParameterSpec(p + "post_attention_layernorm.weight", [c], .ones, decays: false),
                ParameterSpec(p + "mlp.gate_proj.weight", [f, c], .zeros), ParameterSpec(p + "mlp.up_proj.weight", [f, c], .zeros),
                ParameterSpec(p + "mlp.down_proj.weight", [c, f], .zeros),
            ]
            if settings.family.hasAttentionBias {
                specs += [ParameterSpec(p + "self_attn.q_proj.bias", [q], .zeros, decays: false),
                          ParameterSpec(p + "self_attn.k_proj.bias", [kv], .zeros, decays: false),
                          ParameterSpec(p + "self_attn.v_proj.bias", [kv], .zeros, decays: false)]
            }
            if settings.family.normalizesQueriesAndKeys {
                specs += [ParameterSpec(p + "self_attn.q_norm.weight", [settings.headDim], .ones, decays: false),
                          ParameterSpec(p + "self_attn.k_norm.weight", [settings.headDim], .ones, decays: false)]
            }
        }
        specs.append(ParameterSpec("model.norm.weight", [c], .ones, decays: false))
        if !settings.tiedEmbeddings { specs.append(ParameterSpec("lm_head.weight", [settings.vocabulary, c], .zeros)) }
        var rng = RandomGenerator(seed: seed)
        let weights = ParameterStore(specs, rng: &rng, trainable: lora == nil)
        let adapters = lora.map { lora in
            let modules = Llama.adaptable.filter { lora.targets.contains($0.0) }.map(\.1)
            let names = (0..<settings.layers).flatMap { l in modules.map { Llama.weightName($0, layer: l) } }
            return LowRankAdapters(settings: lora, base: weights, weights: names, rng: &rng)
        }
        (self.weights, self.adapters) = (weights, adapters)
        embedTokens = weights["model.embed_tokens.weight"]
        blocks = (0..<settings.layers).map { Block(weights, adapters, layer: $0, family: settings.family) }
        norm = weights["model.norm.weight"]
        head = weights[settings.tiedEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight"]
        ropeFrequencies = settings.ropeFrequencies
    }

    // MARK: Loading

    /// GGUF tensor names for each HF parameter name.
    private func ggufName(_ name: String) -> String {
        let table = ["self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
                     "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down",
                     "self_attn.q_norm": "attn_q_norm", "self_attn.k_norm": "attn_k_norm",
                     "input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm"]
        if name == "model.embed_tokens.weight" { return "token_embd.weight" }
        if name == "model.norm.weight" { return "output_norm.weight" }
        if name == "lm_head.weight" { return "output.weight" }
        let parts = name.split(separator: ".")  // model.layers.L.<module…>.weight (or .bias)
        let module = parts[3..<(parts.count - 1)].joined(separator: ".")
        return "blk.\(parts[2]).\(table[module] ?? module).\(parts.last!)"
    }

    /// Fills the parameters from a GGUF file, un-permuting a LLaMA's q and k (llama.cpp keeps Qwen2's as HF has them).
    func load(gguf: GGUFFile) throws {
        for spec in weights.specs {
            let tensor = try gguf.tensor(ggufName(spec.name))
            guard tensor.shape == spec.shape else {
                throw RaiseError.tensor(path: gguf.path, tensor: ggufName(spec.name), detail: "shape \(tensor.shape), expected \(spec.shape)")
            }
            let target = weights[spec.name].value
            if settings.family == .llama && (spec.name.hasSuffix("q_proj.weight") || spec.name.hasSuffix("k_proj.weight")) {
                Llama.unpermuteRotaryRows(tensor, into: target, headDim: settings.headDim)
            } else {
                target.assign(tensor)
            }
        }
    }

    /// llama.cpp stores each head's q/k rows as interleaved pairs (row 2i + j holds HF row j·D/2 + i);
    /// this puts them back in HF's half-split order, which RaiseKit's RoPE uses.   (H·D, C) -> (H·D, C)
    static func unpermuteRotaryRows(_ source: Tensor, into target: Tensor, headDim d: Int) {
        let columns = source.shape[1]
        for head in 0..<source.shape[0] / d {
            for i in 0..<d / 2 {
                for j in 0..<2 {
                    (target.data + (head * d + j * d / 2 + i) * columns).update(from: source.data + (head * d + 2 * i + j) * columns, count: columns)
                }
            }
        }
    }

    // MARK: Forward

    /// x · Wᵀ (+ b), plus the adapter's update when the projection has one.   x (N, in), weight (out, in) -> (N, out)
    private func linear(_ x: Variable, _ projection: Projection, _ tape: Tape) -> Variable {
        if let adapter = projection.adapter { return adapter(x, weight: projection.weight, bias: projection.bias, tape: tape) }
        if let bias = projection.bias { return tape.linear(x, weight: projection.weight, bias: bias) }
        return tape.matmul(x, projection.weight, transposeB: true)
    }

    /// Queries or keys of `heads` heads, each head RMS-normalized by `norm` when there is one (Qwen3), then
    /// rotated.   projected (B·T, H·D) -> (B, T, H·D)
    private func rotated(_ projected: Variable, heads: Int, norm: Variable?, batch b: Int, length t: Int, positions: [Int32],
                         tape: Tape) -> Variable {
        let d = settings.headDim
        let normalized = norm.map { weight in
            tape.reshape(tape.rmsNorm(tape.reshape(projected, [b * t * heads, d]), weight: weight, eps: settings.normEps), [b * t, heads * d])
        } ?? projected
        return tape.rope(tape.reshape(normalized, [b, t, heads * d]), heads: heads, positions: positions, frequencies: ropeFrequencies)
    }

    /// One decoder block; `cache` holds earlier keys and values when decoding.   x (B·T, C) -> (B·T, C)
    private func block(_ x: Variable, _ block: Block, layer l: Int, batch b: Int, length t: Int, positions: [Int32], cache: KeyValueCache?,
                       tape: Tape) -> Variable {
        let (q, kv) = (settings.heads * settings.headDim, settings.kvHeads * settings.headDim)
        let h = tape.rmsNorm(x, weight: block.inputNorm, eps: settings.normEps)
        let queries = rotated(linear(h, block.qProj, tape), heads: settings.heads, norm: block.qNorm, batch: b, length: t,
                              positions: positions, tape: tape)
        let keys = rotated(linear(h, block.kProj, tape), heads: settings.kvHeads, norm: block.kNorm, batch: b, length: t,
                           positions: positions, tape: tape)
        let v = tape.reshape(linear(h, block.vProj, tape), [b, t, kv])
        let mixed = tape.causalAttention(queries, keys, v, heads: settings.heads, kvHeads: settings.kvHeads, cache: cache, layer: l)  // (B, T, Q)
        let x = tape.add(x, linear(tape.reshape(mixed, [b * t, q]), block.oProj, tape))
        let h2 = tape.rmsNorm(x, weight: block.postAttentionNorm, eps: settings.normEps)
        let gated = tape.mul(tape.silu(linear(h2, block.gateProj, tape)), linear(h2, block.upProj, tape))  // (B·T, F)
        return tape.add(x, linear(gated, block.downProj, tape))
    }

    /// Final hidden states.   ids (B·T) -> (B·T, C)
    func forward(_ ids: [Int32], batch b: Int, length t: Int, position: Int, cache: KeyValueCache?, tape: Tape) -> Variable {
        let positions = KeyValueCache.positions(batch: b, length: t, start: position, cache: cache)
        var x = tape.embedding(embedTokens, ids: ids)
        for (l, layer) in blocks.enumerated() { x = block(x, layer, layer: l, batch: b, length: t, positions: positions, cache: cache, tape: tape) }
        return tape.rmsNorm(x, weight: norm, eps: settings.normEps)
    }

    /// The head.   hidden (N, C) -> logits (N, V)
    func logits(_ hidden: Variable, tape: Tape) -> Variable { tape.matmul(hidden, head, transposeB: true) }

    func makeCache(leftPadding: [Int]) -> KeyValueCache { KeyValueCache(layers: settings.layers, leftPadding: leftPadding) }
}
