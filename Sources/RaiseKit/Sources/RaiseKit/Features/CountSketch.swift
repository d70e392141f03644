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
        precondition(dimensions > 0 && dimensions < 1 << 31, "CountSketch: dimensions must be in 1..<2^31")
        self.dimensions = dimensions
        self.seed = seed
    }

    /// Adds `scale` × the sketch of the `count` numbers at `vector` (coordinates `offset`…) to `out`
    /// (`dimensions` numbers). A vector sketched in parts, each with its offset, sums to its whole sketch.
    public func add(_ vector: UnsafePointer<Float>, count: Int, offset: Int = 0, scale: Float = 1, into out: UnsafeMutablePointer<Float>) {
        for i in 0..<count { CountSketch.accumulate(vector[i], code: code(of: offset + i), scale: scale, into: out) }
    }

    /// The buckets and signs of coordinates `offset..<offset + count`, drawn once, for sketching many vectors
    /// of that length (LESS sketches a gradient per example): 4 bytes a coordinate, where hashing costs more
    /// than the sum it serves.
    public func codes(count: Int, offset: Int = 0) -> [UInt32] {
        (0..<count).map { code(of: offset + $0) }
    }

    /// `add` with the buckets and signs read from `codes` (made for the same coordinates) rather than hashed
    /// again: the same sums, to the last bit.
    public func add(_ vector: UnsafePointer<Float>, codes: [UInt32], scale: Float = 1, into out: UnsafeMutablePointer<Float>) {
        codes.withUnsafeBufferPointer { codes in
            for (i, code) in codes.enumerated() { CountSketch.accumulate(vector[i], code: code, scale: scale, into: out) }
        }
    }

    /// Coordinate i's bucket (the low 31 bits) and sign (the top bit, set for −), from a hash of (seed, i).
    private func code(of coordinate: Int) -> UInt32 {
        let hash = RandomGenerator.splitMix(seed &+ UInt64(coordinate + 1) &* 0x9E37_79B9_7F4A_7C15)
        let bucket = UInt32(((hash >> 32) &* UInt64(dimensions)) >> 32)  // uniform in 0..<d from the high 32 bits
        return hash & 1 == 0 ? bucket : bucket | CountSketch.signBit
    }

    /// Adds ±`scale` · `value` to the bucket `code` names, with its sign: the one sum both `add`s make.
    @inline(__always)
    private static func accumulate(_ value: Float, code: UInt32, scale: Float, into out: UnsafeMutablePointer<Float>) {
        out[Int(code & bucketBits)] += (code & signBit == 0 ? scale : -scale) * value
    }

    private static let signBit: UInt32 = 1 << 31
    private static let bucketBits: UInt32 = signBit - 1

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
