// PluginSpec: the command-line syntax that names a plugin and sets its parameters,
//
//     ID[:NAME=VALUE[,NAME=VALUE]...]        e.g.  ifd:threshold=1.0,band=top
//
// ID is a factory id (`selector.ifd`), or its short form (`ifd`) where the option implies the kind
// (`--selector ifd`). A VALUE that contains ',' or '=' is written in double quotes: path="a,b.txt";
// inside quotes, \" is a quote and \\ a backslash.

/// A plugin named on the command line, before its parameters are checked.
public struct PluginSpec: Equatable, Sendable {
    /// The id as written (short or full).
    public let id: String
    /// NAME=VALUE pairs in the order written.
    public let settings: [(name: String, value: String)]

    /// The value written for the parameter `name`, or nil when the spec does not set it.
    public func setting(_ name: String) -> String? { settings.first { $0.name == name }?.value }

    public static func == (lhs: PluginSpec, rhs: PluginSpec) -> Bool {
        lhs.id == rhs.id && lhs.settings.map(\.name) == rhs.settings.map(\.name)
            && lhs.settings.map(\.value) == rhs.settings.map(\.value)
    }

    /// Parses the spec syntax. The syntax characters (':', '=', ',', '"' and the backslash) are matched as Unicode
    /// scalars, so a combining or prepended mark next to one never hides it.
    ///
    /// - Throws: `RaiseError.invalidArgument` naming `option` for an empty id, a setting without `=`,
    ///   an empty name, an unterminated quote, or a name given twice.
    public init(parsing text: String, option: String) throws {
        let scalars = text.unicodeScalars
        let colon = scalars.firstIndex(of: ":")
        id = String(scalars[..<(colon ?? scalars.endIndex)])
        guard !id.isEmpty else { throw RaiseError.invalidArgument(name: option, detail: "'\(text)': missing plugin id before ':'") }
        var settings = [(String, String)]()
        if let colon {
            var rest = scalars[scalars.index(after: colon)...]
            while !rest.isEmpty {
                guard let equals = rest.firstIndex(of: "=") else {
                    throw RaiseError.invalidArgument(name: option, detail: "'\(text)': expected NAME=VALUE, found '\(String(rest.prefix { $0 != "," }))'")
                }
                let name = String(rest[..<equals])
                guard !name.isEmpty, !name.unicodeScalars.contains(",") else {
                    throw RaiseError.invalidArgument(name: option, detail: "'\(text)': empty parameter name before '='")
                }
                rest = rest[rest.index(after: equals)...]
                let value = try PluginSpec.value(&rest, text: text, option: option)
                guard !settings.contains(where: { $0.0 == name }) else {
                    throw RaiseError.invalidArgument(name: option, detail: "'\(text)': parameter '\(name)' given twice")
                }
                settings.append((name, value))
                if rest.first == "," { rest = rest.dropFirst() }
            }
        }
        self.settings = settings
    }

    /// Reads one value up to the next unquoted ','.
    private static func value(_ rest: inout Substring.UnicodeScalarView, text: String, option: String) throws -> String {
        guard rest.first == "\"" else {
            let end = rest.firstIndex(of: ",") ?? rest.endIndex
            defer { rest = rest[end...] }
            return String(rest[..<end])
        }
        rest = rest.dropFirst()
        var value = String.UnicodeScalarView()
        while let c = rest.popFirst() {
            if c == "\"" {
                guard rest.isEmpty || rest.first == "," else {
                    throw RaiseError.invalidArgument(name: option, detail: "'\(text)': expected ',' after a quoted value")
                }
                return String(value)
            }
            if c == "\\", let escaped = rest.popFirst() { value.append(escaped) } else { value.append(c) }
        }
        throw RaiseError.invalidArgument(name: option, detail: "'\(text)': unterminated quote")
    }

    /// `value` as the spec syntax writes it: unchanged, or in double quotes (with \" and \\ escapes)
    /// when it holds a comma, '=', a quote or a backslash.
    public static func quoted(_ value: String) -> String {
        let special: Set<Unicode.Scalar> = [",", "=", "\"", "\\"]
        guard value.unicodeScalars.contains(where: special.contains) else { return value }
        var text = String.UnicodeScalarView(["\""])
        for c in value.unicodeScalars {
            if c == "\"" || c == "\\" { text.append("\\") }
            text.append(c)
        }
        text.append("\"")
        return String(text)
    }

    /// Checks the settings against the factory's declarations and fills in defaults.
    ///
    /// - Throws: `RaiseError.invalidArgument` naming the plugin and parameter for an unknown name, a
    ///   value the type does not allow (saying what it allows), or a required parameter left out.
    public func arguments(for factory: PluginFactory, seed: UInt64) throws -> PluginArguments {
        var values = [String: PluginValue]()
        for (name, text) in settings {
            guard let parameter = factory.parameters.first(where: { $0.name == name }) else {
                let known = factory.parameters.map(\.name)
                throw RaiseError.invalidArgument(
                    name: factory.id,
                    detail: "unknown parameter '\(name)'; " + (known.isEmpty ? "it takes no parameters" : "parameters: " + known.joined(separator: ", ")))
            }
            guard let value = parameter.type.parse(text) else {
                throw RaiseError.invalidArgument(name: factory.id, detail: "parameter '\(name)' = '\(text)': expected \(parameter.type.allowed)")
            }
            values[name] = value
        }
        for parameter in factory.parameters where values[parameter.name] == nil {
            guard let value = parameter.defaultValue else {
                throw RaiseError.invalidArgument(name: factory.id, detail: "parameter '\(parameter.name)' is required (\(parameter.type.allowed): \(parameter.doc))")
            }
            values[parameter.name] = value
        }
        return PluginArguments(pluginID: factory.id, values: values, seed: seed)
    }
}
