// selector.random: a uniformly random subset of the pool, chosen once, fixed by the seed. The
// baseline every other selector must beat.
import RaiseKit

/// Chooses `count` distinct pool examples uniformly at random.
final class RandomSelector: InstructionSelector {
    static let factory = PluginFactory(
        id: "selector.random", kind: .selector, version: "1.0.0",
        summary: "a uniformly random subset, chosen once (seeded)",
        parameters: [PluginParameter("stream", .integer(0...1_000_000), default: "0",
                                     "added to the run's seed, to draw another subset with everything else fixed")],
        create: { RandomSelector(seed: $0.seed &+ UInt64($0.integer("stream"))) })

    let mode = SelectionMode.once
    private let seed: UInt64

    init(seed: UInt64) { self.seed = seed }

    /// A partial Fisher–Yates shuffle of 0..<poolSize: the first `count` positions.
    func select(_ request: SelectionRequest) throws -> [Int] {
        guard request.count <= request.poolSize else {
            throw RaiseError.invalidArgument(name: "selector.random",
                                             detail: "cannot choose \(request.count) of a pool of \(request.poolSize)")
        }
        var rng = RandomGenerator(seed: seed)
        return rng.sample(request.count, of: request.poolSize)
    }
}
