// Activations: GELU (tanh approximation, as GPT-2; exact erf form, as BERT), SiLU, ReLU and tanh, each forward and backward
// side by side. Elementwise over any shape; backward adds into dx.
import Foundation

/// An elementwise nonlinearity and its kernels.   x (any shape) -> out (same shape)
public enum Activation: String, CaseIterable, Sendable {
    case gelu, geluErf, silu, relu, tanh

    /// GELU's tanh form: tanh(geluScale · (x + geluCubic · x³)); the forward kernel (`FastMath.gelu`) and the backward share them.
    static let geluScale = Float((2.0 / Double.pi).squareRoot())
    static let geluCubic: Float = 0.044715
    private static let inverseSquareRoot2 = Float(1 / 2.0.squareRoot())
    private static let inverseSquareRoot2Pi = Float(1 / (2 * Double.pi).squareRoot())

    /// out = f(x), elementwise, in parallel parts. GELU keeps tanh(inner) in `cache`, when given, so
    /// that its backward pass does not compute it again.
    func forward(_ out: UnsafeMutablePointer<Float>, _ cache: UnsafeMutablePointer<Float>?, _ x: UnsafePointer<Float>, count: Int) {
        Parallel.ranges(count, minimumPerPart: Parallel.elementsPerPart) { part in
            let k = part.lowerBound
            forwardPart(out + k, cache.map { $0 + k }, x + k, count: part.count)
        }
    }

    /// dx += dout · f'(x), elementwise, in parallel parts; `cache` is what the forward pass kept.
    func backward(_ dx: UnsafeMutablePointer<Float>, _ dOut: UnsafePointer<Float>, _ cache: UnsafePointer<Float>?,
                  _ x: UnsafePointer<Float>, _ out: UnsafePointer<Float>, count: Int) {
        Parallel.ranges(count, minimumPerPart: Parallel.elementsPerPart) { part in
            let k = part.lowerBound
            backwardPart(dx + k, dOut + k, cache.map { $0 + k }, x + k, out + k, count: part.count)
        }
    }

    private func forwardPart(_ out: UnsafeMutablePointer<Float>, _ cache: UnsafeMutablePointer<Float>?, _ x: UnsafePointer<Float>,
                             count: Int) {
        switch self {
        case .gelu:  // 0.5 x (1 + t), t = tanh(√(2/π) (x + 0.044715 x³))
            FastMath.gelu(out, cache, x, count: count)
        case .geluErf:  // x Φ(x) = 0.5 x (1 + erf(x / √2))
            for i in 0..<count { out[i] = 0.5 * x[i] * (1 + erf(x[i] * Activation.inverseSquareRoot2)) }
        case .silu:  // x σ(x)
            FastMath.silu(out, x, count: count)
        case .relu:
            for i in 0..<count { out[i] = max(x[i], 0) }
        case .tanh:
            FastMath.tanh(out, x, count: count)
        }
    }

    private func backwardPart(_ dx: UnsafeMutablePointer<Float>, _ dOut: UnsafePointer<Float>, _ cache: UnsafePointer<Float>?,
                              _ x: UnsafePointer<Float>, _ out: UnsafePointer<Float>, count: Int) {
        switch self {
        case .gelu:  // t = tanh(inner), kept by the forward pass: d/dx = 0.5 (1 + t) + 0.5 x (1 − t²) · inner'
            guard let t = cache else { preconditionFailure("GELU backward needs the tanh its forward pass kept") }
            for i in 0..<count {
                let v = x[i]
                let dInner = Activation.geluScale * (1 + 3 * Activation.geluCubic * v * v)
                dx[i] += dOut[i] * (0.5 * (1 + t[i]) + 0.5 * v * (1 - t[i] * t[i]) * dInner)
            }
        case .geluErf:  // Φ(x) + x φ(x), φ(x) = e^(−x²/2) / √(2π)
            for i in 0..<count {
                let v = x[i]
                dx[i] += dOut[i] * (0.5 * (1 + erf(v * Activation.inverseSquareRoot2)) + v * exp(-0.5 * v * v) * Activation.inverseSquareRoot2Pi)
            }
        case .silu:  // σ(x) (1 + x (1 − σ(x)))
            FastMath.siluBackward(dx, dOut, x, count: count)
        case .relu:
            for i in 0..<count where x[i] > 0 { dx[i] += dOut[i] }
        case .tanh:  // 1 − tanh²
            for i in 0..<count { dx[i] += dOut[i] * (1 - out[i] * out[i]) }
        }
    }
}

extension Tape {
    /// Differentiable GELU (tanh approximation).
    public func gelu(_ x: Variable) -> Variable { activation(.gelu, x) }
    /// Differentiable GELU in its exact form, x·Φ(x) (BERT's).
    public func geluErf(_ x: Variable) -> Variable { activation(.geluErf, x) }
    /// Differentiable SiLU, x·σ(x).
    public func silu(_ x: Variable) -> Variable { activation(.silu, x) }
    /// Differentiable ReLU.
    public func relu(_ x: Variable) -> Variable { activation(.relu, x) }
    /// Differentiable tanh.
    public func tanh(_ x: Variable) -> Variable { activation(.tanh, x) }

    /// Differentiable `kind` applied elementwise.
    public func activation(_ kind: Activation, _ x: Variable) -> Variable {
        let out = output(Tensor(uninitialized: x.shape), from: [x])
        let cache = kind == .gelu && out.requiresGrad ? Tensor(uninitialized: x.shape) : nil
        kind.forward(out.value.data, cache?.data, x.value.data, count: x.value.count)
        record(kind.rawValue, output: out) { dOut in
            kind.backward(x.gradBuffer.data, dOut.data, cache.map { UnsafePointer($0.data) }, x.value.data, out.value.data,
                          count: x.value.count)
        }
        return out
    }
}
