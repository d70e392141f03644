// RolloutCoding: a rollout as bytes, so that the ranks of an MPI job can send each other the episodes
// they ran. Exact: integers as Int64, numbers as Float64 bit patterns, all little-endian; a decoded
// rollout updates a policy bit for bit as the original does.

/// Appends and reads back little-endian 64-bit words.
struct ByteCoder {
    private(set) var bytes: [UInt8] = []
    private var offset = 0

    init() {}
    init(reading bytes: [UInt8]) { self.bytes = bytes }

    mutating func put(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func put(_ value: Int) { put(UInt64(bitPattern: Int64(value))) }
    mutating func put(_ value: Double) { put(value.bitPattern) }
    /// A length, then the bytes.
    mutating func put(bytes more: [UInt8]) {
        put(more.count)
        bytes += more
    }

    mutating func word() throws -> UInt64 {
        guard offset + 8 <= bytes.count else {
            throw RaiseError.invalidArgument(name: "rollout", detail: "\(bytes.count) bytes end before the rollout does")
        }
        defer { offset += 8 }
        return bytes[offset..<offset + 8].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian
    }
    mutating func integer() throws -> Int { Int(Int64(bitPattern: try word())) }
    /// Bytes `put(bytes:)` wrote.
    mutating func byteRun() throws -> [UInt8] {
        let n = try integer()
        guard n >= 0, n <= bytes.count - offset else { throw RaiseError.invalidArgument(name: "rollout", detail: "bad length \(n)") }
        defer { offset += n }
        return Array(bytes[offset..<offset + n])
    }
    /// Whether every byte was read.
    var atEnd: Bool { offset == bytes.count }
    mutating func number() throws -> Double { Double(bitPattern: try word()) }
    /// A count, checked against what the remaining bytes could hold.
    mutating func count() throws -> Int {
        let n = try integer()
        guard n >= 0, n <= (bytes.count - offset) / 8 + 1 else { throw RaiseError.invalidArgument(name: "rollout", detail: "bad count \(n)") }
        return n
    }
}

extension Rollout {
    /// The rollout as bytes (`init(decoding:)` reads them back).
    public func encoded() -> [UInt8] {
        var out = ByteCoder()
        out.put(episode)
        out.put(basePerformance)
        out.put(finalPerformance)
        out.put(seconds)
        for word in [rng.state.0, rng.state.1, rng.state.2, rng.state.3] { out.put(word) }
        out.put(trajectory.poolSize)
        out.put(trajectory.totalSteps)
        out.put(trajectory.transitions.count)
        for transition in trajectory.transitions {
            out.put(transition.picks.count)
            for (picks, logs) in zip(transition.picks, transition.logProbabilities) {
                out.put(picks.count)
                for (pick, log) in zip(picks, logs) {
                    out.put(pick)
                    out.put(log)
                }
            }
            out.put(transition.value)
            out.put(transition.reward)
        }
        out.put(trajectory.lossRefreshes.count)
        for (step, losses) in trajectory.lossRefreshes {
            out.put(step)
            out.put(losses.count)
            for loss in losses { out.put(Double(loss)) }
        }
        out.put(checkPerformance == nil ? 0 : 1)
        out.put(checkPerformance ?? 0)
        return out.bytes
    }

    /// The rollout `encoded()` wrote.
    ///
    /// - Throws: `RaiseError.invalidArgument` when the bytes end early or hold an impossible count.
    public init(decoding bytes: [UInt8]) throws {
        var input = ByteCoder(reading: bytes)
        let episode = try input.integer()
        let (base, final, seconds) = (try input.number(), try input.number(), try input.number())
        let rng = RandomGenerator(state: (try input.word(), try input.word(), try input.word(), try input.word()))
        var trajectory = Trajectory(poolSize: try input.integer(), totalSteps: try input.integer())
        for _ in 0..<(try input.count()) {
            var picks = [[Int]](), logs = [[Double]]()
            for _ in 0..<(try input.count()) {
                var clusterPicks = [Int](), clusterLogs = [Double]()
                for _ in 0..<(try input.count()) {
                    clusterPicks.append(try input.integer())
                    clusterLogs.append(try input.number())
                }
                picks.append(clusterPicks)
                logs.append(clusterLogs)
            }
            trajectory.append(Transition(picks: picks, logProbabilities: logs, value: try input.number(), reward: try input.number()))
        }
        for _ in 0..<(try input.count()) {
            let step = try input.integer()
            var losses = [Float]()
            for _ in 0..<(try input.count()) { losses.append(Float(try input.number())) }
            trajectory.refreshLosses(losses, at: step)
        }
        let (hasCheck, check) = (try input.integer(), try input.number())
        self.init(episode: episode, trajectory: trajectory, basePerformance: base, finalPerformance: final, rng: rng, seconds: seconds,
                  checkPerformance: hasCheck == 1 ? check : nil)
    }
}

extension Rollout {
    /// Several rollouts as one run of bytes.
    public static func encoded(_ rollouts: [Rollout]) -> [UInt8] {
        var out = ByteCoder()
        for rollout in rollouts { out.put(bytes: rollout.encoded()) }
        return out.bytes
    }

    /// The rollouts `encoded(_:)` wrote.
    public static func decoded(_ bytes: [UInt8]) throws -> [Rollout] {
        var input = ByteCoder(reading: bytes)
        var rollouts = [Rollout]()
        while !input.atEnd { rollouts.append(try Rollout(decoding: try input.byteRun())) }
        return rollouts
    }
}
