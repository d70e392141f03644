// TinyGPTSettings: the sizes of a TinyGPT, as config.json stores them, with validation that names the
// bad field.
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
        self.init(layers: try field("layers", 1...48), heads: try field("heads", 1...64), width: try field("d", 8...4096),
                  context: try field("ctx", 8...8192), vocabulary: try field("vocabulary", 2...1_000_000))
        guard width % heads == 0 else { throw RaiseError.file(path: path, detail: "field 'settings.d' = \(width) does not divide into \(heads) heads") }
    }

    var json: JSONObject {
        JSONObject([("layers", .number(Double(layers))), ("heads", .number(Double(heads))), ("d", .number(Double(width))),
                    ("ctx", .number(Double(context))), ("vocabulary", .number(Double(vocabulary)))])
    }
}
