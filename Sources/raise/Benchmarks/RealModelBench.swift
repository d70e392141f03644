// RealModelBench: SmolLM2-135M training and scoring in raise against PyTorch + transformers loading the same
// GGUF file in Float32 — the cases of `raise bench train` for a real model. A batch is B sequences of ctx + 1
// tokens laid out as an instruction example: the first `prompt` positions are prompt (no loss), the rest
// answer. Both sides run the same shapes, AdamW and the answer-only loss; each counts tokens as B × ctx.
// The peer is a separate process per timed block (blocks alternate, so a noisy machine slows both alike);
// its first run writes the dequantized model's config and weights into a scratch cache so that later blocks
// load in seconds. Each row also gives the GFLOP/s raise reaches (the products it computes) and their share of a
// raw OpenBLAS sgemm of the model's shape measured in the same run: how close the step is to the machine's limit.
import Foundation
import RaiseKit

/// SmolLM2 training and scoring against PyTorch.
struct RealModelBench {
    /// Sequences per step, positions per sequence, and how many of them are prompt.
    let batch = 4, context = 128, prompt = 48

    /// The peer: transformers' LlamaForCausalLM from the GGUF file; prints {"train": [s…], "score": [s…]}.
    static let peerScript = """
        import json, os, sys, time, torch, torch.nn.functional as F
        from transformers import AutoConfig, AutoModelForCausalLM
        gguf, cache = sys.argv[1], sys.argv[2]
        ctx, batch, prompt, threads, steps = map(int, sys.argv[3:8])
        torch.set_num_threads(threads); torch.manual_seed(0)
        weights = os.path.join(cache, "weights.pt")
        if os.path.exists(weights):  # transformers will not save a model it read from GGUF: its config and weights, then
            model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(cache), dtype=torch.float32)
            model.load_state_dict(torch.load(weights))
        else:
            model = AutoModelForCausalLM.from_pretrained(os.path.dirname(gguf), gguf_file=os.path.basename(gguf), dtype=torch.float32)
            os.makedirs(cache, exist_ok=True)
            if hasattr(model.config, "quantization_config"): del model.config.quantization_config
            model.config.save_pretrained(cache)
            torch.save(model.state_dict(), weights)
        vocab = model.config.vocab_size
        ids = torch.randint(0, vocab, (batch, ctx + 1), generator=torch.Generator().manual_seed(1))
        x, labels = ids[:, :-1], ids[:, 1:].clone()
        labels[:, :prompt] = -100
        opt = torch.optim.AdamW(model.parameters(), lr=1e-5, betas=(0.9, 0.95), weight_decay=0.01)
        def losses(reduction):
            return F.cross_entropy(model(x).logits.reshape(-1, vocab), labels.reshape(-1), ignore_index=-100, reduction=reduction)
        def train():
            value = losses("mean"); opt.zero_grad(); value.backward(); torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step()
        def score():
            with torch.no_grad(): losses("none")
        """ + PythonPeer.trainAndScoreTiming

    /// FLOPs per token of raise's forward pass: 2 per weight of every product, the head's only on the
    /// `scoredShare` of positions that have a loss (raise projects no prompt position), plus the causal
    /// attention's scores and mixing (2 × 2 × T/2 × C per layer). A training step counts three times that.
    static func forwardFlopsPerToken(_ configuration: JSONObject, context: Int, scoredShare: Double) throws -> Double {
        func size(_ key: String) throws -> Double {
            guard let value = configuration[key]?.intValue else {
                throw RaiseError.invalidArgument(name: "bench train", detail: "the SmolLM2 model's configuration has no '\(key)'")
            }
            return Double(value)
        }
        let (layers, width, heads, kvHeads) = (try size("num_hidden_layers"), try size("hidden_size"), try size("num_attention_heads"),
                                               try size("num_key_value_heads"))
        let (feedForward, vocabulary) = (try size("intermediate_size"), try size("vocab_size"))
        let kv = width / heads * kvHeads
        let perLayer = 2 * width * width + 2 * width * kv + 3 * width * feedForward
        return 2 * (layers * perLayer + scoredShare * vocabulary * width) + layers * 2 * Double(context) * width
    }

