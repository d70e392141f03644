// IncrementalScoring: the actor's scores of a whole pool at every step, without redoing what does not
// change. Step to step, only the stage (the same for every row), the use counts and the current loss
// move; the difficulty and semantic columns of each instruction do not. So the first layer's product
// with those static columns, plus its bias, is computed once per pool and policy weights,
//   P = X_static · W_staticᵀ + b                                       (N, H)
// and each step adds the dynamic columns' share and finishes the network:
//   z_i = P_i + W_stage·stage + W_avail·log(1 + uses_i) + W_loss·loss_i,  score_i = w₂·f(z_i) + b₂
// — O(N·H) per step instead of O(N·width·H). The actor is SelectionPolicy's MLP with one hidden layer
// (f = ReLU or tanh); the result equals `scores(fusedState(...))` up to float rounding.
// P is large (20k instructions × 64 units: 5 MB) and, between two steps, a training step pushes it out of
// the caches, so reading it was most of a step's selection. One pass over it therefore scores the next
// `stepsScoredPerPass` steps at once (each block of P is read from memory once and the other steps reuse
// it from the L1 cache), as the pool's use counts and losses stand. At each of those steps, the blocks
// whose rows were picked since (their use counts moved) are scored again; a change of losses, weights,
// pool or run length starts a new pass. Every score is computed by the same code on the same inputs as
// a pass at that step would, so the scores are the same bits.
import Foundation

/// A per-pool cache of the actor's static first-layer product and of the scores of the steps ahead.
final class IncrementalScorer {
    /// log(1 + uses) for the use counts a run reaches, computed once (the same Floats as `log1p`).
    private static let logUsesTable = (0..<1024).map { log1p(Float($0)) }

    /// Sixteen rows, one per lane. Every lane holds one row's own sum, in the same order at any width.
    typealias Lanes = SIMD16<Float>
    /// A block: two vectors of rows scored side by side, so that while one sum waits on its add's latency
    /// the other's is computed.
    static let rowsPerBlock = 2 * Lanes.scalarCount

    /// f of each lane: ReLU, or tanh eight lanes at a time.
    @inline(always)
    private static func activation(_ z: Lanes, relu: Bool) -> Lanes {
        relu ? z.replacing(with: Lanes.zero, where: z .< Lanes.zero)
            : Lanes(lowHalf: FastMath.tanh(z.lowHalf), highHalf: FastMath.tanh(z.highHalf))
    }

    /// One block's scores: Σ_h w₂[h] · f(P[h] + shift[h] + uses[h]·a + loss[h]·l) + b₂, the units in order.
    /// `w` holds shift, uses, loss and w₂, H each; `row` the block's P, hidden-major; `a` and `l` the two
    /// halves' uses and losses.
    @inline(always)
    private static func score(_ row: UnsafeRawPointer, _ w: UnsafeBufferPointer<Float>, _ hidden: Int, _ a: SIMD32<Float>,
                              _ l: SIMD32<Float>, _ bias: Float, relu: Bool, loss: Bool) -> SIMD32<Float> {
        var (first, second) = (Lanes(repeating: bias), Lanes(repeating: bias))
        let half = MemoryLayout<Lanes>.size
        for h in 0..<hidden {
            let at = row + h &* 2 &* half
            var z0 = at.loadUnaligned(as: Lanes.self) + w[h] + w[hidden + h] * a.lowHalf
            var z1 = at.loadUnaligned(fromByteOffset: half, as: Lanes.self) + w[h] + w[hidden + h] * a.highHalf
            if loss {  // without the group, l and its weights are zero
                z0 += w[2 * hidden + h] * l.lowHalf
                z1 += w[2 * hidden + h] * l.highHalf
            }
            first += w[3 * hidden + h] * activation(z0, relu: relu)
            second += w[3 * hidden + h] * activation(z1, relu: relu)
        }
        return SIMD32(lowHalf: first, highHalf: second)
    }

    /// The pool (held, so that its memory cannot be reused by another) and the weights' version cached.
    private var key: (pool: TensorStorage, version: Int)?
    private var staticPart = Tensor(zeros: [0])

    /// Steps one pass over P scores (see the header).
    static let stepsScoredPerPass = 8

