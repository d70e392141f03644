// TinyGPT: a GPT-2-style decoder — token and learned position embeddings, pre-LayerNorm blocks of causal
// multi-head attention and a GELU MLP, a final LayerNorm and a head tied to the token embedding —
// written over RaiseKit's ops. Not a port of any checkpoint format: it trains from scratch. With `lora`,
// the weights are frozen and low-rank adapters on the chosen projections train instead.
import RaiseKit

/// A GPT-2-style language model.
final class TinyGPT: DecoderLanguageModel {
    let backendID = "model.tinygpt"
    let settings: TinyGPTSettings
    let tokenizer: any Tokenizer
    /// Every weight of the architecture; frozen under adapters.
    let weights: ParameterStore
    let adapters: LowRankAdapters?
    var parameters: ParameterStore { adapters?.parameters ?? weights }
    var contextLength: Int { settings.context }
    var embeddingWidth: Int { settings.width }
    var configuration: JSONObject { settings.json }
    let padID: Int32
    /// Named views of the parameters, looked up once: a misspelt name is a compile error, not a lookup
    /// failure at the first forward pass.
    private let wte: Variable, wpe: Variable       // token embedding (V, C), position embedding (T, C)
    private let blocks: [Block]
    private let lnfWeight: Variable, lnfBias: Variable  // (C)

    /// A dense layer's weight (out, in), bias (out) and adapter, if any.
    private struct Dense {
        let weight: Variable, bias: Variable
        let adapter: LowRankAdapter?

        /// x·Wᵀ + b, plus the adapter's update.   x (N, in) -> (N, out)
        func callAsFunction(_ x: Variable, tape: Tape) -> Variable {
            guard let adapter else { return tape.linear(x, weight: weight, bias: bias) }
            return adapter(x, weight: weight, bias: bias, tape: tape)
        }
    }

    /// One transformer block's parameters.
    private struct Block {
        let ln1Weight: Variable, ln1Bias: Variable  // (C)
        let qkv: Dense                              // (3C, C), (3C)
        let attnProj: Dense                         // (C, C), (C)
        let ln2Weight: Variable, ln2Bias: Variable  // (C)
        let fc: Dense                               // (4C, C), (4C)
        let mlpProj: Dense                          // (C, 4C), (C)

        init(_ p: ParameterStore, _ adapters: LowRankAdapters?, layer l: Int) {
            func dense(_ module: String) -> Dense {
                Dense(weight: p["h\(l).\(module).weight"], bias: p["h\(l).\(module).bias"], adapter: adapters?["h\(l).\(module).weight"])
            }
            (ln1Weight, ln1Bias) = (p["h\(l).ln1.weight"], p["h\(l).ln1.bias"])
            (qkv, attnProj) = (dense("attn.qkv"), dense("attn.proj"))
            (ln2Weight, ln2Bias) = (p["h\(l).ln2.weight"], p["h\(l).ln2.bias"])
            (fc, mlpProj) = (dense("mlp.fc"), dense("mlp.proj"))
        }
    }

    /// The dense layers `lora_targets` names: short name and module (q, k and v are one fused layer).
    static let adaptable = [("qkv", "attn.qkv"), ("o", "attn.proj"), ("up", "mlp.fc"), ("down", "mlp.proj")]

