// RandomGenerator: the one seeded random source of RaiseKit (xoshiro256**, seeded by SplitMix64).
// Every initialisation, shuffle, dropout mask and sample draws from it, so a seed fixes a run.
// Not cryptographic.
import Foundation

/// A deterministic, seedable generator whose whole state can be saved and restored.
public struct RandomGenerator: RandomNumberGenerator, Sendable, Equatable {
    /// The four 64-bit words of xoshiro256** state; save them to resume the exact stream.
    public private(set) var state: (UInt64, UInt64, UInt64, UInt64)
    private var cachedNormal: Float?

    /// A generator whose stream is fixed by `seed`.
    public init(seed: UInt64) {
        var counter = seed
        func next() -> UInt64 {
            counter &+= 0x9E37_79B9_7F4A_7C15
            return RandomGenerator.splitMix(counter)
        }
        state = (next(), next(), next(), next())
        cachedNormal = nil
    }

    /// SplitMix64's finaliser: a 64-bit hash whose every output bit depends on every input bit (a seed's
    /// expansion here; CountSketch's buckets and signs).
    public static func splitMix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A generator that continues a saved stream (see `state`).
    public init(state: (UInt64, UInt64, UInt64, UInt64)) {
        precondition(state != (0, 0, 0, 0), "RandomGenerator: the all-zero state is invalid")
        self.state = state
        cachedNormal = nil
    }

    public static func == (lhs: RandomGenerator, rhs: RandomGenerator) -> Bool {
        lhs.state == rhs.state && lhs.cachedNormal == rhs.cachedNormal
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotateLeft(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotateLeft(state.3, 45)
        return result
    }

    /// A uniform Float in [0, 1) with 24 random bits.
    public mutating func nextFloat() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// A standard normal sample (Box–Muller; the second value of each pair is kept for the next call).
    public mutating func nextNormal() -> Float {
        if let cached = cachedNormal {
            cachedNormal = nil
            return cached
        }
        var u1 = Double(next() >> 11) * 0x1p-53
        if u1 < Double.leastNormalMagnitude { u1 = Double.leastNormalMagnitude }
        let u2 = Double(next() >> 11) * 0x1p-53
        let radius = (-2 * log(u1)).squareRoot()
        cachedNormal = Float(radius * sin(2 * .pi * u2))
        return Float(radius * cos(2 * .pi * u2))
    }

    /// A uniform integer in `0..<bound`, without modulo bias.
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "RandomGenerator.nextInt: bound must be positive, got \(bound)")
        return Int(next(upperBound: UInt64(bound)))
    }

    /// Shuffles `array` in place (Fisher–Yates from the end), the same way for the same stream.
    public mutating func shuffle<T>(_ array: inout [T]) {
        for i in stride(from: array.count - 1, to: 0, by: -1) { array.swapAt(i, nextInt(below: i + 1)) }
    }

    /// `k` distinct indices of `0..<n` drawn uniformly, in draw order (a partial Fisher–Yates shuffle).
    public mutating func sample(_ k: Int, of n: Int) -> [Int] {
        precondition(k >= 0 && k <= n, "RandomGenerator.sample: cannot draw \(k) of \(n)")
        var indices = Array(0..<n)
        for i in 0..<k { indices.swapAt(i, i + nextInt(below: n - i)) }
        return Array(indices[..<k])
    }

    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
