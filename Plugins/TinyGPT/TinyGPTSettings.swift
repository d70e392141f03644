// TinyGPTSettings: the sizes of a TinyGPT — their ranges, their defaults and the one check between them,
// written once for both the plugin's parameters and config.json — with validation that names the bad field.
import RaiseKit

/// The sizes of a TinyGPT model.
struct TinyGPTSettings: Equatable {
    var layers: Int
    var heads: Int
    /// The model width C.
    var width: Int
    /// The context length T.
    var context: Int
    /// The vocabulary size V.
    var vocabulary: Int

    /// Each size's name (in plugin specs and config.json), range, default and help: the one schema both read.
    static let schema: [(name: String, range: ClosedRange<Int>, default: Int, help: String)] = [
        ("layers", 1...48, 4, "transformer blocks"), ("heads", 1...64, 4, "attention heads (d must divide by it)"),
        ("d", 8...4096, 128, "model width"), ("ctx", 8...8192, 128, "context length in tokens"),
    ]
    /// The range of the vocabulary size (from the tokenizer, so not a plugin parameter).
    static let vocabularyRange = 2...1_000_000

    /// The plugin parameters of the sizes.
    static var parameters: [PluginParameter] {
        schema.map { PluginParameter($0.name, .integer($0.range), default: String($0.default), $0.help) }
    }

    /// The check no single range makes — the width divides into the heads: what is wrong with 'd', said
    /// after its name ("= 100 does not divide into 3 heads"), or nil.
    var widthProblem: String? { width % heads == 0 ? nil : "= \(width) does not divide into \(heads) heads" }

    init(layers: Int, heads: Int, width: Int, context: Int, vocabulary: Int) {
        self.layers = layers
        self.heads = heads
        self.width = width
        self.context = context
        self.vocabulary = vocabulary
    }

    /// Reads the settings of a config.json at `path`.
    ///
    /// - Throws: `RaiseError.file` naming `path` and the field that is missing or out of range.
    init(_ object: JSONObject, path: String) throws {
        func field(_ name: String, _ range: ClosedRange<Int>) throws -> Int {
            guard let value = object[name]?.intValue, range.contains(value) else {
                throw RaiseError.file(path: path, detail: "field 'settings.\(name)' missing or outside \(range.lowerBound)...\(range.upperBound)")
            }
            return value
        }
        let sizes = try Dictionary(uniqueKeysWithValues: TinyGPTSettings.schema.map { ($0.name, try field($0.name, $0.range)) })
        self.init(layers: sizes["layers"]!, heads: sizes["heads"]!, width: sizes["d"]!, context: sizes["ctx"]!,
                  vocabulary: try field("vocabulary", TinyGPTSettings.vocabularyRange))
        if let problem = widthProblem { throw RaiseError.file(path: path, detail: "field 'settings.d' " + problem) }
    }

    var json: JSONObject {
        JSONObject([("layers", .number(Double(layers))), ("heads", .number(Double(heads))), ("d", .number(Double(width))),
                    ("ctx", .number(Double(context))), ("vocabulary", .number(Double(vocabulary)))])
    }
}
