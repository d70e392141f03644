// `raise bench train`: TinyGPT training and scoring throughput in tokens/s, against the same model in
// PyTorch (same shapes, float32, AdamW, same thread count) when `torch` is importable. Blocks of steps
// alternate between the two and medians are reported, so a noisy machine slows both alike. Target:
// ratio ≥ 1.0 for training and scoring. With the SmolLM2 file present, also SmolLM2's training and scoring
// against PyTorch + transformers on the same GGUF file (`RealModelBench`), with the GFLOP/s achieved.
import Foundation
import RaiseKit

/// The training benchmark.
enum BenchTrainCommand {
    static let command = Command(
        words: ["bench", "train"],
        summary: "TinyGPT and SmolLM2 training and scoring tokens/s against PyTorch (ratio target ≥ 1.0)",
        arguments: "",
        options: [.text("--model", "SPEC", "tinygpt sizes", default: "tinygpt:layers=4,heads=4,d=128,ctx=128"),
                  .integer("--vocab", "N", "vocabulary size", default: 512, in: 260...100_000), .integer("--batch", "N", "sequences per step", default: 16, in: 1...4096),
                  .integer("--repeats", "N", "timed blocks per side", default: 5, in: 1...1000), PluginOptions.pluginPath,
                  CommonOptions.threads, CommonOptions.quiet, CommonOptions.json],
        run: run)

    /// The peer: the same GPT-2-style model in PyTorch; prints {"train": [seconds…], "score": [seconds…]}.
    static let peerScript = """
        import json, sys, time, torch, torch.nn as nn, torch.nn.functional as F
        layers, heads, d, ctx, vocab, batch, threads, steps = map(int, sys.argv[1:9])
        torch.set_num_threads(threads); torch.manual_seed(0)
        class Block(nn.Module):
            def __init__(s):
                super().__init__(); s.ln1 = nn.LayerNorm(d); s.qkv = nn.Linear(d, 3 * d); s.proj = nn.Linear(d, d)
                s.ln2 = nn.LayerNorm(d); s.fc = nn.Linear(d, 4 * d); s.out = nn.Linear(4 * d, d)
            def forward(s, x):
                b, t, _ = x.shape
                q, k, v = s.qkv(s.ln1(x)).split(d, 2)
                q, k, v = [z.view(b, t, heads, d // heads).transpose(1, 2) for z in (q, k, v)]
                a = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, d)
                x = x + s.proj(a)
                return x + s.out(F.gelu(s.fc(s.ln2(x)), approximate="tanh"))
        class GPT(nn.Module):
            def __init__(s):
                super().__init__(); s.wte = nn.Embedding(vocab, d); s.wpe = nn.Embedding(ctx, d)
                s.blocks = nn.ModuleList(Block() for _ in range(layers)); s.lnf = nn.LayerNorm(d)
            def forward(s, idx):
                x = s.wte(idx) + s.wpe(torch.arange(idx.shape[1]))
                for blk in s.blocks: x = blk(x)
                return s.lnf(x) @ s.wte.weight.T
        model = GPT(); opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
        data = torch.randint(0, vocab, (batch, ctx + 1))
        x, y = data[:, :-1], data[:, 1:]
        def train():
            loss = F.cross_entropy(model(x).reshape(-1, vocab), y.reshape(-1)); opt.zero_grad(); loss.backward(); opt.step()
        def score():
            with torch.no_grad(): F.cross_entropy(model(x).reshape(-1, vocab), y.reshape(-1), reduction="none")
        """ + PythonPeer.trainAndScoreTiming

    /// One measured case: raise's rate, its peer (nil when no peer runs this case) and the peer's rate (nil
    /// when the peer is not installed); for a real model, the model GFLOP/s behind raise's rate and its share
    /// of a raw sgemm measured in the same run.
    struct Row {
        let name: String
        let rate: Double
        let peer: String?
        let reference: Double?
        var gflops: Double? = nil
        var sgemmShare: Double? = nil
    }

    /// Writes into `folder` a BPE tokenizer of `vocabulary` tokens trained on the embedded suite's text.
    static func suiteTokenizer(vocabulary: Int, into folder: String) throws {
        var configuration = TaskSuiteConfiguration()
        (configuration.poolSize, configuration.pretrainSize) = (2000, 4000)
        let texts = try TaskSuite(configuration).pretrain.map { $0.serialized }
        try BytePairTrainer.train(texts: texts, vocabularySize: vocabulary).save(directory: folder)
    }

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        try arguments.expectNoPositionals()
        let threads = try arguments.configureThreads()
        let vocab = try arguments.int("--vocab")
        let batchSize = try arguments.int("--batch")
        let repeats = try arguments.int("--repeats")
        let registry = try PluginOptions.load(arguments)

