// Attention: multi-head scaled dot-product attention with grouped-query heads (several query heads
// share one key/value head, as in LLaMA), causal for decoders or bidirectional for encoders (BERT).
// Every product is an sgemm on strided head views; the forward pass keeps the attention probabilities
// for the backward pass. Causal keys may be longer than queries (a KV cache): query i sees keys
// j ≤ i + (Tk − Tq); a bidirectional query sees every key. Decoding reads a KeyValueCache in place:
// its keys are time-major, and each row's left padding is never attended to.
import Foundation

/// The sizes of one attention call, and where its keys and values lie.
struct AttentionShape {
    let batch: Int, queryLength: Int, keyLength: Int
    let heads: Int, kvHeads: Int, headDim: Int
    let causal: Bool
    /// Floats from one query (and its gradient) to the next: H·D, or the row of a packed projection that
    /// holds the keys and values beside it.
    var queryStride: Int
    /// Floats from one key (or value) of a row to the next: Hkv·D, or B·Hkv·D in a cache's time-major storage.
    var keyStride: Int
    /// Floats from one batch row's first key to the next row's: Tk·Hkv·D, or Hkv·D in a cache.
    var keyBatchStride: Int
    /// Per batch row, the first key its queries may see (a cache's left padding); empty: 0 for every row.
    var firstKeys: [Int] = []

    /// Keys and values laid out (B, Tk, Hkv·D), every key visible to some query.
    init(batch: Int, queryLength: Int, keyLength: Int, heads: Int, kvHeads: Int, headDim: Int, causal: Bool) {
        (self.batch, self.queryLength, self.keyLength, self.heads, self.kvHeads, self.headDim, self.causal)
            = (batch, queryLength, keyLength, heads, kvHeads, headDim, causal)
        (queryStride, keyStride, keyBatchStride) = (heads * headDim, kvHeads * headDim, keyLength * kvHeads * headDim)
    }

    /// Floats from one output row (and its gradient) to the next.
    var outputStride: Int { heads * headDim }
    var scale: Float { 1 / Float(headDim).squareRoot() }
    /// Query heads per key/value head.
    var groupSize: Int { heads / kvHeads }
    /// The last key index query `i` may attend to.
    func lastKey(_ i: Int) -> Int { causal ? i + keyLength - queryLength : keyLength - 1 }
    /// The first key index the queries of batch row `b` may attend to.
    func firstKey(_ b: Int) -> Int { firstKeys.isEmpty ? 0 : firstKeys[b] }

    /// Runs `body(b, h)` for every batch row and query head, the (row, key/value head) groups spread over
    /// threads: heads that share keys and values stay on one thread, so their gradients never race.
    func forEachHead(_ body: (_ b: Int, _ h: Int) -> Void) {
        Parallel.ranges(batch * kvHeads, minimumPerPart: 1) { part in
            for group in part {
                let (b, g) = (group / kvHeads, group % kvHeads)
                for h in g * groupSize..<(g + 1) * groupSize { body(b, h) }
            }
        }
    }
}

/// The attention kernels.   q (B, Tq, H·D), k and v (B, Tk, Hkv·D) -> out (B, Tq, H·D); probs (B, H, Tq, Tk)
/// (q, k and v may be the columns of one packed projection: rows `queryStride` and `keyStride` apart)
///
/// Causal attention works on blocks of `blockRows` queries: a block's last query sees no key after
/// `lastKey` of it, so the block's products stop there — at T = 128 a quarter of the score and value
/// products are skipped, at T = 256 almost half. Probabilities before a row's first key and past a
/// query's last key are 0 (a pad query, which sees no key, gets all 0).
enum Attention {
    /// Queries per block of causal attention.
    static let blockRows = 32

    /// The blocks of queries, each with the number of keys its products cover.
    private static func blocks(_ s: AttentionShape) -> [(rows: Range<Int>, keys: Int)] {
        let size = s.causal ? blockRows : max(s.queryLength, 1)
        return stride(from: 0, to: s.queryLength, by: size).map { start in
            let rows = start..<min(start + size, s.queryLength)
            return (rows, min(s.lastKey(rows.upperBound - 1) + 1, s.keyLength))
        }
    }

