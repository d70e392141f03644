// ExternalReward: a reward plugin built outside the raise package, against an installed RaiseKit, to
// show how a user brings their own target-task metric without rebuilding the host.
//
// reward.neg-perplexity: P(M) = −min(exp(mean answer loss over the validation set), cap). Higher is
// better, as every reward's is; `cap` keeps one hopeless early model from dominating the returns.
import Foundation
import RaiseKit

@_cdecl("raise_plugin_abi_version")
public func raisePluginABIVersion() -> UInt32 { PluginABI.version }

@_cdecl("raise_plugin_entry")
public func raisePluginEntry() -> UnsafeMutableRawPointer { PluginABI.export(ExternalRewardPlugin()) }

final class ExternalRewardPlugin: RaisePlugin {
    func register(into registrar: PluginRegistrar) throws {
        try registrar.add(PluginFactory(
            id: "reward.neg-perplexity", kind: .reward, version: "1.0.0",
            summary: "negative validation perplexity of the answers, capped (sample, built out of tree)",
            parameters: [PluginParameter("cap", .number(1...1e9), default: "1000", "the largest perplexity counted")],
            create: { NegativePerplexity(cap: $0.number("cap")) }))
    }
}

/// −min(exp(mean answer-token loss), cap) on the validation examples.
final class NegativePerplexity: Reward {
    let cap: Double

    init(cap: Double) { self.cap = cap }

    func performance(of model: any LanguageModel, validation: [TokenizedExample]) throws -> Double {
        let scored = validation.filter { $0.answerTokenCount > 0 }
        guard !scored.isEmpty else {
            throw RaiseError.invalidArgument(name: "reward.neg-perplexity", detail: "no validation example has answer tokens")
        }
        let losses = try model.exampleLosses(scored)
        let meanLoss = losses.reduce(0.0) { $0 + Double($1) } / Double(losses.count)
        guard meanLoss.isFinite else {
            throw RaiseError.invalidArgument(name: "reward.neg-perplexity", detail: "validation loss is not finite")
        }
        return -min(exp(meanLoss), cap)
    }
}
