// TinyGPT: the plugin library of the GPT-2-style model backend `model.tinygpt`. This file is its C
// entry point and its factory: parameters, their checks, and loading from a checkpoint directory.
import RaiseKit

/// Exported for the host: the ABI version this library was built against.
@_cdecl("raise_plugin_abi_version")
public func raisePluginABIVersion() -> UInt32 { PluginABI.version }

/// Exported for the host: the +1-retained entry object.
@_cdecl("raise_plugin_entry")
public func raisePluginEntry() -> UnsafeMutableRawPointer { PluginABI.export(TinyGPTPlugin()) }

final class TinyGPTPlugin: RaisePlugin {
    func register(into registrar: PluginRegistrar) throws {
        try registrar.add(PluginFactory(
            id: "model.tinygpt", kind: .model, version: "1.0.0",
            summary: "GPT-2-style decoder trained from scratch (learned positions, pre-LayerNorm, GELU MLP, tied head)",
            parameters: TinyGPTSettings.parameters + [
                PluginParameter("tokenizer", .text, default: "", "byte-level BPE folder (encoder.json, vocab.bpe); required without checkpoint"),
                PluginParameter("checkpoint", .text, default: "", "a model folder to load (its config.json overrides the sizes)"),
            ] + LowRankSettings.pluginParameters(targets: TinyGPT.adaptable.map(\.0)),
            create: { try TinyGPTPlugin.make($0) }))
    }

    static func make(_ arguments: PluginArguments) throws -> TinyGPT {
        let checkpoint = arguments.text("checkpoint")
        let lora = try LowRankSettings(arguments, targets: TinyGPT.adaptable.map(\.0))
        if !checkpoint.isEmpty {
            let (backend, settings) = try Checkpoint.configuration(of: checkpoint)
            guard backend == "model.tinygpt" else {
                throw RaiseError.invalidArgument(name: "model.tinygpt", detail: "\(checkpoint) holds a \(backend) model")
            }
            let model = try TinyGPT(settings: TinyGPTSettings(settings, path: checkpoint + "/config.json"),
                                    tokenizer: BytePairTokenizer(directory: checkpoint + "/tokenizer"), seed: arguments.seed, lora: lora)
            try Checkpoint.loadParameters(model.weights, from: checkpoint)
            return model
        }
        guard !arguments.text("tokenizer").isEmpty else {
            throw RaiseError.invalidArgument(name: "model.tinygpt", detail: "parameter 'tokenizer' is required for a new model")
        }
        let tokenizer = try BytePairTokenizer(directory: arguments.text("tokenizer"))
        let settings = TinyGPTSettings(layers: arguments.integer("layers"), heads: arguments.integer("heads"), width: arguments.integer("d"),
                                       context: arguments.integer("ctx"), vocabulary: tokenizer.vocabularySize)
        if let problem = settings.widthProblem { throw RaiseError.invalidArgument(name: "model.tinygpt", detail: "parameter 'd' " + problem) }
        return TinyGPT(settings: settings, tokenizer: tokenizer, seed: arguments.seed, lora: lora)
    }
}
