// MLP: a stack of fully connected layers with one activation between them. Small enough for the
// XOR demo and for the policy and value networks of the RL core; not a language model.

/// A multi-layer perceptron over a parameter store.
public struct MLP {
    /// Layer widths, input first: [2, 16, 1] is one hidden layer of 16.
    public let sizes: [Int]
    /// The activation between layers (none after the last).
    public let activation: Activation
    /// Where the weights live: `prefix.layerN.weight` (out, in) and `prefix.layerN.bias` (out).
    public let prefix: String

    /// An MLP description.
    public init(sizes: [Int], activation: Activation = .tanh, prefix: String = "mlp") {
        precondition(sizes.count >= 2 && sizes.allSatisfy { $0 > 0 }, "MLP: sizes \(sizes) need two or more positive widths")
        self.sizes = sizes
        self.activation = activation
        self.prefix = prefix
    }

    /// The parameters to allocate (weights scaled by 1/√fan-in, biases zero).
    public var parameterSpecs: [ParameterSpec] {
        (0..<sizes.count - 1).flatMap { layer -> [ParameterSpec] in
            let (fanIn, fanOut) = (sizes[layer], sizes[layer + 1])
            return [
                ParameterSpec("\(prefix).layer\(layer).weight", [fanOut, fanIn], .uniform(bound: 1 / Float(fanIn).squareRoot())),
                ParameterSpec("\(prefix).layer\(layer).bias", [fanOut], .zeros, decays: false),
            ]
        }
    }

    /// The forward pass.   x (N, sizes.first) -> (N, sizes.last)
    public func callAsFunction(_ x: Variable, parameters: ParameterStore, tape: Tape) -> Variable {
        var h = x
        for layer in 0..<sizes.count - 1 {
            let weight = parameters["\(prefix).layer\(layer).weight"]
            h = tape.linear(h, weight: weight, bias: parameters["\(prefix).layer\(layer).bias"])
            if layer < sizes.count - 2 { h = tape.activation(activation, h) }
        }
        return h
    }
}
