// Bert: a BERT encoder — word, position and token-type embeddings with a LayerNorm, then post-LN blocks
// of bidirectional multi-head attention and an exact-GELU MLP — written over RaiseKit's ops, with HF
// weights (`encoder.layer.0.attention.self.query.weight`, …) from model.safetensors. It embeds text
// as sentence-transformers does: the mean of the last hidden states over every token of
// "[CLS] text [SEP]", then (by default) scaled to unit length. It is a feature model: it gives
// embeddings (feature.embedding, feature.cluster), not answer losses, and raise does not train it.
import Foundation
import RaiseKit

/// A BERT encoder used for sentence embeddings (all-MiniLM-L6-v2 and its kin).
final class Bert: LanguageModel {
    let backendID = "model.bert"
    let settings: BertSettings
    let tokenizer: any Tokenizer
    let parameters: ParameterStore
    let contextLength: Int
    var embeddingWidth: Int { settings.width }
    /// One example at a time, never padded (`embeddings`): a row's bits do not depend on the call.
    let embedsEachExampleAlone = true
    /// Whether embeddings are scaled to unit length (sentence-transformers' Normalize module).
    let normalize: Bool
    var configuration: JSONObject {
        JSONObject([
            ("model_type", .string("bert")), ("num_hidden_layers", .number(Double(settings.layers))),
            ("hidden_size", .number(Double(settings.width))), ("num_attention_heads", .number(Double(settings.heads))),
            ("intermediate_size", .number(Double(settings.feedForward))), ("vocab_size", .number(Double(settings.vocabulary))),
            ("max_position_embeddings", .number(Double(settings.positions))), ("type_vocab_size", .number(Double(settings.tokenTypes))),
            ("layer_norm_eps", .number(Double(settings.normEps))), ("hidden_act", .string("gelu")),
            ("raise_context", .number(Double(contextLength))), ("raise_normalize", .bool(normalize)),
        ])
    }

    /// A weight and a bias: a dense layer (out, in) + (out), or a LayerNorm (C) + (C).
    private struct Affine {
        let weight: Variable, bias: Variable
        init(_ parameters: ParameterStore, _ name: String) { (weight, bias) = (parameters[name + ".weight"], parameters[name + ".bias"]) }
    }

    /// One encoder block's parameters (F = feedForward).
    private struct Block {
        let query: Affine, key: Affine, value: Affine  // (C, C)
        let attentionOutput: Affine                    // (C, C)
        let attentionNorm: Affine                      // (C)
        let intermediate: Affine                       // (F, C)
        let output: Affine                             // (C, F)
        let outputNorm: Affine                         // (C)

        init(_ parameters: ParameterStore, layer l: Int) {
            func p(_ name: String) -> Affine { Affine(parameters, "encoder.layer.\(l).\(name)") }
            (query, key, value) = (p("attention.self.query"), p("attention.self.key"), p("attention.self.value"))
            (attentionOutput, attentionNorm) = (p("attention.output.dense"), p("attention.output.LayerNorm"))
            (intermediate, output, outputNorm) = (p("intermediate.dense"), p("output.dense"), p("output.LayerNorm"))
        }
    }

    /// Named views of the parameters, looked up once.
    private let wordEmbeddings: Variable, positionEmbeddings: Variable, tokenTypeEmbeddings: Variable  // (V, C), (P, C), (2, C)
    private let embeddingNorm: Affine  // (C)
    private let blocks: [Block]

    /// A model with zeroed weights of the given sizes; `load` fills them in. `context` (at most the
    /// model's positions) is the longest sequence read, [CLS] and [SEP] included.
    init(settings: BertSettings, tokenizer: any Tokenizer, context: Int, normalize: Bool) {
        self.settings = settings
        self.tokenizer = tokenizer
        self.normalize = normalize
        contextLength = min(context, settings.positions)
        let (c, f) = (settings.width, settings.feedForward)
        func norm(_ name: String) -> [ParameterSpec] {
            [ParameterSpec(name + ".weight", [c], .ones, decays: false), ParameterSpec(name + ".bias", [c], .zeros, decays: false)]
        }
        func dense(_ name: String, _ rows: Int, _ columns: Int) -> [ParameterSpec] {
            [ParameterSpec(name + ".weight", [rows, columns], .zeros), ParameterSpec(name + ".bias", [rows], .zeros, decays: false)]
        }
        var specs = [ParameterSpec("embeddings.word_embeddings.weight", [settings.vocabulary, c], .zeros),
                     ParameterSpec("embeddings.position_embeddings.weight", [settings.positions, c], .zeros),
                     ParameterSpec("embeddings.token_type_embeddings.weight", [settings.tokenTypes, c], .zeros)]
        specs += norm("embeddings.LayerNorm")
        for l in 0..<settings.layers {
            let p = "encoder.layer.\(l)."
            specs += dense(p + "attention.self.query", c, c) + dense(p + "attention.self.key", c, c) + dense(p + "attention.self.value", c, c)
            specs += dense(p + "attention.output.dense", c, c) + norm(p + "attention.output.LayerNorm")
            specs += dense(p + "intermediate.dense", f, c) + dense(p + "output.dense", c, f) + norm(p + "output.LayerNorm")
        }
        var rng = RandomGenerator(seed: 0)
        parameters = ParameterStore(specs, rng: &rng)
        wordEmbeddings = parameters["embeddings.word_embeddings.weight"]
        positionEmbeddings = parameters["embeddings.position_embeddings.weight"]
        tokenTypeEmbeddings = parameters["embeddings.token_type_embeddings.weight"]
        embeddingNorm = Affine(parameters, "embeddings.LayerNorm")
        blocks = (0..<settings.layers).map { [parameters] in Block(parameters, layer: $0) }
    }

