// RaiseSelector: the plugin library of `selector.raise`, which fine-tunes with a policy trained by
// `raise train-selector`. This file is its C entry point and the factory it registers.
import RaiseKit

/// Exported for the host: the ABI version this library was built against.
@_cdecl("raise_plugin_abi_version")
public func raisePluginABIVersion() -> UInt32 { PluginABI.version }

/// Exported for the host: the +1-retained entry object.
@_cdecl("raise_plugin_entry")
public func raisePluginEntry() -> UnsafeMutableRawPointer { PluginABI.export(RaiseSelectorPlugin()) }

/// Registers selector.raise.
final class RaiseSelectorPlugin: RaisePlugin {
    func register(into registrar: PluginRegistrar) throws {
        try registrar.add(PolicySelector.factory)
    }
}
