// BaselineSelectors: the plugin library of the baseline selectors — task-agnostic (random, full, length,
// perplexity bands, IFD, Superfiltering, RHO-LOSS, online batch selection, self-paced learning) and
// target-aware (nearest-to-target, LESS, DSIR, CoLoR-Filter). This file is its C entry point (ABI
// version, then the entry object) and the list of factories it registers.
import RaiseKit

/// Exported for the host: the ABI version this library was built against.
@_cdecl("raise_plugin_abi_version")
public func raisePluginABIVersion() -> UInt32 { PluginABI.version }

/// Exported for the host: the +1-retained entry object.
@_cdecl("raise_plugin_entry")
public func raisePluginEntry() -> UnsafeMutableRawPointer { PluginABI.export(BaselineSelectorsPlugin()) }

/// Registers the baseline selectors.
final class BaselineSelectorsPlugin: RaisePlugin {
    func register(into registrar: PluginRegistrar) throws {
        try registrar.add(RandomSelector.factory)
        try registrar.add(FullSelector.factory)
        try registrar.add(LengthSelector.factory)
        try registrar.add(PerplexitySelector.factory)
        try registrar.add(IFDSelector.factory)
        try registrar.add(IFDSelector.superfiltering)
        try registrar.add(RhoLossSelector.factory)
        try registrar.add(OnlineLossSelector.factory)
        try registrar.add(SelfPacedSelector.factory)
        try registrar.add(TargetSelector.nearest)
        try registrar.add(TargetSelector.less)
        try registrar.add(DSIRSelector.factory)
        try registrar.add(TargetSelector.colorFilter)
    }
}
