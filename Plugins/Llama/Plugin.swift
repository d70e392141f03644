// Llama: the plugin library of the LLaMA-architecture backend `model.llama` (LLaMA, Llama 3, Qwen2, Qwen3). This file
// is its C entry point and its factory: a GGUF file (weights and tokenizer), an HF folder (config.json +
// model.safetensors + tokenizer.json, or a raise tokenizer folder), or a raise checkpoint of either.
import Foundation
import RaiseKit

/// Exported for the host: the ABI version this library was built against.
@_cdecl("raise_plugin_abi_version")
public func raisePluginABIVersion() -> UInt32 { PluginABI.version }

/// Exported for the host: the +1-retained entry object.
@_cdecl("raise_plugin_entry")
public func raisePluginEntry() -> UnsafeMutableRawPointer { PluginABI.export(LlamaPlugin()) }

final class LlamaPlugin: RaisePlugin {
    func register(into registrar: PluginRegistrar) throws {
        // Still 1.1.0 with Qwen2, Llama 3 and Qwen3 added: every model read before computes the same bits, so
        // feature caches and resumed benchmarks stay valid.
        try registrar.add(PluginFactory(
            id: "model.llama", kind: .model, version: "1.1.0",
            summary: "LLaMA architecture (RMSNorm, RoPE, grouped-query attention, SwiGLU) from GGUF or HF safetensors; Llama 3, Qwen2 and Qwen3 too",
            parameters: [
                PluginParameter("path", .text, default: "", "a .gguf file, or a folder with config.json and model.safetensors (or its shards)"),
                PluginParameter("checkpoint", .text, default: "", "a raise model folder of this backend"),
                PluginParameter("ctx", .integer(8...131_072), default: "512", "the longest sequence raise feeds it"),
            ] + LowRankSettings.pluginParameters(targets: Llama.adaptable.map(\.0)),
            create: { try LlamaPlugin.make($0) }))
    }

    static func make(_ arguments: PluginArguments) throws -> Llama {
        let context = arguments.integer("ctx")
        let lora = try LowRankSettings(arguments, targets: Llama.adaptable.map(\.0))
        func model(_ settings: LlamaSettings, _ tokenizer: any Tokenizer, context: Int) -> Llama {
            Llama(settings: settings, tokenizer: tokenizer, context: context, lora: lora, seed: arguments.seed)
        }
        let checkpoint = arguments.text("checkpoint")
        if !checkpoint.isEmpty {
            let (backend, settings) = try Checkpoint.configuration(of: checkpoint)
            guard backend == "model.llama" else {
                throw RaiseError.invalidArgument(name: "model.llama", detail: "\(checkpoint) holds a \(backend) model")
            }
            let model = model(try LlamaSettings(config: settings, path: checkpoint + "/config.json"),
                              try BytePairTokenizer(directory: checkpoint + "/tokenizer"), context: settings["raise_context"]?.intValue ?? context)
            try Checkpoint.loadParameters(model.weights, from: checkpoint)
            return model
        }
        let path = arguments.text("path")
        guard !path.isEmpty else { throw RaiseError.invalidArgument(name: "model.llama", detail: "parameter 'path' or 'checkpoint' is required") }
        if path.hasSuffix(".gguf") {
            let gguf = try GGUFFile(path: path)
            let model = model(try LlamaSettings(gguf: gguf), try BytePairTokenizer(gguf: gguf), context: context)
            try model.load(gguf: gguf)
            return model
        }
        // An HF folder: config.json, model.safetensors, and the tokenizer as the Hub ships it (tokenizer.json,
        // with tokenizer_config.json's roles) or a raise tokenizer/ folder.
        let config = try JSONValue.readObject(path: path + "/config.json")
        let tokenizer: BytePairTokenizer
        if FileManager.default.fileExists(atPath: path + "/tokenizer.json") {
            tokenizer = try BytePairTokenizer(huggingFace: path + "/tokenizer.json")
        } else if FileManager.default.fileExists(atPath: path + "/tokenizer") {
            tokenizer = try BytePairTokenizer(directory: path + "/tokenizer")
        } else {
            throw RaiseError.file(path: path, detail: "no tokenizer: expected tokenizer.json (as the Hub ships it) or a raise tokenizer/ folder")
        }
        let model = model(try LlamaSettings(config: config, path: path + "/config.json"), tokenizer, context: context)
        try Checkpoint.loadParameters(model.weights, from: path)
        return model
    }
}
