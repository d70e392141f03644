// Bert: the plugin library of the BERT-encoder backend `model.bert` — a sentence-embedding model for
// features. This file is its C entry point and its factory: an HF folder with config.json,
// model.safetensors and vocab.txt (all-MiniLM-L6-v2 as `make models` fetches it).
import RaiseKit

/// Exported for the host: the ABI version this library was built against.
@_cdecl("raise_plugin_abi_version")
public func raisePluginABIVersion() -> UInt32 { PluginABI.version }

/// Exported for the host: the +1-retained entry object.
@_cdecl("raise_plugin_entry")
public func raisePluginEntry() -> UnsafeMutableRawPointer { PluginABI.export(BertPlugin()) }

final class BertPlugin: RaisePlugin {
    func register(into registrar: PluginRegistrar) throws {
        try registrar.add(PluginFactory(
            id: "model.bert", kind: .model, version: "1.0.0",
            summary: "BERT encoder (all-MiniLM-L6-v2) for sentence embeddings: mean-pooled, unit length; no losses, not trained",
            parameters: [
                PluginParameter("path", .text, default: "", "a folder with config.json, model.safetensors and vocab.txt"),
                PluginParameter("ctx", .integer(3...4096), default: "256", "the longest sequence read, [CLS] and [SEP] included"),
                PluginParameter("normalize", .boolean, default: "true", "scale each embedding to unit length"),
            ],
            create: { try BertPlugin.make($0) }))
    }

    static func make(_ arguments: PluginArguments) throws -> Bert {
        let path = arguments.text("path")
        guard !path.isEmpty else {
            throw RaiseError.invalidArgument(name: "parameter 'path'", detail: "required: a folder with config.json, model.safetensors and vocab.txt")
        }
        let settings = try BertSettings(config: try JSONValue.readObject(path: path + "/config.json"), path: path + "/config.json")
        let context = arguments.integer("ctx")
        guard context <= settings.positions else {
            throw RaiseError.invalidArgument(name: "parameter 'ctx'", detail: "\(context) exceeds the model's \(settings.positions) positions")
        }
        let model = Bert(settings: settings, tokenizer: try WordPieceTokenizer(vocabularyFile: path + "/vocab.txt"),
                         context: context, normalize: arguments.boolean("normalize"))
        try model.load(path: path + "/model.safetensors")
        return model
    }
}
