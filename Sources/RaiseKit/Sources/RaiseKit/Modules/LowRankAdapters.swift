// LowRankAdapters: LoRA (Hu et al., 2021, "LoRA: Low-Rank Adaptation of Large Language Models"). A frozen
// weight W (out, in) gains a trainable low-rank update,
//     y = x·Wᵀ + (alpha / r) · (x·Aᵀ)·Bᵀ,     A (r, in) uniform in ±1/√in, B (out, r) zero,
// so an adapted model starts as its base model exactly. Only A and B train: the optimizer keeps
// 2·r·(in + out) moments per adapted weight instead of 2·in·out, and the base needs no gradient buffer.
// Saving merges W + (alpha / r)·B·A into a plain model that loads without adapters.

/// How a model is adapted: the rank r, the scale's numerator alpha and which weights (a backend's short
/// names, such as `q` or `down`) get adapters.
public struct LowRankSettings: Equatable, Sendable {
    public var rank: Int
    public var alpha: Float
    public var targets: [String]

    /// A LoRA configuration.
    public init(rank: Int, alpha: Float, targets: [String]) {
        self.rank = rank
        self.alpha = alpha
        self.targets = targets
    }

    /// The model-spec parameters that ask for adapters: `lora` (the rank; 0 = none), `lora_alpha` and
    /// `lora_targets` (a backend's short names joined by `+`; default all of `targets`).
    public static func pluginParameters(targets: [String]) -> [PluginParameter] {
        [PluginParameter("lora", .integer(0...4096), default: "0", "low-rank adapter rank: the weights freeze and adapters train (0 = no adapters)"),
         PluginParameter("lora_alpha", .number(1e-3...1e6), default: "16", "the adapters' update is scaled by lora_alpha / lora"),
         PluginParameter("lora_targets", .text, default: targets.joined(separator: "+"),
                         "the weights that get adapters, joined by '+': " + targets.joined(separator: ", "))]
    }

    /// The adapters a model spec asks for (see `pluginParameters`), or nil when `lora` is 0.
    ///
    /// - Throws: `RaiseError.invalidArgument` naming the backend and `lora_targets` for an unknown or empty list.
    public init?(_ arguments: PluginArguments, targets known: [String]) throws {
        let rank = arguments.integer("lora")
        guard rank > 0 else { return nil }
        let names = arguments.text("lora_targets").split(separator: "+").map { String($0) }
        if names.isEmpty || names.contains(where: { !known.contains($0) }) {
            let bad = names.first { !known.contains($0) }.map { "no weight '\($0)'" } ?? "it is empty"
            throw RaiseError.invalidArgument(
                name: arguments.pluginID, detail: "parameter 'lora_targets': \(bad); choose from \(known.joined(separator: "+"))")
        }
        self.init(rank: rank, alpha: Float(arguments.number("lora_alpha")), targets: names)
    }

    /// The factor of the low-rank update, alpha / r.
    public var scale: Float { alpha / Float(rank) }
}

/// One weight's adapter.
public struct LowRankAdapter {
    /// A (r, in): the down-projection.
    public let a: Variable
    /// B (out, r): the up-projection, zero at the start.
    public let b: Variable
    /// alpha / r.
    public let scale: Float

    /// The adapted layer x·Wᵀ (+ b) + scale·(x·Aᵀ)·Bᵀ, as one op (`Tape.lowRankLinear`).   x (N, in) -> (N, out)
    public func callAsFunction(_ x: Variable, weight: Variable, bias: Variable? = nil, tape: Tape) -> Variable {
        tape.lowRankLinear(x, weight: weight, bias: bias, a: a, b: b, scale: scale)
    }
}

/// The adapters of one model: a frozen base store and a trainable store of every A and B.
public final class LowRankAdapters {
    public let settings: LowRankSettings
    /// The base model's weights, never trained (no gradient buffer).
    public let base: ParameterStore
    /// Every A and B (`NAME.lora_A`, `NAME.lora_B` for the base weight NAME): what the optimizer trains.
    public let parameters: ParameterStore
    private let adapted: [String: LowRankAdapter]

    /// Adapters for the base weights named `weights` (each (out, in)), A drawn from `rng`.
    public init(settings: LowRankSettings, base: ParameterStore, weights: [String], rng: inout RandomGenerator) {
        self.settings = settings
        self.base = base
        let r = settings.rank
        let specs = weights.flatMap { name -> [ParameterSpec] in
            let shape = base[name].shape
            return [ParameterSpec(name + ".lora_A", [r, shape[1]], .uniform(bound: 1 / Float(shape[1]).squareRoot())),
                    ParameterSpec(name + ".lora_B", [shape[0], r], .zeros)]
        }
        parameters = ParameterStore(specs, rng: &rng)
        adapted = Dictionary(uniqueKeysWithValues: weights.map { [parameters] name in
            (name, LowRankAdapter(a: parameters[name + ".lora_A"], b: parameters[name + ".lora_B"], scale: settings.scale))
        })
    }

    /// The adapter of the base weight `name`, or nil when that weight is not adapted.
    public subscript(name: String) -> LowRankAdapter? { adapted[name] }

    /// Every base weight by name, with W + scale·B·A in place of each adapted one: a plain model's weights.
    public func mergedWeights() -> [(name: String, tensor: Tensor)] {
        base.specs.map { spec in
            let weight = base[spec.name].value
            guard let adapter = adapted[spec.name] else { return (spec.name, weight) }
            let merged = weight.copy()
            let (out, rank, input) = (weight.shape[0], settings.rank, weight.shape[1])
            BLAS.gemm(merged.data, adapter.b.value.data, adapter.a.value.data, m: out, n: input, k: rank, alpha: settings.scale, beta: 1)
            return (spec.name, merged)
        }
    }
}
