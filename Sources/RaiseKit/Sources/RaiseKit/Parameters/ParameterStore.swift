// ParameterStore: every trainable parameter of a model in ONE flat buffer, with named views. The
// optimizer, checkpoints, in-memory snapshots (RL episode resets) and gradient all-reduce each work
// on one contiguous array; layers see ordinary named tensors.

/// How a parameter is initialised.
public enum ParameterInit: Equatable, Sendable {
    case zeros
    case ones
    /// Normal samples with mean 0 and this standard deviation.
    case normal(std: Float)
    /// Uniform samples in [−bound, bound).
    case uniform(bound: Float)
}

/// A parameter's name, shape, initialisation and whether weight decay applies to it.
public struct ParameterSpec: Equatable, Sendable {
    public let name: String
    public let shape: [Int]
    public let initializer: ParameterInit
    /// False for biases and norm gains, which AdamW conventionally leaves undecayed.
    public let decays: Bool

    /// A parameter description.
    public init(_ name: String, _ shape: [Int], _ initializer: ParameterInit, decays: Bool = true) {
        self.name = name
        self.shape = shape
        self.initializer = initializer
        self.decays = decays
    }
}

/// The parameters of one model: flat values and gradients, and a named view into each.
public final class ParameterStore {
    /// The parameter descriptions, in storage order.
    public let specs: [ParameterSpec]
    /// Every parameter value, concatenated in `specs` order.
    public let values: Tensor
    /// Every gradient, laid out as `values`; empty for a frozen store.
    public let grads: Tensor
    /// Where each parameter starts in the flat buffers.
    public let offsets: [Int]
    private let indexByName: [String: Int]
    private let variables: [Variable]

    /// Allocates the flat buffers for `specs` and initialises them from `rng`. A store that is not
    /// `trainable` (a base model under low-rank adapters) has no gradient buffer and its views take none.
    public init(_ specs: [ParameterSpec], rng: inout RandomGenerator, trainable: Bool = true) {
        var seen = Set<String>()
        for spec in specs { precondition(seen.insert(spec.name).inserted, "ParameterStore: duplicate name '\(spec.name)'") }
        var offsets = [Int](), total = 0
        for spec in specs {
            offsets.append(total)
            total += Tensor.elementCount(spec.shape)
        }
        self.specs = specs
        self.offsets = offsets
        values = Tensor(zeros: [total])
        grads = Tensor(zeros: [trainable ? total : 0])
        indexByName = Dictionary(uniqueKeysWithValues: specs.enumerated().map { ($1.name, $0) })
        let (values, grads) = (values, grads)
        variables = zip(specs, offsets).map { spec, offset in
            let value = Tensor(storage: values.storage, offset: offset, shape: spec.shape)
            guard trainable else { return Variable(value) }
            return Variable(value, requiresGrad: true, grad: Tensor(storage: grads.storage, offset: offset, shape: spec.shape))
        }
        for (spec, variable) in zip(specs, variables) {
            let tensor = variable.value
            switch spec.initializer {
            case .zeros: tensor.fill(0)
            case .ones: tensor.fill(1)
            case .normal(let std): for i in 0..<tensor.count { tensor.data[i] = std * rng.nextNormal() }
            case .uniform(let bound): for i in 0..<tensor.count { tensor.data[i] = bound * (2 * rng.nextFloat() - 1) }
            }
        }
    }

    /// The parameter called `name` as a variable whose gradient is its view of `grads`.
    public subscript(name: String) -> Variable {
        guard let index = indexByName[name] else {
            preconditionFailure("ParameterStore: no parameter '\(name)'; known: \(specs.map(\.name).joined(separator: ", "))")
        }
        return variables[index]
    }

    /// The total number of scalars.
    public var count: Int { values.count }

    /// Sets every gradient to zero (before each backward pass).
    public func zeroGrads() { grads.fill(0) }

    /// A copy of every value: restoring it costs one memcpy.
    public func snapshot() -> Tensor { values.copy() }

    /// Overwrites every value with a snapshot taken from this store.
    public func restore(_ snapshot: Tensor) {
        precondition(snapshot.count == values.count, "ParameterStore.restore: snapshot of \(snapshot.count) for \(values.count)")
        values.assign(snapshot)
    }
}