    /// The last pass: the steps it scored, the run length, use counts and losses it was computed with, and
    /// the scores of its steps one after another (each padded to whole blocks).
    private struct Pass {
        let steps: Range<Int>, totalSteps: Int
        let timesSelected: [Int], currentLoss: [Float]?
        let scores: [Float]
    }
    private var pass: Pass?

    /// The actor's scores of every pool instruction at `progress`.   -> (N)
    func scores(_ policy: SelectionPolicy, _ features: PoolFeatures, _ progress: TrainingProgress) -> [Float] {
        let n = features.count, lanes = IncrementalScorer.rowsPerBlock
        precondition(progress.timesSelected.count == n, "IncrementalScorer: \(progress.timesSelected.count) use counts for \(n) instructions")
        guard n > 0 else { return [] }
        let blocks = (n + lanes - 1) / lanes
        cacheStaticProduct(policy, features, blocks: blocks)
        let stride = blocks * lanes
        var scores: [Float]
        if let pass, pass.totalSteps == progress.totalSteps, pass.currentLoss == progress.currentLoss, pass.steps.contains(progress.step) {
            // A step the last pass scored: only the blocks whose use counts moved since are scored again.
            let k = progress.step - pass.steps.lowerBound
            scores = Array(pass.scores[k * stride..<(k + 1) * stride])
            let moved = pass.timesSelected.withUnsafeBytes { before in
                progress.timesSelected.withUnsafeBytes { now in
                    (0..<blocks).filter { block in
                        let (at, rows) = (block * lanes * MemoryLayout<Int>.size, min(lanes, n - block * lanes) * MemoryLayout<Int>.size)
                        return memcmp(before.baseAddress! + at, now.baseAddress! + at, rows) != 0
                    }
                }
            }
            if !moved.isEmpty {
                scores.withUnsafeMutableBufferPointer { scores in
                    score(moved, steps: progress.step..<progress.step + 1, policy, n, progress, into: scores.baseAddress!, stride: 0)
                }
            }
        } else {
            let steps = progress.step..<progress.step + max(1, min(IncrementalScorer.stepsScoredPerPass, progress.totalSteps - progress.step))
            var all = [Float](repeating: 0, count: steps.count * stride)
            all.withUnsafeMutableBufferPointer { all in
                score(Array(0..<blocks), steps: steps, policy, n, progress, into: all.baseAddress!, stride: stride)
            }
            pass = Pass(steps: steps, totalSteps: progress.totalSteps, timesSelected: progress.timesSelected,
                        currentLoss: progress.currentLoss, scores: all)
            scores = Array(all[0..<stride])
        }
        scores.removeLast(blocks * lanes - n)
        return scores
    }

    /// P for this pool and these weights, computed when either changed (and the last pass forgotten).
    private func cacheStaticProduct(_ policy: SelectionPolicy, _ features: PoolFeatures, blocks: Int) {
        guard key?.pool !== features.semantics.storage || key?.version != policy.version else { return }
        let layout = policy.settings.layout
        let (n, hidden, width, lanes) = (features.count, policy.settings.hidden, layout.width, IncrementalScorer.rowsPerBlock)
        let weight = policy.parameters["actor.layer0.weight"].value  // (H, width)
        let staticGroups = layout.groups.filter { features.staticColumns(of: $0) != nil }
        let columns = staticGroups.flatMap { Array(layout.columns(of: $0)!) }
        let inputs = Tensor(zeros: [n, columns.count]), weights = Tensor(zeros: [hidden, columns.count])
        var at = 0
        for group in staticGroups {
            let source = features.staticColumns(of: group)!
            let c = source.shape[1]
            for i in 0..<n { (inputs.data + i * columns.count + at).update(from: source.data + i * c, count: c) }
            at += c
        }
        for h in 0..<hidden { for (j, column) in columns.enumerated() { weights.data[h * columns.count + j] = weight.data[h * width + column] } }
        let product = columns.isEmpty ? Tensor(zeros: [n, hidden]) : inputs.matmul(weights, transposeB: true)
        let bias = policy.parameters["actor.layer0.bias"].value
        // Blocks of rows, hidden-major inside a block: P[block][h][row], so that a step works on a
        // block of instructions at once with no horizontal sums (the last block is padded with zeros).
        staticPart = Tensor(zeros: [blocks * hidden * lanes])
        for i in 0..<n {
            for h in 0..<hidden {
                staticPart.data[(i / lanes) * hidden * lanes + h * lanes + i % lanes] = product.data[i * hidden + h] + bias.data[h]
            }
        }
        key = (features.semantics.storage, policy.version)
        pass = nil
    }

