// selector.full: the whole pool — the full-data baseline, which trains on every example.
import RaiseKit

/// Chooses every pool example, in pool order; `count` is ignored.
final class FullSelector: InstructionSelector {
    static let factory = PluginFactory(
        id: "selector.full", kind: .selector, version: "1.0.0",
        summary: "the whole pool (the full-data baseline)",
        create: { _ in FullSelector() })

    let mode = SelectionMode.once

    func select(_ request: SelectionRequest) throws -> [Int] { Array(0..<request.poolSize) }
}
