// CrossEntropy: softmax cross-entropy of logits against target ids, weighted by a per-token mask
// (1 on answer tokens for answer-only loss, 0 elsewhere). Two reductions: the mean over all masked
// tokens (the training loss) and one mean per example (what perplexity and IFD scoring read), an
// example being a run of consecutive rows (padded rows of a batch, or only its scored rows).
import Foundation

/// How per-token losses are reduced.
public enum LossReduction: Equatable {
    /// One scalar: Σ mask · nll / Σ mask over every token.
    case tokenMean
    /// One value per example: the masked mean over that example's rows, `rows[e]` consecutive rows for
    /// example e (they add up to N). An example whose mask is all zero gets 0 (callers count such
    /// examples: they have no answer tokens).
    case perExample(rows: [Int])
}

/// The fused log-softmax + negative log-likelihood kernels.   logits (N, V), targets (N), mask (N)
enum CrossEntropy {
    /// nll[i] = −log softmax(logits[i])[target[i]]; keeps probs (N, V) for backward.
    static func forward(_ nll: UnsafeMutablePointer<Float>, _ probs: UnsafeMutablePointer<Float>,
                        _ logits: UnsafePointer<Float>, _ targets: [Int32], rows: Int, vocab: Int) {
        Softmax.forward(probs, logits, rows: rows, columns: vocab)
        for i in 0..<rows {
            nll[i] = -log(max(probs[i * vocab + Int(targets[i])], Float.leastNormalMagnitude))
        }
    }

    /// nll[i] = log Σ exp(logits[i]) − logits[i][target[i]], without keeping probabilities (no backward).
    static func forwardOnly(_ nll: UnsafeMutablePointer<Float>, _ logits: UnsafePointer<Float>, _ targets: [Int32], rows: Int, vocab: Int) {
        Parallel.ranges(rows, minimumPerPart: max(1, 8192 / max(vocab, 1))) { part in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: vocab)
            defer { scratch.deallocate() }
            for i in part {
                let row = logits + i * vocab
                let maxValue = FastMath.maximum(row, count: vocab)
                let sum = FastMath.exp(scratch, row, count: vocab, shift: maxValue)
                nll[i] = log(sum) + maxValue - row[Int(targets[i])]
            }
        }
    }

    /// dlogits[i] += weight[i] · (probs[i] − onehot(target[i])), weight[i] = the loss's gradient
    /// with respect to nll[i].
    static func backward(_ dLogits: UnsafeMutablePointer<Float>, _ probs: UnsafePointer<Float>, _ targets: [Int32],
                         _ weight: [Float], rows: Int, vocab: Int) {
        Parallel.ranges(rows, minimumPerPart: max(1, 8192 / max(vocab, 1))) { part in
            for i in part where weight[i] != 0 {
                let (d, p, w) = (dLogits + i * vocab, probs + i * vocab, weight[i])
                for v in 0..<vocab { d[v] += w * p[v] }
                d[Int(targets[i])] -= w
            }
        }
    }

    /// Each row's group and its weight in the reduced loss: d(output[group]) / d(nll[i]) = mask[i] / Σ mask
    /// over the group.
    static func weights(mask: [Float], reduction: LossReduction) -> (groups: Int, groupOfRow: [Int], perToken: [Float]) {
        let sizes: [Int]
        switch reduction {
        case .tokenMean: sizes = [mask.count]
        case .perExample(let rows): sizes = rows
        }
        var groupOfRow = [Int](), perToken = [Float](repeating: 0, count: mask.count)
        groupOfRow.reserveCapacity(mask.count)
        var start = 0
        for (g, size) in sizes.enumerated() {
            let range = start..<start + size
            groupOfRow += repeatElement(g, count: size)
            start += size
            let total = mask[range].reduce(0, +)
            guard total > 0 else { continue }
            for i in range { perToken[i] = mask[i] / total }
        }
        return (sizes.count, groupOfRow, perToken)
    }
}

extension Tape {
    /// Differentiable masked cross-entropy.   logits (N, V), targets (N), mask (N) -> () or (N / T)
    ///
    /// - Parameters:
    ///   - logits: one row of scores per token.
    ///   - targets: the id each row should predict.
    ///   - mask: the weight of each token's loss (1 on answer tokens, 0 on prompt and padding).
    ///   - reduction: `.tokenMean` gives a scalar; `.perExample(rows:)` one loss per example.
    public func crossEntropy(_ logits: Variable, targets: [Int32], mask: [Float], reduction: LossReduction = .tokenMean)
        -> Variable
    {
        let (rows, vocab) = (logits.value.rowCount, logits.value.lastDimension)
        precondition(targets.count == rows && mask.count == rows,
                     "crossEntropy: \(rows) rows of logits, \(targets.count) targets, \(mask.count) mask values")
        if let bad = targets.first(where: { $0 < 0 || Int($0) >= vocab }) {
            preconditionFailure("crossEntropy: target \(bad) outside the vocabulary of \(vocab)")
        }
        if case .perExample(let sizes) = reduction {
            precondition(sizes.allSatisfy { $0 >= 0 } && sizes.reduce(0, +) == rows,
                         "crossEntropy: \(rows) rows do not split into examples of \(sizes) rows")
        }
        let nll = Tensor(uninitialized: [rows])
        let probs = isRecording && logits.requiresGrad ? Tensor(uninitialized: [rows, vocab]) : nil
        if let probs {
            CrossEntropy.forward(nll.data, probs.data, logits.value.data, targets, rows: rows, vocab: vocab)
        } else {
            CrossEntropy.forwardOnly(nll.data, logits.value.data, targets, rows: rows, vocab: vocab)
        }
        let (groups, groupOfRow, perToken) = CrossEntropy.weights(mask: mask, reduction: reduction)
        let losses = Tensor(zeros: reduction == .tokenMean ? [] : [groups])
        for i in 0..<rows { losses.data[groupOfRow[i]] += perToken[i] * nll.data[i] }
        let out = output(losses, from: [logits])
        record("crossEntropy", output: out) { dOut in
            var weight = perToken
            for i in 0..<rows { weight[i] *= dOut.data[groupOfRow[i]] }
            CrossEntropy.backward(logits.gradBuffer.data, probs!.data, targets, weight, rows: rows, vocab: vocab)
        }
        return out
    }
}
