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

    /// The check config.json recorded (its `start` and `trained` scores; the rest follows from them).
    ///
    /// - Throws: `RaiseError.file` naming `path` when a sample is missing, not numbers, or too short.
    public init(json: JSONObject, path: String) throws {
        let samples = try ["start", "trained"].map { key in
            guard let values = json[key]?.arrayValue?.compactMap(\.numberValue), values.count == json[key]?.arrayValue?.count, !values.isEmpty else {
                throw RaiseError.file(path: path, detail: "field 'check.\(key)' is not a list of scores")
            }
            return values
        }
        guard samples[0].count + samples[1].count >= 3 else {
            throw RaiseError.file(path: path, detail: "field 'check' holds \(samples[0].count + samples[1].count) scores; a check needs 3")
        }
        self.init(start: samples[0], trained: samples[1])
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
