// PluginKind: the five kinds of plugin and the protocol each kind's objects conform to.

/// What a plugin factory makes.
public enum PluginKind: String, CaseIterable, Sendable {
    /// A language model family (`model.tinygpt`): makes `LanguageModel`s.
    case model
    /// Per-example features (`feature.ifd`): makes `FeatureExtractor`s.
    case feature
    /// A target-task metric (`reward.val-loss`): makes `Reward`s.
    case reward
    /// An instruction selector (`selector.random`): makes `InstructionSelector`s.
    case selector
    /// The engine of a multi-process job (`communicator.mpi`): makes `Communicator`s.
    case communicator

    /// Every factory id of this kind starts with this prefix ("selector.").
    public var idPrefix: String { rawValue + "." }

    /// A readable name for messages.
    public var displayName: String {
        switch self {
        case .model: return "model backend"
        case .feature: return "feature extractor"
        case .reward: return "reward"
        case .selector: return "selector"
        case .communicator: return "communicator"
        }
    }
}
