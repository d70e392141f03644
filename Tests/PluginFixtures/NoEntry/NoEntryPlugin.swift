// Test fixture: a shared library with the ABI version symbol but no entry symbol.
import RaiseKit

@_cdecl("raise_plugin_abi_version")
public func raisePluginABIVersion() -> UInt32 { PluginABI.version }
