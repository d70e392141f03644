// AdvantageEstimation: generalised advantage estimation (Schulman et al., 2016) over one episode.
//   δ_t = r_t + γ V(s_{t+1}) − V(s_t)        (V after the last step is 0: the episode ends)
//   A_t = δ_t + γλ A_{t+1}
//   return_t = A_t + V(s_t)                 (the critic's regression target)
// With γ = λ = 1 the advantage is the plain return-to-go minus the baseline.

/// Advantages and value targets of one episode.
public struct AdvantageEstimate: Equatable, Sendable {
    /// A_t per step.
    public let advantages: [Double]
    /// A_t + V(s_t) per step.
    public let returns: [Double]

    /// Estimates from the rewards r_t and the critic's values V(s_t) of one episode.
    public init(rewards: [Double], values: [Double], gamma: Double, lambda: Double) {
        precondition(rewards.count == values.count, "AdvantageEstimate: \(rewards.count) rewards, \(values.count) values")
        var advantages = [Double](repeating: 0, count: rewards.count)
        var next = 0.0, nextValue = 0.0
        for t in rewards.indices.reversed() {
            let delta = rewards[t] + gamma * nextValue - values[t]
            next = delta + gamma * lambda * next
            advantages[t] = next
            nextValue = values[t]
        }
        self.advantages = advantages
        returns = zip(advantages, values).map { $0 + $1 }
    }
}
