// Test fixture: a plugin built for another ABI version; the host must refuse it before calling its entry.
import RaiseKit

@_cdecl("raise_plugin_abi_version")
public func raisePluginABIVersion() -> UInt32 { PluginABI.version + 41 }

@_cdecl("raise_plugin_entry")
public func raisePluginEntry() -> UnsafeMutableRawPointer { fatalError("the host called the entry of a mismatched plugin") }
