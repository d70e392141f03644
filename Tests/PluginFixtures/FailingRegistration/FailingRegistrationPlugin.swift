// Test fixture: a plugin whose registration throws after adding one factory; the host must register
// none of its factories.
import RaiseKit

@_cdecl("raise_plugin_abi_version")
public func raisePluginABIVersion() -> UInt32 { PluginABI.version }

@_cdecl("raise_plugin_entry")
public func raisePluginEntry() -> UnsafeMutableRawPointer { PluginABI.export(FailingRegistrationPlugin()) }

final class FailingRegistrationPlugin: RaisePlugin {
    func register(into registrar: PluginRegistrar) throws {
        try registrar.add(PluginFactory(id: "selector.half-registered", kind: .selector, version: "0.1.0",
                                        summary: "never visible", create: { _ in fatalError("never created") }))
        throw RaiseError.file(path: "/etc/probe.conf", detail: "missing configuration")
    }
}
