// Rewards: the plugin library of the built-in target-task rewards — P(M) as the negative validation
// loss, the validation accuracy of greedy answers, or a weighted mix. This file is its C entry point
// and the list of factories it registers.
import RaiseKit

/// Exported for the host: the ABI version this library was built against.
@_cdecl("raise_plugin_abi_version")
public func raisePluginABIVersion() -> UInt32 { PluginABI.version }

/// Exported for the host: the +1-retained entry object.
@_cdecl("raise_plugin_entry")
public func raisePluginEntry() -> UnsafeMutableRawPointer { PluginABI.export(RewardsPlugin()) }

/// Registers the built-in rewards.
final class RewardsPlugin: RaisePlugin {
    func register(into registrar: PluginRegistrar) throws {
        try registrar.add(ValidationLoss.factory)
        try registrar.add(ValidationAccuracy.factory)
        try registrar.add(ValidationMix.factory)
    }
}