    /// For each batch b and head h (sharing kv head h / (H / Hkv)):
    /// P = softmax(scale · Q Kᵀ, causal or not), O = P V.
    static func forward(_ out: UnsafeMutablePointer<Float>, _ probs: UnsafeMutablePointer<Float>,
                        _ q: UnsafePointer<Float>, _ k: UnsafePointer<Float>, _ v: UnsafePointer<Float>, _ s: AttentionShape) {
        let (tq, tk, d) = (s.queryLength, s.keyLength, s.headDim)
        let blocks = blocks(s)
        s.forEachHead { b, h in
            let g = h / s.groupSize
            let qh = q + b * tq * s.queryStride + h * d
            let kh = k + b * s.keyBatchStride + g * d
            let vh = v + b * s.keyBatchStride + g * d
            let firstKey = s.firstKey(b)
            let p = probs + (b * s.heads + h) * tq * tk
            for (rows, keys) in blocks {
                let first = rows.lowerBound
                BLAS.gemm(p + first * tk, qh + first * s.queryStride, kh, m: rows.count, n: keys, k: d, transposeB: true, alpha: s.scale,
                          lda: s.queryStride, ldb: s.keyStride, ldc: tk)
                for i in rows {
                    let row = p + i * tk
                    let visible = min(s.lastKey(i) + 1, tk)
                    if firstKey < visible { Softmax.forward(row + firstKey, row + firstKey, rows: 1, columns: visible - firstKey) }
                    for j in 0..<min(firstKey, tk) { row[j] = 0 }
                    for j in max(visible, firstKey)..<tk { row[j] = 0 }
                }
                BLAS.gemm(out + (b * tq + first) * s.outputStride + h * d, p + first * tk, vh, m: rows.count, n: d, k: keys,
                          lda: tk, ldb: s.keyStride, ldc: s.outputStride)
            }
        }
    }

    /// dV += Pᵀ dO; dP = dO Vᵀ; dS = P ⊙ (dP − rowsum(dP ⊙ P)); dQ += scale · dS K; dK += scale · dSᵀ Q.
    static func backward(_ dq: UnsafeMutablePointer<Float>?, _ dk: UnsafeMutablePointer<Float>?,
                         _ dv: UnsafeMutablePointer<Float>?, _ dOut: UnsafePointer<Float>, _ probs: UnsafePointer<Float>,
                         _ q: UnsafePointer<Float>, _ k: UnsafePointer<Float>, _ v: UnsafePointer<Float>, _ s: AttentionShape) {
        let (tq, tk, d) = (s.queryLength, s.keyLength, s.headDim)
        let blocks = blocks(s)
        s.forEachHead { b, h in
            let dS = UnsafeMutablePointer<Float>.allocate(capacity: (blocks.first?.rows.count ?? 0) * tk)  // one block's
            defer { dS.deallocate() }
            let g = h / s.groupSize
            let kOffset = b * s.keyBatchStride + g * d
            for (rows, keys) in blocks {
                let first = rows.lowerBound
                let qOffset = (b * tq + first) * s.queryStride + h * d
                let p = probs + (b * s.heads + h) * tq * tk + first * tk
                let dOh = dOut + (b * tq + first) * s.outputStride + h * d
                if let dv {
                    BLAS.gemm(dv + kOffset, p, dOh, m: keys, n: d, k: rows.count, transposeA: true, beta: 1,
                              lda: tk, ldb: s.outputStride, ldc: s.keyStride)
                }
                BLAS.gemm(dS, dOh, v + kOffset, m: rows.count, n: keys, k: d, transposeB: true,
                          lda: s.outputStride, ldb: s.keyStride, ldc: tk)
                for i in 0..<rows.count {
                    let (row, pRow) = (dS + i * tk, p + i * tk)
                    let dot = FastMath.dot(row, pRow, count: keys)
                    for j in 0..<keys { row[j] = pRow[j] * (row[j] - dot) }
                }
                if let dq {
                    BLAS.gemm(dq + qOffset, dS, k + kOffset, m: rows.count, n: d, k: keys, alpha: s.scale, beta: 1,
                              lda: tk, ldb: s.keyStride, ldc: s.queryStride)
                }
                if let dk {
                    BLAS.gemm(dk + kOffset, dS, q + qOffset, m: keys, n: d, k: rows.count, transposeA: true, alpha: s.scale,
                              beta: 1, lda: tk, ldb: s.queryStride, ldc: s.keyStride)
                }
            }
        }
    }
}

extension Tape {
    /// Differentiable causal attention with grouped-query heads (decoders).
    ///   q (B, Tq, H·D), k and v (B, Tk, Hkv·D), Tk ≥ Tq -> (B, Tq, H·D)
    ///
    /// With a `cache` (decoding; not differentiable), `k` and `v` are the new positions' only (Tk = Tq): they
    /// are appended to the cache's layer `layer`, and the queries attend over every stored position of their
    /// row but its left padding.
    public func causalAttention(_ q: Variable, _ k: Variable, _ v: Variable, heads: Int, kvHeads: Int,
                                cache: KeyValueCache? = nil, layer: Int = 0) -> Variable {
        guard let cache else { return attention(q, k, v, heads: heads, kvHeads: kvHeads, causal: true) }
        precondition(!isRecording, "causalAttention: decoding with a cache is not differentiable; use Tape(recording: false)")
        precondition(q.value.rank == 3 && k.shape == v.shape && k.shape[0] == q.shape[0] && k.shape[1] == q.shape[1]
                     && heads % kvHeads == 0 && q.shape[2] % heads == 0 && k.shape[2] == kvHeads * (q.shape[2] / heads),
                     "causalAttention: q \(q.shape), new k \(k.shape) and v \(v.shape) do not fit \(heads)/\(kvHeads) heads")
        cache.append(layer: layer, keys: k.value, values: v.value)
        let stored = cache.stored(layer: layer)
        var s = AttentionShape(batch: q.shape[0], queryLength: q.shape[1], keyLength: cache.length,
                               heads: heads, kvHeads: kvHeads, headDim: q.shape[2] / heads, causal: true)
        (s.keyStride, s.keyBatchStride, s.firstKeys) = (cache.rows * stored.width, stored.width, cache.leftPadding)
        let out = output(Tensor(uninitialized: q.shape), from: [q])
        let probs = Tensor(uninitialized: [s.batch, heads, s.queryLength, s.keyLength])
        Attention.forward(out.value.data, probs.data, q.value.data, stored.keys, stored.values, s)
        return out
    }

