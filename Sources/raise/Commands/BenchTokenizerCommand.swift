// `raise bench tokenizer`: byte-level BPE encoding speed in MB/s on a corpus, single-threaded, and —
// when the Python `tokenizers` package is importable — the HF tokenizers peer on the same text and
// vocabulary, with the ratio. Runs alternate between the two; medians are reported. Target ≥ 1.0.
import Foundation
import RaiseKit

/// The tokenizer benchmark.
enum BenchTokenizerCommand {
    static let command = Command(
        words: ["bench", "tokenizer"],
        summary: "byte-level BPE encoding MB/s against HF tokenizers (ratio target ≥ 1.0, single-threaded)",
        arguments: "",
        options: [.value("--vocab", "DIR", "folder with encoder.json and vocab.bpe (required)"),
                  .values("--data", "FILE", "instruction file whose text is encoded (repeatable; required)"),
                  .integer("--repeats", "N", "timed runs of each side", default: 5, in: 1...1000), CommonOptions.json],
        run: run)

    /// The peer: loads the same files with HF tokenizers, encodes the documents once to warm its cache,
    /// then times one encode_batch over them (one thread: RAYON_NUM_THREADS=1) and prints {"seconds": s}.
    static let peerScript = """
        import json, sys, time
        from tokenizers import Tokenizer, models, pre_tokenizers, AddedToken
        vocab, corpus = sys.argv[1], sys.argv[2]
        t = Tokenizer(models.BPE.from_file(vocab + "/encoder.json", vocab + "/vocab.bpe"))
        t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        t.add_special_tokens([AddedToken("<|endoftext|>", special=True, normalized=False)])
        documents = json.load(open(corpus, encoding="utf-8"))
        count = sum(len(e.ids) for e in t.encode_batch(documents))
        start = time.perf_counter()
        t.encode_batch(documents)
        print(json.dumps({"seconds": time.perf_counter() - start, "tokens": count}))
        """

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        try arguments.expectNoPositionals()
        guard let vocab = arguments.string("--vocab") else {
            throw UsageError(message: "--vocab DIR is required", usage: arguments.usage)
        }
        let files = arguments.strings("--data")
        guard !files.isEmpty else { throw UsageError(message: "at least one --data FILE is required", usage: arguments.usage) }
        let repeats = try arguments.int("--repeats")

        var documents = [String]()
        for file in files {
            try InstructionReader(path: file, options: ReadOptions(skipInvalid: true)).forEach { record in
                documents.append(([record.input] + record.turns.map(\.content)).filter { !$0.isEmpty }.joined(separator: "\n"))
            }
        }
        let megabytes = Double(documents.reduce(0) { $0 + $1.utf8.count }) / 1e6
        let tokenizer = try BytePairTokenizer(directory: vocab)
        let encodeAll = { documents.reduce(0) { $0 + tokenizer.encode($1).count } }
        let tokens = encodeAll()  // also warms the word cache, as the peer does

        let corpusPath = NSTemporaryDirectory() + "raise-bench-corpus-\(getpid()).json"
        try AtomicFile.write(JSONValue.array(documents.map { .string($0) }).serialized, to: corpusPath)
        defer { try? FileManager.default.removeItem(atPath: corpusPath) }
        let peerAvailable = PythonPeer.canImport("tokenizers")
        var ours = [Double](), peer = [Double](), peerTokens: Int?
        for _ in 0..<repeats {
            ours.append(Timing.seconds { _ = encodeAll() })
            if peerAvailable {
                let result = try PythonPeer.runScript(peerScript, arguments: [vocab, corpusPath], name: "bench tokenizer",
                                                      environment: ["RAYON_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"])
                peer.append(result["seconds"]?.numberValue ?? .nan)
                peerTokens = result["tokens"]?.intValue
            }
        }
        let rate = megabytes / Timing.median(ours)
        let peerRate = peer.isEmpty ? nil : megabytes / Timing.median(peer)
        if arguments.outputMode == .json {
            print(JSONValue.object(JSONObject([
                ("case", .string("bpe-encode")), ("megabytes", .number(Timing.rounded(megabytes, 3))), ("tokens", .number(Double(tokens))),
                ("mb_per_s", .number(Timing.rounded(rate, 3))),
                ("reference_mb_per_s", peerRate.map { .number(Timing.rounded($0, 3)) } ?? .null),
                ("ratio", peerRate.map { .number(Timing.rounded(rate / $0, 3)) } ?? .null),
                ("reference_tokens", peerTokens.map { .number(Double($0)) } ?? .null),
            ])).serialized)
        } else {
            print(String(format: "bpe encode: %d documents, %.2f MB, %d tokens, 1 thread, median of %d runs",
                         documents.count, megabytes, tokens, repeats))
            print(String(format: "  raise           %8.2f MB/s", rate))
            if let peerRate {
                print(String(format: "  HF tokenizers   %8.2f MB/s (%d tokens%@)\n  ratio           %8.3f", peerRate, peerTokens ?? -1,
                             peerTokens == tokens ? ", the same ids count" : ", a DIFFERENT count", rate / peerRate))
            } else {
                print("  HF tokenizers   not importable by \(PythonPeer.interpreter) (pip install tokenizers): no ratio")
            }
        }
        return ExitCode.success
    }
}
