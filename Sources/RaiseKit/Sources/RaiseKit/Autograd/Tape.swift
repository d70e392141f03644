// Tape: reverse-mode automatic differentiation in one page. Each differentiable op runs its forward
// kernel and records a closure that runs its backward kernel; `backward(from:)` replays the closures
// in reverse. Ops live in Ops/, one file each, forward and backward kernels side by side.
// Not a graph compiler: no fusion, no scheduling; the ops are coarse enough that none is needed.

/// An error raised while differentiating.
public enum AutogradError: Error, CustomStringConvertible, Equatable {
    /// An op without a gradient rule sits on the path from a parameter to the loss.
    case missingGradientRule(op: String)
    /// `backward` was asked to start from a value that is not a scalar.
    case nonScalarLoss(shape: [Int])

    public var description: String {
        switch self {
        case .missingGradientRule(let op): return "autograd: op '\(op)' has no gradient rule"
        case .nonScalarLoss(let shape): return "autograd: backward needs a scalar loss, got shape \(shape)"
        }
    }
}

/// Records differentiable ops in the order they run.
public final class Tape {
    private struct Record {
        let op: String
        let output: Variable
        let backward: ((Tensor) -> Void)?
    }

    /// When false, ops compute values only and record nothing (inference, scoring).
    public let isRecording: Bool
    private var records: [Record] = []

    /// A tape; pass `recording: false` for forward passes that need no gradients.
    public init(recording: Bool = true) { isRecording = recording }

    /// The number of recorded ops.
    public var count: Int { records.count }

    /// The output variable of an op: it requires a gradient when any input does.
    public func output(_ value: Tensor, from inputs: [Variable]) -> Variable {
        Variable(value, requiresGrad: isRecording && inputs.contains { $0.requiresGrad })
    }

    /// Records an op's backward rule, if a gradient can flow through it.
    ///
    /// - Parameters:
    ///   - op: the op's name, reported when it has no rule but a gradient needs to pass.
    ///   - output: the op's output (from `output(_:from:)`).
    ///   - backward: given the output's gradient, adds into the inputs' `gradBuffer`s; nil when the op
    ///     is not differentiable, which is an error only if a gradient reaches it.
    public func record(_ op: String, output: Variable, backward: ((Tensor) -> Void)?) {
        guard output.requiresGrad else { return }
        records.append(Record(op: op, output: output, backward: backward))
    }

    /// Back-propagates from a scalar `loss`: sets its gradient to 1 and runs every recorded rule in
    /// reverse. Gradients accumulate into existing buffers; zero parameter gradients between steps.
    public func backward(from loss: Variable) throws {
        guard loss.value.count == 1 else { throw AutogradError.nonScalarLoss(shape: loss.shape) }
        guard loss.requiresGrad else { return }
        loss.gradBuffer.data[0] += 1
        defer { records.removeAll() }
        for record in records.reversed() {
            guard let outputGrad = record.output.grad else { continue }  // not on the path to the loss
            guard let rule = record.backward else { throw AutogradError.missingGradientRule(op: record.op) }
            rule(outputGrad)
        }
    }
}
