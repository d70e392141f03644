// BertSettings: the sizes of a BERT encoder, read from an HF config.json (BertModel), with errors that
// name the file and the field.
import RaiseKit

/// The sizes of a BERT encoder.
struct BertSettings: Equatable {
    var layers: Int
    var width: Int
    var heads: Int
    var feedForward: Int
    var vocabulary: Int
    var positions: Int
    var tokenTypes: Int
    var normEps: Float

    /// The settings of an HF config.json; only BERT's exact (erf) GELU is supported.
    init(config: JSONObject, path: String) throws {
        layers = try config.positiveInteger("num_hidden_layers", path: path)
        width = try config.positiveInteger("hidden_size", path: path)
        heads = try config.positiveInteger("num_attention_heads", path: path)
        feedForward = try config.positiveInteger("intermediate_size", path: path)
        vocabulary = try config.positiveInteger("vocab_size", path: path)
        positions = try config.positiveInteger("max_position_embeddings", path: path)
        tokenTypes = config["type_vocab_size"]?.intValue ?? 2
        normEps = Float(config["layer_norm_eps"]?.numberValue ?? 1e-12)
        let activation = config["hidden_act"]?.stringValue ?? "gelu"
        guard activation == "gelu" else {
            throw RaiseError.file(path: path, detail: "field 'hidden_act' is '\(activation)'; model.bert supports 'gelu' (the erf form)")
        }
        guard width % heads == 0 else {
            throw RaiseError.file(path: path, detail: "hidden_size \(width) is not a multiple of num_attention_heads \(heads)")
        }
        if let type = config["model_type"]?.stringValue, type != "bert" {
            throw RaiseError.file(path: path, detail: "field 'model_type' is '\(type)', not 'bert'")
        }
    }
}
