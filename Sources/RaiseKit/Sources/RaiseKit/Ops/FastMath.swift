// FastMath: exp, tanh, GELU and SiLU over whole buffers, eight lanes at a time, for the activations (GELU's
// tanh dominated training time through libm's scalar tanhf; SiLU's expf took a twentieth of SmolLM2's
// scoring), the sums, dot products and maxima of the row-wise kernels and the extrema of a pool's scores
// (the compiler keeps float reductions in order, one lane at a time), and the logarithms of the Gumbel draws.
// exp follows Cephes' expf: n = round(x·log2 e), r = x − n·ln 2 (in two parts), a degree-5
// polynomial, then a multiply by 2ⁿ built from its bits.
// Rounding uses the 1.5·2²³ trick: adding it leaves n in the low mantissa bits, with no conversion.
// Accurate to a few ulp over the float range; not a general math library.

/// Vectorised elementary functions.
enum FastMath {
    typealias Lanes = SIMD8<Float>

    /// eˣ lane by lane (x clamped to [−87.3, 88.7]).
    @inline(__always)
    static func exp(_ x: Lanes) -> Lanes {
        let low = Lanes(repeating: -87.3), high = Lanes(repeating: 88.7)
        let clamped = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
        let magic = Lanes(repeating: 12_582_912)  // 1.5 · 2²³
        let shifted = clamped * 1.442_695_04 + magic
        let n = shifted - magic
        var r = clamped - n * 0.693_359_375
        r = r - n * -2.121_944_4e-4
        var p = Lanes(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_6e-2
        p = p * r + 0.166_666_66
        p = p * r + 0.5
        p = p * r * r + r + 1
        let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
        return p * unsafeBitCast((integer &+ 127) &<< 23, to: Lanes.self)
    }

    /// tanh(x) = sign(x) · (1 − e) / (1 + e), e = e^(−2|x|), lane by lane.
    @inline(__always)
    static func tanh(_ x: Lanes) -> Lanes {
        let magnitude = x.replacing(with: -x, where: x .< 0)
        let e = exp(-2 * magnitude)
        let t = (1 - e) / (1 + e)
        return t.replacing(with: -t, where: x .< 0)
    }

    /// ln x lane by lane, for positive normal x (Cephes' logf): x = m·2ᵉ with m in [√½, √2), then a
    /// degree-9 polynomial in m − 1. m below √½ is doubled in its exponent bits, and e lowered, in integer
    /// lanes: done with float selects, the compiler turned the polynomial into scalar code (3× slower).
    @inline(__always)
    static func log(_ x: Lanes) -> Lanes {
        let bits = unsafeBitCast(x, to: SIMD8<Int32>.self)
        let half = (bits & 0x007f_ffff) | 0x3f00_0000  // m in [0.5, 1)
        let small = unsafeBitCast(half, to: Lanes.self) .< 0.707_106_781
        let e = Lanes(((bits &>> 23) & 0xff) &- 126 &+ SIMD8<Int32>.zero.replacing(with: -1, where: small))
        let m = unsafeBitCast(half &+ SIMD8<Int32>.zero.replacing(with: 0x0080_0000, where: small), to: Lanes.self) - 1
        let z = m * m
        var p = Lanes(repeating: 7.037_683_629_2e-2)
        p = p * m - 1.151_461_031_0e-1
        p = p * m + 1.167_699_874_0e-1
        p = p * m - 1.242_014_084_6e-1
        p = p * m + 1.424_932_278_7e-1
        p = p * m - 1.666_805_766_5e-1
        p = p * m + 2.000_071_476_5e-1
        p = p * m - 2.499_999_399_3e-1
        p = p * m + 3.333_333_117_4e-1
        var y = m * z * p
        y = y + e * -2.121_944_4e-4 - 0.5 * z
        return m + y + e * 0.693_359_375
    }

    /// out[i] = tanh(x[i]) for `count` elements.
    static func tanh(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        apply(out, x, count: count) { tanh($0) }
    }

    /// GPT-2's GELU, out[i] = 0.5 x (1 + t), t = tanh(√(2/π) (x + 0.044715 x³)), in one pass; t is kept
    /// in `kept` when given (the backward pass reads it).
    static func gelu(_ out: UnsafeMutablePointer<Float>, _ kept: UnsafeMutablePointer<Float>?, _ x: UnsafePointer<Float>, count: Int) {
        let scale = Lanes(repeating: Activation.geluScale), cubic = Lanes(repeating: Activation.geluCubic)
        @inline(__always) func lanes(_ v: Lanes) -> (y: Lanes, t: Lanes) {
            let t = tanh(scale * (v + cubic * v * v * v))
            return (0.5 * v * (1 + t), t)
        }
        var i = 0
        while i + 8 <= count {  // whole lanes, no branch on the count
            let (y, t) = lanes(UnsafeRawPointer(x + i).loadUnaligned(as: Lanes.self))
            UnsafeMutableRawPointer(out + i).storeBytes(of: y, as: Lanes.self)
            if let kept { UnsafeMutableRawPointer(kept + i).storeBytes(of: t, as: Lanes.self) }
            i += 8
        }
        if i < count {
            var v = Lanes(repeating: 0)
            for k in 0..<count - i { v[k] = x[i + k] }
            let (y, t) = lanes(v)
            for k in 0..<count - i { out[i + k] = y[k]; kept?[i + k] = t[k] }
        }
    }

    /// SiLU, out[i] = x[i] · σ(x[i]) = x / (1 + e^(−x)).
    static func silu(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        apply(out, x, count: count) { $0 / (1 + exp(-$0)) }
    }

    /// SiLU's backward, dx[i] += dOut[i] · σ(x) (1 + x (1 − σ(x))).
    static func siluBackward(_ dx: UnsafeMutablePointer<Float>, _ dOut: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        @inline(__always) func lanes(_ v: Lanes, _ g: Lanes, _ d: Lanes) -> Lanes {
            let s = 1 / (1 + exp(-v))
            return d + g * s * (1 + v * (1 - s))
        }
        var i = 0
        while i + 8 <= count {  // whole lanes, no branch on the count
            let sum = lanes(UnsafeRawPointer(x + i).loadUnaligned(as: Lanes.self), UnsafeRawPointer(dOut + i).loadUnaligned(as: Lanes.self),
                            UnsafeRawPointer(dx + i).loadUnaligned(as: Lanes.self))
            UnsafeMutableRawPointer(dx + i).storeBytes(of: sum, as: Lanes.self)
            i += 8
        }
        if i < count {
            var (v, g, d) = (Lanes(repeating: 0), Lanes(repeating: 0), Lanes(repeating: 0))
            for k in 0..<count - i { (v[k], g[k], d[k]) = (x[i + k], dOut[i + k], dx[i + k]) }
            let sum = lanes(v, g, d)
            for k in 0..<count - i { dx[i + k] = sum[k] }
        }
    }

    /// out[i] = exp(x[i] − shift) for `count` elements; returns their sum (softmax's denominator).
    @discardableResult
    static func exp(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int, shift: Float) -> Float {
        var sum = Lanes(repeating: 0)
        let shiftLanes = Lanes(repeating: shift)
        var i = 0
        while i + 8 <= count {
            let e = exp(UnsafeRawPointer(x + i).loadUnaligned(as: Lanes.self) - shiftLanes)
            UnsafeMutableRawPointer(out + i).storeBytes(of: e, as: Lanes.self)
            sum += e
            i += 8
        }
        var total = sum.sum()
        if i < count {  // the tail in one vector; its exponentials added one by one, in order
            var tail = Lanes(repeating: 0)
            for k in 0..<count - i { tail[k] = x[i + k] - shift }
            let e = exp(tail)
            for k in 0..<count - i {
                out[i + k] = e[k]
                total += e[k]
            }
        }
        return total
    }

    /// Σ x[i], eight partial sums at a time (a fixed order: the same inputs give the same bits).
    static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        reduce(x, x, count: count, identity: 0, +) { a, _ in a }.sum()
    }