    /// Differentiable causal attention over a packed projection (GPT-2's), read in place: each row holds its
    /// queries, keys and values side by side, so no slice is copied out and no slice's gradient added back.
    /// Every query head has its own key/value head.   qkv (B·T, 3·H·D) -> (B·T, H·D)
    public func causalAttention(packed qkv: Variable, batch: Int, heads: Int) -> Variable {
        let (rows, width) = (qkv.value.rowCount, qkv.value.lastDimension)
        precondition(qkv.value.rank == 2 && batch > 0 && rows % batch == 0 && heads > 0 && width % (3 * heads) == 0,
                     "causalAttention: packed q, k and v \(qkv.shape) do not fit \(batch) rows of \(heads) heads")
        let c = width / 3
        var s = AttentionShape(batch: batch, queryLength: rows / batch, keyLength: rows / batch,
                               heads: heads, kvHeads: heads, headDim: c / heads, causal: true)
        (s.queryStride, s.keyStride, s.keyBatchStride) = (width, width, s.keyLength * width)
        let out = output(Tensor(uninitialized: [rows, c]), from: [qkv])
        let probs = Tensor(uninitialized: [batch, heads, s.queryLength, s.keyLength])
        let packed = UnsafePointer(qkv.value.data)
        Attention.forward(out.value.data, probs.data, packed, packed + c, packed + 2 * c, s)
        record("causalAttention", output: out) { dOut in
            let (gradient, packed) = (qkv.gradBuffer.data, UnsafePointer(qkv.value.data))
            Attention.backward(gradient, gradient + c, gradient + 2 * c, dOut.data, probs.data, packed, packed + c, packed + 2 * c, s)
        }
        return out
    }

    /// Differentiable bidirectional attention: every query sees every key (encoders; no padding mask,
    /// so a batch holds sequences of one length).   q (B, Tq, H·D), k and v (B, Tk, Hkv·D) -> (B, Tq, H·D)
    public func bidirectionalAttention(_ q: Variable, _ k: Variable, _ v: Variable, heads: Int, kvHeads: Int) -> Variable {
        attention(q, k, v, heads: heads, kvHeads: kvHeads, causal: false)
    }

    private func attention(_ q: Variable, _ k: Variable, _ v: Variable, heads: Int, kvHeads: Int, causal: Bool) -> Variable {
        precondition(q.value.rank == 3 && k.value.rank == 3 && k.shape == v.shape,
                     "attention: q \(q.shape), k \(k.shape), v \(v.shape) must be (B, T, heads·D)")
        precondition(heads > 0 && kvHeads > 0 && heads % kvHeads == 0,
                     "attention: \(heads) query heads cannot share \(kvHeads) key/value heads")
        let headDim = q.shape[2] / heads
        let s = AttentionShape(batch: q.shape[0], queryLength: q.shape[1], keyLength: k.shape[1],
                               heads: heads, kvHeads: kvHeads, headDim: headDim, causal: causal)
        precondition(q.shape[2] == heads * headDim && k.shape[2] == kvHeads * headDim && k.shape[0] == s.batch
                     && (!causal || s.keyLength >= s.queryLength),
                     "attention: q \(q.shape) and k \(k.shape) do not fit \(heads)/\(kvHeads) heads")
        let out = output(Tensor(uninitialized: q.shape), from: [q, k, v])
        let probs = Tensor(uninitialized: [s.batch, heads, s.queryLength, s.keyLength])
        Attention.forward(out.value.data, probs.data, q.value.data, k.value.data, v.value.data, s)
        record(causal ? "causalAttention" : "bidirectionalAttention", output: out) { dOut in
            Attention.backward(q.requiresGrad ? q.gradBuffer.data : nil, k.requiresGrad ? k.gradBuffer.data : nil,
                               v.requiresGrad ? v.gradBuffer.data : nil, dOut.data, probs.data,
                               q.value.data, k.value.data, v.value.data, s)
        }
        return out
    }
}