    /// The scores of `blocks` at each of `steps` with `progress`'s use counts and losses: step
    /// `steps.lowerBound + k`'s at `out + k · stride`, each block at its rows' places.
    private func score(_ blocks: [Int], steps: Range<Int>, _ policy: SelectionPolicy, _ n: Int, _ progress: TrainingProgress,
                       into out: UnsafeMutablePointer<Float>, stride: Int) {
        let (layout, hidden, width, lanes) = (policy.settings.layout, policy.settings.hidden, policy.settings.layout.width, IncrementalScorer.rowsPerBlock)
        let weight = policy.parameters["actor.layer0.weight"].value  // (H, width)
        // The dynamic columns' weights, per hidden unit; each step's stage folded into a shift.
        func column(_ group: StateGroup, _ offset: Int = 0) -> [Float]? {
            layout.columns(of: group).map { range in (0..<hidden).map { weight.data[$0 * width + range.lowerBound + offset] } }
        }
        let total = Float(max(progress.totalSteps, 1))
        let uses = column(.availability) ?? [Float](repeating: 0, count: hidden)
        let loss = column(.currentLoss) ?? [Float](repeating: 0, count: hidden)
        let output = Array(UnsafeBufferPointer(start: policy.parameters["actor.layer1.weight"].value.data, count: hidden))
        let outputBias = policy.parameters["actor.layer1.bias"].value.data[0]
        let (early, late) = (column(.stage), column(.stage, 1))
        let weights = steps.flatMap { step in  // per step, one buffer: shift, uses, loss, output, H each
            var shift = [Float](repeating: 0, count: hidden)
            if let early, let late {
                let (a, b) = (Float(step) / total, Float(step + 1) / total)
                for h in 0..<hidden { shift[h] = early[h] * a + late[h] * b }
            }
            return shift + uses + loss + output
        }
        // Per block of rows: z = P_i + shift + uses·a_i + loss·l_i for each hidden unit, then f, then the
        // weighted sum over hidden units — a block of instructions per vector, one hidden unit at a time;
        // the block's P read from memory for the first step and from the L1 cache for the others.
        let base = UnsafeRawPointer(staticPart.data)
        let relu = policy.settings.activation == .relu
        let lossColumn = progress.currentLoss ?? []
        progress.timesSelected.withUnsafeBufferPointer { times in
            lossColumn.withUnsafeBufferPointer { losses in
                weights.withUnsafeBufferPointer { weights in
                    IncrementalScorer.logUsesTable.withUnsafeBufferPointer { logUses in
                        Parallel.ranges(blocks.count, minimumPerPart: 4096 / lanes) { part in
                            for block in part.map({ blocks[$0] }) {
                                var a = SIMD32<Float>.zero, l = SIMD32<Float>.zero
                                for r in 0..<min(lanes, n - block * lanes) {
                                    let i = block * lanes + r
                                    if times[i] != 0 { a[r] = times[i] < logUses.count ? logUses[times[i]] : log1p(Float(times[i])) }
                                    if !losses.isEmpty { l[r] = losses[i] }
                                }
                                let row = base + block * hidden * lanes * MemoryLayout<Float>.size
                                for k in 0..<steps.count {
                                    let w = UnsafeBufferPointer(rebasing: weights[k * 4 * hidden..<(k + 1) * 4 * hidden])
                                    // Specialised by constant arguments: no per-unit test of the activation or the loss group.
                                    let sum = switch (relu, losses.isEmpty) {
                                    case (true, true): IncrementalScorer.score(row, w, hidden, a, l, outputBias, relu: true, loss: false)
                                    case (true, false): IncrementalScorer.score(row, w, hidden, a, l, outputBias, relu: true, loss: true)
                                    case (false, true): IncrementalScorer.score(row, w, hidden, a, l, outputBias, relu: false, loss: false)
                                    case (false, false): IncrementalScorer.score(row, w, hidden, a, l, outputBias, relu: false, loss: true)
                                    }
                                    UnsafeMutableRawPointer(out + k * stride + block * lanes).storeBytes(of: sum, as: SIMD32<Float>.self)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