    /// Σ x[i] · y[i], eight partial sums at a time.
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        reduce(x, y, count: count, identity: 0, +, *).sum()
    }

    /// max x[i] (−∞ for no elements).
    static func maximum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        reduce(x, x, count: count, identity: -.infinity, { $0.replacing(with: $1, where: $1 .> $0) }) { a, _ in a }.max()
    }

    /// min x[i] (+∞ for no elements).
    static func minimum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        reduce(x, x, count: count, identity: .infinity, { $0.replacing(with: $1, where: $1 .< $0) }) { a, _ in a }.min()
    }

    /// Folds f(x[i], y[i]) into eight lanes with `combine`. The tail is padded with `identity`, which
    /// must leave `combine ∘ f` unchanged (0 for sums and dot products, −∞ for maxima, +∞ for minima).
    @inline(__always)
    private static func reduce(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int, identity: Float,
                               _ combine: (Lanes, Lanes) -> Lanes, _ f: (Lanes, Lanes) -> Lanes) -> Lanes {
        var total = Lanes(repeating: identity)
        var i = 0
        while i + 8 <= count {
            let (a, b) = (UnsafeRawPointer(x + i).loadUnaligned(as: Lanes.self), UnsafeRawPointer(y + i).loadUnaligned(as: Lanes.self))
            total = combine(total, f(a, b))
            i += 8
        }
        if i < count {
            var (a, b) = (Lanes(repeating: identity), Lanes(repeating: identity))
            for k in 0..<count - i { (a[k], b[k]) = (x[i + k], y[i + k]) }
            total = combine(total, f(a, b))
        }
        return total
    }

    /// out[i] = f(x[i]) eight at a time, the tail padded with zeros.
    @inline(__always)
    private static func apply(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int, _ f: (Lanes) -> Lanes) {
        var i = 0
        while i + 8 <= count {
            UnsafeMutableRawPointer(out + i).storeBytes(of: f(UnsafeRawPointer(x + i).loadUnaligned(as: Lanes.self)), as: Lanes.self)
            i += 8
        }
        if i < count {
            var tail = Lanes(repeating: 0)
            for k in 0..<count - i { tail[k] = x[i + k] }
            let result = f(tail)
            for k in 0..<count - i { out[i + k] = result[k] }
        }
    }
}