    /// A new model with GPT-2's initialisation: weights N(0, 0.02), residual projections scaled by
    /// 1/√(2·layers), biases 0, LayerNorm gains 1; with `lora`, frozen, under adapters drawn next.
    init(settings: TinyGPTSettings, tokenizer: any Tokenizer, seed: UInt64, lora: LowRankSettings? = nil) {
        self.settings = settings
        self.tokenizer = tokenizer
        padID = tokenizer.specialTokens.pad ?? tokenizer.specialTokens.eos ?? 0
        let (c, v, t) = (settings.width, settings.vocabulary, settings.context)
        let residual = ParameterInit.normal(std: 0.02 / Float(2 * settings.layers).squareRoot())
        var specs = [ParameterSpec("wte", [v, c], .normal(std: 0.02)), ParameterSpec("wpe", [t, c], .normal(std: 0.01))]
        for l in 0..<settings.layers {
            specs += [
                ParameterSpec("h\(l).ln1.weight", [c], .ones, decays: false), ParameterSpec("h\(l).ln1.bias", [c], .zeros, decays: false),
                ParameterSpec("h\(l).attn.qkv.weight", [3 * c, c], .normal(std: 0.02)),
                ParameterSpec("h\(l).attn.qkv.bias", [3 * c], .zeros, decays: false),
                ParameterSpec("h\(l).attn.proj.weight", [c, c], residual), ParameterSpec("h\(l).attn.proj.bias", [c], .zeros, decays: false),
                ParameterSpec("h\(l).ln2.weight", [c], .ones, decays: false), ParameterSpec("h\(l).ln2.bias", [c], .zeros, decays: false),
                ParameterSpec("h\(l).mlp.fc.weight", [4 * c, c], .normal(std: 0.02)),
                ParameterSpec("h\(l).mlp.fc.bias", [4 * c], .zeros, decays: false),
                ParameterSpec("h\(l).mlp.proj.weight", [c, 4 * c], residual), ParameterSpec("h\(l).mlp.proj.bias", [c], .zeros, decays: false),
            ]
        }
        specs += [ParameterSpec("lnf.weight", [c], .ones, decays: false), ParameterSpec("lnf.bias", [c], .zeros, decays: false)]
        var rng = RandomGenerator(seed: seed)
        let weights = ParameterStore(specs, rng: &rng, trainable: lora == nil)
        let adapters = lora.map { lora in
            let modules = TinyGPT.adaptable.filter { lora.targets.contains($0.0) }.map(\.1)
            let names = (0..<settings.layers).flatMap { l in modules.map { "h\(l).\($0).weight" } }
            return LowRankAdapters(settings: lora, base: weights, weights: names, rng: &rng)
        }
        (self.weights, self.adapters) = (weights, adapters)
        (wte, wpe) = (weights["wte"], weights["wpe"])
        blocks = (0..<settings.layers).map { Block(weights, adapters, layer: $0) }
        (lnfWeight, lnfBias) = (weights["lnf.weight"], weights["lnf.bias"])
    }

    // MARK: Forward

    /// Final hidden states of ids at positions `position…`; `cache` holds earlier keys and values when
    /// decoding.   ids (B·T) -> (B·T, C)
    func forward(_ ids: [Int32], batch b: Int, length t: Int, position: Int, cache: KeyValueCache?, tape: Tape) -> Variable {
        let positions = KeyValueCache.positions(batch: b, length: t, start: position, cache: cache)
        var x = tape.add(tape.embedding(wte, ids: ids), tape.embedding(wpe, ids: positions))  // (B·T, C)
        for (l, block) in blocks.enumerated() {
            let h = tape.layerNorm(x, weight: block.ln1Weight, bias: block.ln1Bias)
            x = tape.add(x, attention(h, block: block, layer: l, batch: b, length: t, cache: cache, tape: tape))
            let h2 = tape.layerNorm(x, weight: block.ln2Weight, bias: block.ln2Bias)
            let hidden = tape.gelu(block.fc(h2, tape: tape))  // MLP: C -> 4C
            x = tape.add(x, block.mlpProj(hidden, tape: tape))  // 4C -> C
        }
        return tape.layerNorm(x, weight: lnfWeight, bias: lnfBias)
    }

    /// The head, tied to the token embedding.   hidden (N, C) -> logits (N, V)
    func logits(_ hidden: Variable, tape: Tape) -> Variable { tape.matmul(hidden, wte, transposeB: true) }

    /// Causal self-attention of one block.   h (B·T, C) -> (B·T, C)
    private func attention(_ h: Variable, block: Block, layer l: Int, batch b: Int, length t: Int, cache: KeyValueCache?, tape: Tape) -> Variable {
        let c = settings.width
        let qkv = block.qkv(h, tape: tape)  // (B·T, 3C)
        guard let cache else {  // q, k and v read in place
            return block.attnProj(tape.causalAttention(packed: qkv, batch: b, heads: settings.heads), tape: tape)
        }
        let q = tape.reshape(tape.slice(qkv, axis: 1, range: 0..<c), [b, t, c])
        let k = tape.reshape(tape.slice(qkv, axis: 1, range: c..<2 * c), [b, t, c])
        let v = tape.reshape(tape.slice(qkv, axis: 1, range: 2 * c..<3 * c), [b, t, c])
        let mixed = tape.causalAttention(q, k, v, heads: settings.heads, kvHeads: settings.heads, cache: cache, layer: l)  // (B, T, C)
        return block.attnProj(tape.reshape(mixed, [b * t, c]), tape: tape)
    }

    func makeCache(leftPadding: [Int]) -> KeyValueCache { KeyValueCache(layers: settings.layers, leftPadding: leftPadding) }
}
