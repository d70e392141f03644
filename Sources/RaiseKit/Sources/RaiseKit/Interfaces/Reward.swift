// Reward: what a reward plugin (kind `reward`) makes — P(M), the performance of a model on the user's
// target task. RAISE's reward at step t is R_t = P(M_t) − P(M_{t−1}), so the return of an episode
// telescopes to P(M_T) − P(M_0).
//
// Contract. The host calls `performance` with the current model and the target validation split
// (never trained on), after each update or every k updates. Higher is better. Not thread-safe. A
// non-finite result is an error.

/// A target-task metric.
public protocol Reward: AnyObject {
    /// P(M): the performance of `model` on `validation`; higher is better.
    func performance(of model: any LanguageModel, validation: [TokenizedExample]) throws -> Double
}
