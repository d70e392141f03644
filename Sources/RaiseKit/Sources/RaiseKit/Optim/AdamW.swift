// AdamW: Adam with decoupled weight decay (Loshchilov & Hutter), over a parameter store's flat
// buffers, as PyTorch's torch.optim.AdamW computes it.
import Foundation

/// The AdamW optimizer and its state (first and second moments, step count).
public final class AdamW {
    public var beta1: Float
    public var beta2: Float
    public var eps: Float
    public var weightDecay: Float
    /// First moments, one per parameter scalar.
    public let m: Tensor
    /// Second moments, one per parameter scalar.
    public let v: Tensor
    /// Steps taken so far (bias correction uses it).
    public private(set) var step = 0
    /// The flat ranges of the parameters, each with whether weight decay applies to it.
    private let decayRanges: [(range: Range<Int>, decays: Bool)]

    /// An optimizer for `parameters`; weight decay applies where the spec says it does.
    public init(parameters: ParameterStore, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8,
                weightDecay: Float = 0.01) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        m = Tensor(zeros: [parameters.count])
        v = Tensor(zeros: [parameters.count])
        decayRanges = zip(parameters.specs, parameters.offsets).map { spec, offset in
            (offset..<offset + Tensor.elementCount(spec.shape), spec.decays)
        }
    }

    /// One update with learning rate `lr` from the gradient g = (stored gradient · `gradientScale`) · `clipFactor`
    /// (the trainer's 1/tokens and clipping, applied here rather than in passes of their own over the gradient):
    /// θ −= lr·wd·θ;  m = β1 m + (1−β1) g;  v = β2 v + (1−β2) g²;  θ −= lr · m̂ / (√v̂ + eps).
    public func update(_ parameters: ParameterStore, lr: Float, gradientScale: Float = 1, clipFactor: Float = 1) {
        step += 1
        let correction1 = 1 - pow(beta1, Float(step))
        let correction2 = 1 - pow(beta2, Float(step))
        let (theta, g, m, v) = (parameters.values.data, parameters.grads.data, m.data, v.data)
        let (beta1, beta2, eps) = (beta1, beta2, eps)
        let ranges = decayRanges.map { ($0.range, $0.decays ? weightDecay : 0) }
        Parallel.ranges(parameters.count, minimumPerPart: 65_536) { part in
            for (range, weightDecay) in ranges where range.overlaps(part) {
                for i in max(range.lowerBound, part.lowerBound)..<min(range.upperBound, part.upperBound) {
                    theta[i] -= lr * weightDecay * theta[i]
                    (m[i], v[i]) = AdamW.moments(m[i], v[i], g[i] * gradientScale * clipFactor, beta1, beta2)
                    theta[i] -= AdamW.delta(lr, m[i], v[i], correction1, correction2, eps)
                }
            }
        }
    }

    /// The direction m̂ / (√v̂ + eps) the next update would step along for the gradient `scale` · g —
    /// the moments advanced by it, bias-corrected at the next step — without changing the optimizer
    /// (LESS's Adam-preconditioned gradient). Overwrites `gradient` (one number per parameter) with it.
    public func nextDirection(_ gradient: UnsafeMutablePointer<Float>, scale: Float = 1) {
        let correction1 = 1 - pow(beta1, Float(step + 1))
        let correction2 = 1 - pow(beta2, Float(step + 1))
        let (m, v) = (m.data, v.data)
        let (beta1, beta2, eps) = (beta1, beta2, eps)
        Parallel.ranges(self.m.count, minimumPerPart: 65_536) { part in
            for i in part {
                let (mi, vi) = AdamW.moments(m[i], v[i], gradient[i] * scale, beta1, beta2)
                gradient[i] = AdamW.delta(1, mi, vi, correction1, correction2, eps)
            }
        }
    }

    /// The moments after gradient g: m = β1 m + (1−β1) g, v = β2 v + (1−β2) g².
    @inline(__always)
    private static func moments(_ m: Float, _ v: Float, _ g: Float, _ beta1: Float, _ beta2: Float) -> (Float, Float) {
        (beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g * g)
    }

    /// The step of moments m, v with bias corrections c1, c2 at rate lr: lr · m̂ / (√v̂ + eps).
    @inline(__always)
    private static func delta(_ lr: Float, _ m: Float, _ v: Float, _ correction1: Float, _ correction2: Float, _ eps: Float) -> Float {
        lr * (m / correction1) / ((v / correction2).squareRoot() + eps)
    }

    /// Restores the state saved in a checkpoint.
    public func restore(m: Tensor, v: Tensor, step: Int) {
        self.m.assign(m)
        self.v.assign(v)
        self.step = step
    }
}
