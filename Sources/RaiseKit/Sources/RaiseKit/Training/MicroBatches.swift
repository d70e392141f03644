// MicroBatches: how a training step cuts its batch into forward passes. A pass pads every example to
// its longest, so a random batch of 16 real instructions (30 to 256 tokens) in one pass is a third
// padding; sorted by length and cut where a cut saves more padding than a pass costs, it is about a tenth
// (on `make bench-real`'s pool, a TinyGPT 2×128 step took 28% less time). The cut changes the order of
// the sums, not what is summed: a step's loss and gradient are sums over its examples. It is not a
// sampler: which examples form the batch is the selector's business.

/// The forward passes of one training step.
public enum MicroBatches {
    /// What one more pass costs, in padded tokens: the fixed work of a pass (its regions' start-up, its
    /// smaller products' lower speed) measured on TinyGPT 2×128 at one thread; only a cut that saves
    /// more padding than this is made.
    public static let passCost = 64

    /// The positions of examples of token counts `lengths` grouped into passes of at most `maxRows`,
    /// each pass a run of the examples sorted by length (ties in input order), cut to minimise the padded
    /// tokens (rows × longest, summed over passes) plus `passCost` per pass.
    public static func split(lengths: [Int], maxRows: Int) -> [[Int]] {
        precondition(maxRows > 0, "MicroBatches: a pass holds at least one example")
        let order = lengths.indices.sorted { (lengths[$0], $0) < (lengths[$1], $1) }
        // cost[i]: the least cost of the i shortest examples; cut[i]: where their last pass starts.
        var cost = [Int](repeating: 0, count: order.count + 1), cut = cost
        for end in stride(from: 1, through: order.count, by: 1) {
            cost[end] = Int.max
            let longest = lengths[order[end - 1]]
            for start in max(0, end - maxRows)..<end {
                let total = cost[start] + (end - start) * longest + passCost
                if total < cost[end] { (cost[end], cut[end]) = (total, start) }
            }
        }
        var passes = [[Int]](), end = order.count
        while end > 0 {
            passes.append(Array(order[cut[end]..<end]))
            end = cut[end]
        }
        return passes.reversed()
    }
}
