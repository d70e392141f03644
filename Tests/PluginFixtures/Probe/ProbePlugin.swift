// Test fixture: a well-formed plugin whose factories exercise the registry — parameters of every
// type, a factory that throws at creation, one that makes the wrong kind of object — and a probe
// symbol that tells which copy of RaiseKit's type metadata this library sees.
import RaiseKit

@_cdecl("raise_plugin_abi_version")
public func raisePluginABIVersion() -> UInt32 { PluginABI.version }

@_cdecl("raise_plugin_entry")
public func raisePluginEntry() -> UnsafeMutableRawPointer { PluginABI.export(ProbePlugin()) }

/// The metadata address of RaiseKit's TensorStorage class as this library sees it.
@_cdecl("raise_probe_tensor_storage_type")
public func raiseProbeTensorStorageType() -> UnsafeRawPointer { unsafeBitCast(TensorStorage.self, to: UnsafeRawPointer.self) }

final class ProbePlugin: RaisePlugin {
    func register(into registrar: PluginRegistrar) throws {
        try registrar.add(PluginFactory(
            id: "selector.probe", kind: .selector, version: "0.1.0", summary: "echoes its parameters",
            parameters: [
                PluginParameter("count", .integer(1...10), default: "3", "how many indices"),
                PluginParameter("ratio", .number(0...1), default: "0.5", "a fraction"),
                PluginParameter("band", .choice(["low", "middle", "high"]), default: "middle", "a band"),
                PluginParameter("verbose", .boolean, default: "false", "a switch"),
                PluginParameter("path", .text, default: nil, "a required path"),
            ],
            create: { ProbeSelector(arguments: $0) }))
        try registrar.add(PluginFactory(
            id: "feature.probe-fails", kind: .feature, version: "0.1.0", summary: "throws at creation",
            create: { _ in throw RaiseError.file(path: "/nonexistent/weights.safetensors", detail: "cannot read") }))
        try registrar.add(PluginFactory(
            id: "model.probe-wrong-type", kind: .model, version: "0.1.0", summary: "makes a selector, not a model",
            create: { ProbeSelector(arguments: $0) }))
    }
}

/// A selector that returns the first `count` indices and keeps its arguments for inspection.
final class ProbeSelector: InstructionSelector {
    let mode = SelectionMode.once
    let arguments: PluginArguments

    init(arguments: PluginArguments) { self.arguments = arguments }

    func select(_ request: SelectionRequest) throws -> [Int] { Array(0..<min(arguments.integer("count"), request.poolSize)) }
}
