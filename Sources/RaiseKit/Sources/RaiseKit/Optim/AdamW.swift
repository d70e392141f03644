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
    private let decayMask: [Float]

    /// An optimizer for `parameters`; weight decay applies where the spec says it does.
    public init(parameters: ParameterStore, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8,
                weightDecay: Float = 0.01) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        m = Tensor(zeros: [parameters.count])
        v = Tensor(zeros: [parameters.count])
        decayMask = parameters.decayMask()
    }

    /// One update with learning rate `lr`:
    /// θ −= lr·wd·θ;  m = β1 m + (1−β1) g;  v = β2 v + (1−β2) g²;  θ −= lr · m̂ / (√v̂ + eps).
    public func update(_ parameters: ParameterStore, lr: Float) {
        step += 1
        let correction1 = 1 - pow(beta1, Float(step))
        let correction2 = 1 - pow(beta2, Float(step))
        let (theta, g, m, v) = (parameters.values.data, parameters.grads.data, m.data, v.data)
        let (beta1, beta2, eps, weightDecay) = (beta1, beta2, eps, weightDecay)
        decayMask.withUnsafeBufferPointer { decay in
            Parallel.ranges(parameters.count, minimumPerPart: 65_536) { part in
                for i in part {
                    theta[i] -= lr * weightDecay * decay[i] * theta[i]
                    m[i] = beta1 * m[i] + (1 - beta1) * g[i]
                    v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
                    let mHat = m[i] / correction1
                    let vHat = v[i] / correction2
                    theta[i] -= lr * mHat / (vHat.squareRoot() + eps)
                }
            }
        }
    }

    /// Restores the state saved in a checkpoint.
    public func restore(m: Tensor, v: Tensor, step: Int) {
        self.m.assign(m)
        self.v.assign(v)
        self.step = step
    }
}