    /// The raw sgemm rate (GFLOP/s) of one MLP product of the step's shape, OpenBLAS threading it itself.
    static func sgemmRate(rows: Int, width: Int, feedForward: Int) -> Double {
        var rng = RandomGenerator(seed: 2)
        let a = Tensor(randomUniform: [rows, width], low: -1, high: 1, rng: &rng)
        let b = Tensor(randomUniform: [width, feedForward], low: -1, high: 1, rng: &rng)
        let c = Tensor(zeros: [rows, feedForward])
        let call = { BLAS.directSgemm(c.data, a.data, b.data, m: rows, n: feedForward, k: width) }
        for _ in 0..<3 { call() }
        let seconds = Timing.median((0..<15).map { _ in Timing.seconds(call) })
        return 2 * Double(rows * width * feedForward) / seconds / 1e9
    }

    /// Measures both cases at `threads` threads, `repeats` blocks of 3 steps per side, each block a step of
    /// `progress` after `blocksBefore`.
    func run(registry: PluginRegistry, threads: Int, repeats: Int, progress: ProgressReporter, blocksBefore: Int) throws -> [BenchTrainCommand.Row] {
        let model = try registry.make(PluginSpec(parsing: "llama:path=\"\(ModelCache.smolLM2)\",ctx=\(context)", option: "--model"),
                                      kind: .model, seed: 0, as: (any LanguageModel).self)
        guard let configuration = model.huggingFaceConfiguration else {
            throw RaiseError.invalidArgument(name: "bench train", detail: "\(ModelCache.smolLM2) did not load as a LLaMA model")
        }
        var rng = RandomGenerator(seed: 1)
        let vocabulary = configuration["vocab_size"]?.intValue ?? 49_152
        let examples = (0..<batch).map { _ in
            TokenizedExample(ids: (0...context).map { _ in Int32(rng.nextInt(below: vocabulary)) },
                             lossMask: Array(repeating: 0, count: prompt + 1) + Array(repeating: 1, count: context - prompt))
        }
        var settings = TrainerSettings(schedule: .constant(1e-5))
        settings.microBatchSize = batch
        let trainer = ModelTrainer(model: model, settings: settings)
        try trainer.step(examples)
        _ = try model.exampleLosses(examples)

        let cache = NSTemporaryDirectory() + "raise-bench-smollm2-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let peerAvailable = PythonPeer.canImport("transformers") && PythonPeer.canImport("gguf")
        let arguments = [ModelCache.smolLM2, cache] + [context, batch, prompt, threads, TrainScoreTimes.stepsPerBlock].map(String.init)
        let (ours, peer) = try TrainScoreTimes.alternating(
            repeats: repeats, train: { try trainer.step(examples) }, score: { _ = try model.exampleLosses(examples) },
            peer: peerAvailable ? { try PythonPeer.runScript(RealModelBench.peerScript, arguments: arguments, name: "bench train (SmolLM2)") } : nil,
            progress: progress, blocksBefore: blocksBefore)
        let tokens = Double(batch * context)
        let forward = try RealModelBench.forwardFlopsPerToken(configuration, context: context,
                                                              scoredShare: Double(context - prompt) / Double(context))
        let sgemm = RealModelBench.sgemmRate(rows: batch * context, width: configuration["hidden_size"]?.intValue ?? 576,
                                             feedForward: configuration["intermediate_size"]?.intValue ?? 1536)
        func row(_ name: String, _ ours: [Double], _ peer: [Double], flopsPerToken: Double) -> BenchTrainCommand.Row {
            let rate = tokens / Timing.median(ours)
            let gflops = rate * flopsPerToken / 1e9
            return BenchTrainCommand.Row(name: "smollm2-\(name)-\(threads)thread", rate: rate, peer: "PyTorch + transformers",
                                         reference: peer.isEmpty ? nil : tokens / Timing.median(peer), gflops: gflops, sgemmShare: gflops / sgemm)
        }
        return [row("train", ours.train, peer.train, flopsPerToken: 3 * forward), row("score", ours.score, peer.score, flopsPerToken: forward)]
    }
}
