// SGD with momentum, as PyTorch's torch.optim.SGD computes it (no dampening, no Nesterov).

/// Stochastic gradient descent with a momentum buffer.
public final class SGD {
    public var momentum: Float
    /// The velocity, one per parameter scalar.
    public let velocity: Tensor

    /// An optimizer for `parameters`; momentum 0 gives plain SGD.
    public init(parameters: ParameterStore, momentum: Float = 0.9) {
        self.momentum = momentum
        velocity = Tensor(zeros: [parameters.count])
    }

    /// One update:  u = μ u + g;  θ −= lr · u.
    public func update(_ parameters: ParameterStore, lr: Float) {
        let (theta, g, u) = (parameters.values.data, parameters.grads.data, velocity.data)
        for i in 0..<parameters.count {
            u[i] = momentum * u[i] + g[i]
            theta[i] -= lr * u[i]
        }
    }
}
