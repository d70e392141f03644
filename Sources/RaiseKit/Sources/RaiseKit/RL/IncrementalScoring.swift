// IncrementalScoring: the actor's scores of a whole pool at every step, without redoing what does not
// change. Step to step, only the stage (the same for every row), the use counts and the current loss
// move; the difficulty and semantic columns of each instruction do not. So the first layer's product
// with those static columns, plus its bias, is computed once per pool and policy weights,
//   P = X_static · W_staticᵀ + b                                       (N, H)
// and each step adds the dynamic columns' share and finishes the network:
//   z_i = P_i + W_stage·stage + W_avail·log(1 + uses_i) + W_loss·loss_i,  score_i = w₂·f(z_i) + b₂
// — O(N·H) per step instead of O(N·width·H). The actor is SelectionPolicy's MLP with one hidden layer
// (f = ReLU or tanh); the result equals `scores(fusedState(...))` up to float rounding.
import Foundation

/// A per-pool cache of the actor's static first-layer product.
final class IncrementalScorer {
    /// The pool (held, so that its memory cannot be reused by another) and the weights' version cached.
    private var key: (pool: TensorStorage, version: Int)?
    private var staticPart = Tensor(zeros: [0])

    /// The actor's scores of every pool instruction at `progress`.   -> (N)
    func scores(_ policy: SelectionPolicy, _ features: PoolFeatures, _ progress: TrainingProgress) -> [Float] {
        let layout = policy.settings.layout
        let (n, hidden, width) = (features.count, policy.settings.hidden, layout.width)
        let weight = policy.parameters["actor.layer0.weight"].value  // (H, width)
        let dynamic: Set<StateGroup> = [.stage, .availability, .currentLoss]
        let lanes = (hidden + 7) / 8
        if key?.pool !== features.semantics.storage || key?.version != policy.version {
            let staticGroups = layout.groups.filter { !dynamic.contains($0) }
            let columns = staticGroups.flatMap { Array(layout.columns(of: $0)!) }
            let inputs = Tensor(zeros: [n, columns.count]), weights = Tensor(zeros: [hidden, columns.count])
            var at = 0
            for group in staticGroups {
                let source = group == .difficulty ? features.difficulty! : features.semantics
                let c = source.shape[1]
                for i in 0..<n { (inputs.data + i * columns.count + at).update(from: source.data + i * c, count: c) }
                at += c
            }
            for h in 0..<hidden { for (j, column) in columns.enumerated() { weights.data[h * columns.count + j] = weight.data[h * width + column] } }
            let product = columns.isEmpty ? Tensor(zeros: [n, hidden]) : inputs.matmul(weights, transposeB: true)
            let bias = policy.parameters["actor.layer0.bias"].value
            staticPart = Tensor(zeros: [n, lanes * 8])  // rows padded to whole SIMD8 lanes
            for i in 0..<n { for h in 0..<hidden { staticPart.data[i * lanes * 8 + h] = product.data[i * hidden + h] + bias.data[h] } }
            key = (features.semantics.storage, policy.version)
        }

        // The dynamic columns' weights, per hidden unit.
        func column(_ group: StateGroup, _ offset: Int = 0) -> [Float]? {
            layout.columns(of: group).map { range in (0..<hidden).map { weight.data[$0 * width + range.lowerBound + offset] } }
        }
        let total = Float(max(progress.totalSteps, 1))
        var shift = [Float](repeating: 0, count: hidden)
        if let early = column(.stage), let late = column(.stage, 1) {
            let (a, b) = (Float(progress.step) / total, Float(progress.step + 1) / total)
            for h in 0..<hidden { shift[h] = early[h] * a + late[h] * b }
        }
        let uses = column(.availability) ?? [Float](repeating: 0, count: hidden)
        let loss = column(.currentLoss) ?? [Float](repeating: 0, count: hidden)
        let output = Array(UnsafeBufferPointer(start: policy.parameters["actor.layer1.weight"].value.data, count: hidden))
        let outputBias = policy.parameters["actor.layer1.bias"].value.data[0]
        // Per row: z = P_i + shift + uses·a + loss·l, then f, then the dot with the output weights — eight
        // hidden units at a time (rows of P are padded to whole lanes with zeros, which contribute nothing).
        func packed(_ values: [Float]) -> [SIMD8<Float>] {
            (0..<lanes).map { k in SIMD8<Float>((0..<8).map { k * 8 + $0 < hidden ? values[k * 8 + $0] : 0 }) }
        }
        let (shiftLanes, useLanes, lossLanes, outputLanes) = (packed(shift), packed(uses), packed(loss), packed(output))
        let base = UnsafeRawPointer(staticPart.data)
        let relu = policy.settings.activation == .relu
        var scores = [Float](repeating: 0, count: n)
        let lossColumn = progress.currentLoss ?? []
        let weights = shiftLanes + useLanes + lossLanes + outputLanes  // one buffer: shift, uses, loss, output
        scores.withUnsafeMutableBufferPointer { scores in
            progress.timesSelected.withUnsafeBufferPointer { times in
                lossColumn.withUnsafeBufferPointer { losses in
                    weights.withUnsafeBufferPointer { w in
                        Parallel.ranges(n, minimumPerPart: 4096) { rows in
                            for i in rows {
                                let a = times[i] == 0 ? 0 : log1p(Float(times[i])), l = losses.isEmpty ? 0 : losses[i]
                                var sum = SIMD8<Float>.zero
                                for k in 0..<lanes {
                                    let p = base.loadUnaligned(fromByteOffset: (i * lanes + k) * 32, as: SIMD8<Float>.self)
                                    let z = p + w[k] + w[lanes + k] * a + w[2 * lanes + k] * l
                                    let h = relu ? z.replacing(with: SIMD8<Float>.zero, where: z .< SIMD8<Float>.zero) : FastMath.tanh(z)
                                    sum += w[3 * lanes + k] * h
                                }
                                scores[i] = sum.sum() + outputBias
                            }
                        }
                    }
                }
            }
        }
        return scores
    }
}