        let folder = NSTemporaryDirectory() + "raise-bench-train-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try suiteTokenizer(vocabulary: vocab, into: folder)
        let spec = try PluginSpec(parsing: arguments.text("--model") + ",tokenizer=\(folder)",
                                  option: "--model")
        let model = try registry.make(spec, kind: .model, seed: 0, as: (any LanguageModel).self)
        guard let settings = Optional(model.configuration), let layers = settings["layers"]?.intValue, let heads = settings["heads"]?.intValue,
              let width = settings["d"]?.intValue else {
            throw RaiseError.invalidArgument(name: "--model", detail: "bench train measures model.tinygpt")
        }
        let ctx = model.contextLength
        var rng = RandomGenerator(seed: 1)
        let batch = (0..<batchSize).map { _ in
            TokenizedExample(ids: (0...ctx).map { _ in Int32(rng.nextInt(below: vocab)) }, lossMask: [0] + Array(repeating: 1, count: ctx))
        }
        let tokensPerStep = Double(batchSize * ctx)
        let trainer = ModelTrainer(model: model, settings: TrainerSettings(schedule: .constant(1e-4)))
        try trainer.step(batch)
        _ = try model.exampleLosses(batch)

        let peerAvailable = PythonPeer.canImport("torch")
        let peerArguments = [layers, heads, width, ctx, vocab, batchSize, threads, TrainScoreTimes.stepsPerBlock].map(String.init)
        // A block is raise's steps and one run of the peer, TinyGPT's and then SmolLM2's (when its file is present).
        let hasSmolLM2 = FileManager.default.fileExists(atPath: ModelCache.smolLM2)
        let progress = ProgressReporter(label: "bench train", total: repeats * (hasSmolLM2 ? 2 : 1), mode: arguments.outputMode, unit: "block")
        progress.detail = "TinyGPT, \(threads) thread(s)"
        let (ours, peer) = try TrainScoreTimes.alternating(
            repeats: repeats, train: { try trainer.step(batch) }, score: { _ = try model.exampleLosses(batch) },
            peer: peerAvailable ? { try PythonPeer.runScript(peerScript, arguments: peerArguments, name: "bench train") } : nil,
            progress: progress, blocksBefore: 0)
        var rows = [Row(name: "train-\(threads)thread", rate: tokensPerStep / Timing.median(ours.train), peer: "PyTorch",
                        reference: peer.train.isEmpty ? nil : tokensPerStep / Timing.median(peer.train)),
                    Row(name: "score-\(threads)thread", rate: tokensPerStep / Timing.median(ours.score), peer: "PyTorch",
                        reference: peer.score.isEmpty ? nil : tokensPerStep / Timing.median(peer.score))]
        if hasSmolLM2 {
            progress.detail = "SmolLM2, \(threads) thread(s)"
            rows += try RealModelBench().run(registry: registry, threads: threads, repeats: repeats, progress: progress, blocksBefore: repeats)
        } else if arguments.outputMode != .json {
            print("(\(ModelCache.smolLM2) is missing: no SmolLM2 cases; `make models` fetches it)")
        }
        if arguments.outputMode != .json {
            print("case                      tokens/s    peer t/s   ratio   GFLOP/s  of sgemm")
        }
        for row in rows {
            if arguments.outputMode == .json {
                print(JSONValue.object(JSONObject([
                    ("case", .string(row.name)), ("tokens_per_s", .number(row.rate.rounded())), ("peer", row.peer.map { .string($0) } ?? .null),
                    ("reference_tokens_per_s", row.reference.map { .number($0.rounded()) } ?? .null),
                    ("ratio", row.reference.map { .number(Timing.rounded(row.rate / $0, 3)) } ?? .null),
                    ("gflops", row.gflops.map { .number(Timing.rounded($0, 1)) } ?? .null),
                    ("sgemm_share", row.sgemmShare.map { .number(Timing.rounded($0, 3)) } ?? .null),
                ])).serialized)
            } else {
                let peerText = row.reference.map { String(format: "%12.0f %7.3f", $0, row.rate / $0) } ?? "           —       —"
                let limitText = row.gflops.map { String(format: "%10.1f %8.0f%%", $0, 100 * (row.sgemmShare ?? 0)) } ?? ""
                print(row.name.padding(toLength: 24, withPad: " ", startingAt: 0) + String(format: "%10.0f", row.rate) + peerText + limitText)
            }
        }
        if !peerAvailable && arguments.outputMode != .json {
            print("(PyTorch is not importable by \(PythonPeer.interpreter): no reference; see `make bench`)")
        }
        return ExitCode.success
    }
}
