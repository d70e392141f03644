// The score-based static selectors: each ranks the pool by a feature column once and takes the top of
// the ranking (or a band of it). They read features the host computes with the model or an auxiliary one.
import RaiseKit

/// selector.length: the longest responses first — a strong baseline in the literature.
final class LengthSelector: InstructionSelector {
    static let factory = PluginFactory(
        id: "selector.length", kind: .selector, version: "1.0.0", summary: "the longest responses first (chosen once)",
        create: { _ in LengthSelector() })

    let mode = SelectionMode.once
    let requiredFeatures = [FeatureSpec.length]

    func select(_ request: SelectionRequest) throws -> [Int] {
        Array(ranked(try column(FeatureColumn.responseTokens, of: request, selector: "selector.length")).prefix(request.count))
    }
}

/// selector.perplexity: a band of the perplexity ranking — low, middle or high.
final class PerplexitySelector: InstructionSelector {
    static let factory = PluginFactory(
        id: "selector.perplexity", kind: .selector, version: "1.0.0", summary: "a band of answer perplexity: low, middle or high (chosen once)",
        parameters: [PluginParameter("band", .choice(["low", "middle", "high"]), default: "middle", "which part of the ranking")],
        create: { PerplexitySelector(band: $0.text("band")) })

    let mode = SelectionMode.once
    let requiredFeatures = [FeatureSpec.loss]
    let band: String

    init(band: String) { self.band = band }

    /// Ascending perplexity: low takes the start, high the end, middle the centred window.
    func select(_ request: SelectionRequest) throws -> [Int] {
        let order = ranked(try column(FeatureColumn.perplexity, of: request, selector: "selector.perplexity"), descending: false)
        let count = min(request.count, order.count)
        let start: Int
        switch band {
        case "low": start = 0
        case "high": start = order.count - count
        default: start = (order.count - count) / 2
        }
        return Array(order[start..<start + count])
    }
}

/// selector.ifd (and selector.superfiltering): drop IFD ≥ threshold, keep the highest of the rest.
final class IFDSelector: InstructionSelector {
    static let factory = PluginFactory(
        id: "selector.ifd", kind: .selector, version: "1.0.0",
        summary: "Cherry LLM: drop IFD ≥ threshold, keep the highest IFD (chosen once)",
        parameters: [PluginParameter("threshold", .number(0...1000), default: "1", "drop examples whose IFD is at or above it"),
                     PluginParameter("variant", .choice(["loss", "perplexity"]), default: "loss", "IFD as a loss or a perplexity ratio"),
                     PluginParameter("experience", .integer(0...4096), default: "0",
                                     "clusters of Cherry's pre-experienced step before scoring (0: off)")],
        create: { IFDSelector(id: "selector.ifd", threshold: Float($0.number("threshold")), variant: $0.text("variant"),
                              experience: $0.integer("experience")) })

    static let superfiltering = PluginFactory(
        id: "selector.superfiltering", kind: .selector, version: "1.0.0",
        summary: "Superfiltering: IFD as a perplexity ratio, meant to be scored by a smaller model (--aux-model)",
        parameters: [PluginParameter("threshold", .number(0...1000), default: "1", "drop examples whose IFD is at or above it")],
        create: { IFDSelector(id: "selector.superfiltering", threshold: Float($0.number("threshold")), variant: "perplexity", experience: 0) })

    let mode = SelectionMode.once
    let id: String
    let threshold: Float
    let requiredFeatures: [String]

    init(id: String, threshold: Float, variant: String, experience: Int) {
        self.id = id
        self.threshold = threshold
        requiredFeatures = ["\(FeatureSpec.ifd):variant=\(variant)" + (experience > 0 ? ",experience=\(experience)" : "")]
    }

    /// Fewer than `count` examples may remain under the threshold: then all of them are chosen.
    func select(_ request: SelectionRequest) throws -> [Int] {
        let ifd = try column(FeatureColumn.ifd, of: request, selector: id)
        return Array(ranked(ifd).filter { ifd[$0] < threshold }.prefix(request.count))
    }
}
