// CountSketch: a seeded random projection of very long vectors (a model's gradient: P = every parameter)
// to `dimensions` numbers, without storing a projection matrix — coordinate i is added, with a random
// sign, to one random bucket, both drawn from a hash of (seed, i). It is the sparse Johnson–Lindenstrauss
// map with one non-zero per column (Charikar et al. 2002; Weinberger et al. 2009), O(P) per vector.
//
// The bound (stated here, checked by CountSketchTests). For any u, v ∈ R^P, with S the sketch:
//   E⟨Su, Sv⟩ = ⟨u, v⟩   and   Var⟨Su, Sv⟩ = (‖u‖²‖v‖² + ⟨u,v⟩² − 2 Σᵢ uᵢ²vᵢ²) / d  ≤  2 ‖u‖²‖v‖² / d,
// so by Chebyshev  P(|⟨Su, Sv⟩ − ⟨u, v⟩| ≥ ε ‖u‖‖v‖) ≤ 2 / (d ε²).
// At d = 8192 the error of a cosine similarity has a standard deviation of at most 0.016.

/// A seeded count sketch R^P → R^d.
public struct CountSketch: Sendable {
    /// d: the length of a sketch.
    public let dimensions: Int
    /// What the buckets and signs are drawn from.
    public let seed: UInt64

    /// A sketch to `dimensions` numbers, its buckets and signs fixed by `seed`.
    public init(dimensions: Int, seed: UInt64) {
        precondition(dimensions > 0, "CountSketch: dimensions must be positive")
        self.dimensions = dimensions
        self.seed = seed
    }

    /// Adds `scale` × the sketch of the `count` numbers at `vector` (coordinates `offset`…) to `out`
    /// (`dimensions` numbers). A vector sketched in parts, each with its offset, sums to its whole sketch.
    public func add(_ vector: UnsafePointer<Float>, count: Int, offset: Int = 0, scale: Float = 1, into out: UnsafeMutablePointer<Float>) {
        let d = UInt64(dimensions)
        for i in 0..<count {
            let hash = RandomGenerator.splitMix(seed &+ UInt64(offset + i + 1) &* 0x9E37_79B9_7F4A_7C15)
            let bucket = Int(((hash >> 32) &* d) >> 32)  // uniform in 0..<d from the high 32 bits
            let sign: Float = hash & 1 == 0 ? scale : -scale
            out[bucket] += sign * vector[i]
        }
    }

    /// The sketch of `vector`.   (P) -> (d)
    public func project(_ vector: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: dimensions)
        vector.withUnsafeBufferPointer { v in out.withUnsafeMutableBufferPointer { add(v.baseAddress!, count: v.count, into: $0.baseAddress!) } }
        return out
    }

    /// The Chebyshev bound above: the probability that an inner product of two unit vectors is off by ε or more.
    public static func failureBound(dimensions: Int, error: Double) -> Double {
        min(1, 2 / (Double(dimensions) * error * error))
    }
}