    /// Fills the parameters from an HF model.safetensors (names with or without a "bert." prefix;
    /// tensors the encoder does not use, such as the pooler, are ignored).
    func load(path: String) throws {
        var file = try Safetensors.read(path: path)
        if file.tensors["embeddings.word_embeddings.weight"] == nil {
            file.tensors = Dictionary(uniqueKeysWithValues: file.tensors.map { ($0.key.hasPrefix("bert.") ? String($0.key.dropFirst(5)) : $0.key, $0.value) })
        }
        try Checkpoint.copy(file, into: parameters, path: path)
    }

    // MARK: Forward

    /// x · Wᵀ + b.   x (N, in) -> (N, out)
    private func dense(_ x: Variable, _ layer: Affine, _ tape: Tape) -> Variable {
        tape.linear(x, weight: layer.weight, bias: layer.bias)
    }

    private func layerNorm(_ x: Variable, _ norm: Affine, _ tape: Tape) -> Variable {
        tape.layerNorm(x, weight: norm.weight, bias: norm.bias, eps: settings.normEps)
    }

    /// One post-LN encoder block.   x (T, C) -> (T, C)
    private func block(_ x: Variable, _ block: Block, length t: Int, tape: Tape) -> Variable {
        let c = settings.width
        let q = tape.reshape(dense(x, block.query, tape), [1, t, c])
        let k = tape.reshape(dense(x, block.key, tape), [1, t, c])
        let v = tape.reshape(dense(x, block.value, tape), [1, t, c])
        let mixed = tape.reshape(tape.bidirectionalAttention(q, k, v, heads: settings.heads, kvHeads: settings.heads), [t, c])
        let attended = layerNorm(tape.add(x, dense(mixed, block.attentionOutput, tape)), block.attentionNorm, tape)
        let inner = tape.geluErf(dense(attended, block.intermediate, tape))  // (T, F)
        return layerNorm(tape.add(attended, dense(inner, block.output, tape)), block.outputNorm, tape)
    }

    /// The last hidden states of one sequence (token type 0 throughout).   ids (T) -> (T, C)
    func hiddenStates(_ ids: [Int32], tape: Tape) -> Variable {
        let t = ids.count
        var x = tape.add(tape.embedding(wordEmbeddings, ids: ids), tape.embedding(positionEmbeddings, ids: (0..<t).map { Int32($0) }))
        x = tape.add(x, tape.embedding(tokenTypeEmbeddings, ids: [Int32](repeating: 0, count: t)))
        x = layerNorm(x, embeddingNorm, tape)
        for layer in blocks { x = block(x, layer, length: t, tape: tape) }
        return x
    }

    /// "[CLS] ids [SEP]", the ids cut to their last `contextLength − 2` (markers already there are kept
    /// once), every id checked against the vocabulary.
    func sequence(_ ids: [Int32]) throws -> [Int32] {
        let (cls, sep) = (tokenizer.specialTokens.bos!, tokenizer.specialTokens.eos!)
        var body = ids[...]
        if body.first == cls { body = body.dropFirst() }
        if body.last == sep { body = body.dropLast() }
        if let bad = body.first(where: { $0 < 0 || Int($0) >= settings.vocabulary }) {
            throw RaiseError.invalidArgument(name: backendID, detail: "token id \(bad) is outside the vocabulary of \(settings.vocabulary)")
        }
        return [cls] + body.suffix(contextLength - 2) + [sep]
    }

    // MARK: LanguageModel

    func embeddings(_ examples: [TokenizedExample], progress: ((_ done: Int) -> Void)?) throws -> Tensor {
        let c = settings.width
        let out = Tensor(zeros: [examples.count, c])
        for (i, example) in examples.enumerated() {
            let ids = try sequence(example.ids)
            let hidden = hiddenStates(ids, tape: Tape(recording: false)).value  // (T, C)
            let row = out.row(i)
            for t in 0..<ids.count { for j in 0..<c { row.data[j] += hidden.data[t * c + j] } }
            var squares: Float = 0
            for j in 0..<c {
                row.data[j] /= Float(ids.count)
                squares += row.data[j] * row.data[j]
            }
            if normalize { for j in 0..<c { row.data[j] /= max(squares.squareRoot(), 1e-12) } }
            progress?(i + 1)
        }
        return out
    }

    private var encoderOnly: RaiseError {
        .invalidArgument(name: backendID, detail: "an encoder gives embeddings (feature.embedding, feature.cluster), not answer losses or text; "
                         + "score losses with a decoder (tinygpt, llama) and train one")
    }

    func accumulateGradients(_ batch: [TokenizedExample]) throws -> (lossSum: Double, tokens: Int) { throw encoderOnly }

    func exampleLosses(_ examples: [TokenizedExample]) throws -> [Float] { throw encoderOnly }

    func generate(prompts: [[Int32]], maxNewTokens: [Int], stop: Set<Int32>) throws -> [[Int32]] { throw encoderOnly }
}
