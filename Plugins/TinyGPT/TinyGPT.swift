// TinyGPT: a GPT-2-style decoder — token and learned position embeddings, pre-LayerNorm blocks of causal
// multi-head attention and a GELU MLP, a final LayerNorm and a head tied to the token embedding —
// written over RaiseKit's ops. Not a port of any checkpoint format: it trains from scratch.
import RaiseKit

/// A GPT-2-style language model.
final class TinyGPT: DecoderLanguageModel {
    let backendID = "model.tinygpt"
    let settings: TinyGPTSettings
    let tokenizer: any Tokenizer
    let parameters: ParameterStore
    var contextLength: Int { settings.context }
    var embeddingWidth: Int { settings.width }
    var configuration: JSONObject { settings.json }
    let padID: Int32
    /// Named views of the parameters, looked up once: a misspelt name is a compile error, not a lookup
    /// failure at the first forward pass.
    private let wte: Variable, wpe: Variable       // token embedding (V, C), position embedding (T, C)
    private let blocks: [Block]
    private let lnfWeight: Variable, lnfBias: Variable  // (C)

    /// One transformer block's parameters.
    private struct Block {
        let ln1Weight: Variable, ln1Bias: Variable          // (C)
        let qkvWeight: Variable, qkvBias: Variable          // (3C, C), (3C)
        let attnProjWeight: Variable, attnProjBias: Variable  // (C, C), (C)
        let ln2Weight: Variable, ln2Bias: Variable          // (C)
        let fcWeight: Variable, fcBias: Variable            // (4C, C), (4C)
        let mlpProjWeight: Variable, mlpProjBias: Variable  // (C, 4C), (C)

        init(_ p: ParameterStore, layer l: Int) {
            (ln1Weight, ln1Bias) = (p["h\(l).ln1.weight"], p["h\(l).ln1.bias"])
            (qkvWeight, qkvBias) = (p["h\(l).attn.qkv.weight"], p["h\(l).attn.qkv.bias"])
            (attnProjWeight, attnProjBias) = (p["h\(l).attn.proj.weight"], p["h\(l).attn.proj.bias"])
            (ln2Weight, ln2Bias) = (p["h\(l).ln2.weight"], p["h\(l).ln2.bias"])
            (fcWeight, fcBias) = (p["h\(l).mlp.fc.weight"], p["h\(l).mlp.fc.bias"])
            (mlpProjWeight, mlpProjBias) = (p["h\(l).mlp.proj.weight"], p["h\(l).mlp.proj.bias"])
        }
    }

    /// A new model with GPT-2's initialisation: weights N(0, 0.02), residual projections scaled by
    /// 1/√(2·layers), biases 0, LayerNorm gains 1.
    init(settings: TinyGPTSettings, tokenizer: any Tokenizer, seed: UInt64) {
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
        parameters = ParameterStore(specs, rng: &rng)
        (wte, wpe) = (parameters["wte"], parameters["wpe"])
        blocks = (0..<settings.layers).map { [parameters] in Block(parameters, layer: $0) }
        (lnfWeight, lnfBias) = (parameters["lnf.weight"], parameters["lnf.bias"])
    }

    // MARK: Forward

    /// Final hidden states of ids at positions `position…`; `cache` holds earlier keys and values when
    /// decoding.   ids (B·T) -> (B·T, C)
    func forward(_ ids: [Int32], batch b: Int, length t: Int, position: Int, cache: KeyValueCache?, tape: Tape) -> Variable {
        let positions = (0..<b * t).map { Int32(position + $0 % t) }
        var x = tape.add(tape.embedding(wte, ids: ids), tape.embedding(wpe, ids: positions))  // (B·T, C)
        for (l, block) in blocks.enumerated() {
            let h = tape.layerNorm(x, weight: block.ln1Weight, bias: block.ln1Bias)
            x = tape.add(x, attention(h, block: block, layer: l, batch: b, length: t, cache: cache, tape: tape))
            let h2 = tape.layerNorm(x, weight: block.ln2Weight, bias: block.ln2Bias)
            let hidden = tape.gelu(tape.linear(h2, weight: block.fcWeight, bias: block.fcBias))  // MLP: C -> 4C
            x = tape.add(x, tape.linear(hidden, weight: block.mlpProjWeight, bias: block.mlpProjBias))  // 4C -> C
        }
        return tape.layerNorm(x, weight: lnfWeight, bias: lnfBias)
    }

    /// The head, tied to the token embedding.   hidden (N, C) -> logits (N, V)
    func logits(_ hidden: Variable, tape: Tape) -> Variable { tape.matmul(hidden, wte, transposeB: true) }

    /// Causal self-attention of one block.   h (B·T, C) -> (B·T, C)
    private func attention(_ h: Variable, block: Block, layer l: Int, batch b: Int, length t: Int, cache: KeyValueCache?, tape: Tape) -> Variable {
        let c = settings.width
        let qkv = tape.linear(h, weight: block.qkvWeight, bias: block.qkvBias)  // (B·T, 3C)
        let q = tape.reshape(tape.slice(qkv, axis: 1, range: 0..<c), [b, t, c])
        var k = tape.reshape(tape.slice(qkv, axis: 1, range: c..<2 * c), [b, t, c])
        var v = tape.reshape(tape.slice(qkv, axis: 1, range: 2 * c..<3 * c), [b, t, c])
        if let cache { (k, v) = cache.extend(layer: l, keys: k, values: v, tape: tape) }
        let mixed = tape.causalAttention(q, k, v, heads: settings.heads, kvHeads: settings.heads)  // (B, T, C)
        return tape.linear(tape.reshape(mixed, [b * t, c]), weight: block.attnProjWeight, bias: block.attnProjBias)
    }

    func makeCache() -> KeyValueCache { KeyValueCache(layers: settings.layers) }
}
