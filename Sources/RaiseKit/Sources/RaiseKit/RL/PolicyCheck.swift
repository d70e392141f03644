// PolicyCheck: whether a trained policy is kept or its start is. PPO on a small validation sample can move
// a policy on noise alone, and a move made of noise away from a good start (the relevance prior) is a move
// for the worse on average. So, when asked, training holds back half of the validation split from the
// reward; after the last update it runs a few more episodes with the trained policy and scores each on
// that half. The trained policy is kept only when its mean beats the mean of the first episodes (those the
// start ran) by more than one standard error of the difference; otherwise the start is kept.
import Foundation

/// The held-out scores of the start's episodes and of the trained policy's check episodes, and the decision.
public struct PolicyCheck: Sendable, Equatable {
    /// P on the held-out half at the end of each episode run with the start policy (the first update's).
    public let start: [Double]
    /// P on the held-out half at the end of each check episode run with the trained policy.
    public let trained: [Double]

    /// A check of `trained` against `start`; each needs a score, and the two together three.
    public init(start: [Double], trained: [Double]) {
        precondition(!start.isEmpty && !trained.isEmpty && start.count + trained.count >= 3, "PolicyCheck: too few scores")
        self.start = start
        self.trained = trained
    }

    /// The trained mean less the start's (positive: the trained policy did better).
    public var difference: Double { Self.mean(trained) - Self.mean(start) }

    /// The standard error of `difference`, from the two samples' pooled variance.
    public var standardError: Double {
        let squares = [start, trained].map { sample in sample.map { ($0 - Self.mean(sample)) * ($0 - Self.mean(sample)) }.reduce(0, +) }
        let pooled = (squares[0] + squares[1]) / Double(start.count + trained.count - 2)
        return (pooled * (1 / Double(start.count) + 1 / Double(trained.count))).squareRoot()
    }

    /// Whether the trained policy is kept: it beat the start by more than one standard error.
    public var keepsTrained: Bool { difference > standardError }

    /// The check as config.json records it.
    public var json: JSONObject {
        JSONObject([("start", .array(start.map(JSONValue.number))), ("trained", .array(trained.map(JSONValue.number))),
                    ("difference", .number(difference)), ("standard_error", .number(standardError)),
                    ("kept", .string(keepsTrained ? "trained" : "start"))])
    }

    private static func mean(_ sample: [Double]) -> Double { sample.reduce(0, +) / Double(sample.count) }
}
