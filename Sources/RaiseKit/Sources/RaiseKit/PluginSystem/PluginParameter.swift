// PluginParameter: what a factory declares about each of its parameters — name, type, allowed values,
// default and doc — and the checked values it receives. Parsing text into values happens here, so
// every plugin reports a bad value the same way: plugin, parameter, what was given, what is allowed.

/// A parameter's type and the values it allows.
public enum PluginParameterType: Equatable, Sendable {
    /// An integer in a closed range.
    case integer(ClosedRange<Int>)
    /// A real number in a closed range.
    case number(ClosedRange<Double>)
    /// true or false.
    case boolean
    /// One of a fixed set of words.
    case choice([String])
    /// Any text (a path, a name).
    case text

    /// What the type allows, for help and error messages.
    public var allowed: String {
        switch self {
        case .integer(let r): return "an integer in \(r.lowerBound)...\(r.upperBound)"
        case .number(let r): return "a number in \(r.lowerBound)...\(r.upperBound)"
        case .boolean: return "true or false"
        case .choice(let words): return "one of " + words.joined(separator: ", ")
        case .text: return "text"
        }
    }

    /// The value `text` denotes, or nil when the type does not allow it.
    public func parse(_ text: String) -> PluginValue? {
        switch self {
        case .integer(let r):
            guard let v = Int(text), r.contains(v) else { return nil }
            return .integer(v)
        case .number(let r):
            guard let v = DecimalText.value(of: text), r.contains(v) else { return nil }
            return .number(v)
        case .boolean:
            switch text {
            case "true", "yes", "1": return .boolean(true)
            case "false", "no", "0": return .boolean(false)
            default: return nil
            }
        case .choice(let words):
            return words.contains(text) ? .text(text) : nil
        case .text:
            return .text(text)
        }
    }
}

/// A checked parameter value.
public enum PluginValue: Equatable, Sendable, CustomStringConvertible {
    case integer(Int)
    case number(Double)
    case boolean(Bool)
    case text(String)

    public var description: String {
        switch self {
        case .integer(let v): return String(v)
        case .number(let v): return String(v)
        case .boolean(let v): return String(v)
        case .text(let v): return v
        }
    }
}

/// One declared parameter of a factory.
public struct PluginParameter: Equatable, Sendable {
    public let name: String
    public let type: PluginParameterType
    /// The value used when the user gives none; nil makes the parameter required.
    public let defaultValue: PluginValue?
    /// One line for `raise plugins info`.
    public let doc: String

    /// A parameter declaration; `defaultValue` is given as text and must parse under `type`.
    public init(_ name: String, _ type: PluginParameterType, default defaultValue: String?, _ doc: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue.map { text in
            guard let value = type.parse(text) else {
                preconditionFailure("PluginParameter '\(name)': default '\(text)' is not \(type.allowed)")
            }
            return value
        }
        self.doc = doc
    }
}

/// The checked parameter values a factory receives, plus the run's seed.
public struct PluginArguments: Sendable {
    /// The factory id these values were checked for.
    public let pluginID: String
    /// Every declared parameter's value (given or default).
    public let values: [String: PluginValue]
    /// The run's seed: a factory derives all its randomness from it.
    public let seed: UInt64

    /// Checked values; use `PluginSpec.arguments(for:seed:)` to build them from text.
    public init(pluginID: String, values: [String: PluginValue], seed: UInt64) {
        self.pluginID = pluginID
        self.values = values
        self.seed = seed
    }

    /// "id:name=value,…" over every parameter, given or default, in name order: one text for all the
    /// ways of writing the same settings (`feature.ifd` and `feature.ifd:variant=loss`). It is itself a
    /// spec that parses back to these values: a value holding a comma, '=', a quote or a backslash is quoted.
    public var canonical: String {
        pluginID + ":" + values.keys.sorted().map { "\($0)=\(PluginSpec.quoted(values[$0]!.description))" }.joined(separator: ",")
    }

    /// An integer parameter's value.
    public func integer(_ name: String) -> Int {
        guard case .integer(let v)? = values[name] else { preconditionFailure("\(pluginID): no integer parameter '\(name)'") }
        return v
    }

    /// A number parameter's value.
    public func number(_ name: String) -> Double {
        guard case .number(let v)? = values[name] else { preconditionFailure("\(pluginID): no number parameter '\(name)'") }
        return v
    }

    /// A boolean parameter's value.
    public func boolean(_ name: String) -> Bool {
        guard case .boolean(let v)? = values[name] else { preconditionFailure("\(pluginID): no boolean parameter '\(name)'") }
        return v
    }

    /// A text or choice parameter's value.
    public func text(_ name: String) -> String {
        guard case .text(let v)? = values[name] else { preconditionFailure("\(pluginID): no text parameter '\(name)'") }
        return v
    }
}
