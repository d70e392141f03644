// Variable: a tensor that takes part in reverse-mode differentiation. It pairs a value with a
// gradient buffer of the same shape, allocated (zeroed) the first time a backward rule writes to it.
// Parameters get their gradient buffer up front, as a view into the parameter store's flat gradient.

/// A value on the tape, with the gradient of the loss with respect to it.
public final class Variable {
    /// The forward value.
    public let value: Tensor
    /// Whether a gradient flows to this variable (true for parameters and anything computed from them).
    public let requiresGrad: Bool
    private var gradStorage: Tensor?

    /// A constant input: no gradient flows to it.
    public init(_ value: Tensor) {
        self.value = value
        requiresGrad = false
    }

    /// A variable whose gradient is wanted. `grad`, when given, is the buffer the gradient accumulates
    /// into (a parameter's view of the flat gradient); otherwise one is allocated on first use.
    public init(_ value: Tensor, requiresGrad: Bool, grad: Tensor? = nil) {
        precondition(grad == nil || grad!.shape == value.shape,
                     "Variable: gradient shape \(grad!.shape) differs from value shape \(value.shape)")
        self.value = value
        self.requiresGrad = requiresGrad
        gradStorage = grad
    }

    /// The accumulated gradient, or nil when nothing has flowed into it yet.
    public var grad: Tensor? { gradStorage }

    /// The gradient buffer, allocated zeroed on first use. Backward rules add (`+=`) into it.
    public var gradBuffer: Tensor {
        if let grad = gradStorage { return grad }
        let grad = Tensor(zeros: value.shape)
        gradStorage = grad
        return grad
    }

    /// The shape of the value.
    public var shape: [Int] { value.shape }
}
