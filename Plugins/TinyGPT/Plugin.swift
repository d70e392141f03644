// TinyGPT: the plugin library of the GPT-2-style model backend `model.tinygpt`. This file is its C
// entry point and its factory: parameters, their checks, and loading from a checkpoint directory.
import RaiseKit

@_cdecl("raise_plugin_abi_version")
public func raisePluginABIVersion() -> UInt32 { PluginABI.version }

@_cdecl("raise_plugin_entry")
public func raisePluginEntry() -> UnsafeMutableRawPointer { PluginABI.export(TinyGPTPlugin()) }

final class TinyGPTPlugin: RaisePlugin {
    func register(into registrar: PluginRegistrar) throws {
        try registrar.add(PluginFactory(
            id: "model.tinygpt", kind: .model, version: "1.0.0",
            summary: "GPT-2-style decoder trained from scratch (learned positions, pre-LayerNorm, GELU MLP, tied head)",
            parameters: [
                PluginParameter("layers", .integer(1...48), default: "4", "transformer blocks"),
                PluginParameter("heads", .integer(1...64), default: "4", "attention heads (d must divide by it)"),
                PluginParameter("d", .integer(8...4096), default: "128", "model width"),
                PluginParameter("ctx", .integer(8...8192), default: "128", "context length in tokens"),
                PluginParameter("tokenizer", .text, default: "", "byte-level BPE folder (encoder.json, vocab.bpe); required without checkpoint"),
                PluginParameter("checkpoint", .text, default: "", "a model folder to load (its config.json overrides the sizes)"),
            ],
            create: { try TinyGPTPlugin.make($0) }))
    }

    static func make(_ arguments: PluginArguments) throws -> TinyGPT {
        let checkpoint = arguments.text("checkpoint")
        if !checkpoint.isEmpty {
            let (backend, settings) = try Checkpoint.configuration(of: checkpoint)
            guard backend == "model.tinygpt" else {
                throw RaiseError.invalidArgument(name: "model.tinygpt", detail: "\(checkpoint) holds a \(backend) model")
            }
            let model = try TinyGPT(settings: TinyGPTSettings(settings, path: checkpoint + "/config.json"),
                                    tokenizer: BytePairTokenizer(directory: checkpoint + "/tokenizer"), seed: arguments.seed)
            try Checkpoint.loadParameters(model.parameters, from: checkpoint)
            return model
        }
        guard !arguments.text("tokenizer").isEmpty else {
            throw RaiseError.invalidArgument(name: "model.tinygpt", detail: "parameter 'tokenizer' is required for a new model")
        }
        let tokenizer = try BytePairTokenizer(directory: arguments.text("tokenizer"))
        let settings = TinyGPTSettings(layers: arguments.integer("layers"), heads: arguments.integer("heads"), width: arguments.integer("d"),
                                       context: arguments.integer("ctx"), vocabulary: tokenizer.vocabularySize)
        guard settings.width % settings.heads == 0 else {
            throw RaiseError.invalidArgument(name: "model.tinygpt", detail: "parameter 'd' = \(settings.width) does not divide into \(settings.heads) heads")
        }
        return TinyGPT(settings: settings, tokenizer: tokenizer, seed: arguments.seed)
    }
}
