// Arguments: the hand-written option parser of the `raise` command line. A command declares its
// options; parsing rejects an unknown flag or a missing value with the command's usage. Options take
// `--name value` or `--name=value`; `--` ends the options.
import RaiseKit

/// A command-line option a command accepts.
struct Option {
    /// The flag, including the dashes: "--threads".
    let name: String
    /// The placeholder shown in usage for an option that takes a value ("N"); nil for a switch.
    let value: String?
    /// One line of help.
    let help: String
    /// Whether it may be given more than once (`--data A --data B`); any other option given twice is an error.
    var repeatable = false
    /// For a number: its type, the values allowed and the default (nil: none, or computed where it is read).
    var numeric: Numeric?
    /// For text (a spec, a list, a name): the value when the option is absent.
    var textDefault: String?

    /// The type, range and default of a numeric option.
    enum Numeric {
        case integer(ClosedRange<Int>, default: Int?)
        case real(ClosedRange<Double>, default: Double?)
    }

    /// The line of help as shown: the help, then the default when the declaration has one.
    var shownHelp: String {
        switch numeric {
        case .integer(_, let value?): return help + " (default \(value))"
        case .real(_, let value?): return help + " (default \(value))"
        default: return textDefault.map { help + " (default \($0))" } ?? help
        }
    }

    /// A switch such as `--json`.
    static func flag(_ name: String, _ help: String) -> Option { Option(name: name, value: nil, help: help) }
    /// An option that takes a value, such as `--threads N`.
    static func value(_ name: String, _ placeholder: String, _ help: String) -> Option {
        Option(name: name, value: placeholder, help: help)
    }
    /// An integer option with its range and default (nil: none, or one computed where it is read).
    static func integer(_ name: String, _ placeholder: String, _ help: String, default value: Int?, in range: ClosedRange<Int>) -> Option {
        Option(name: name, value: placeholder, help: help, numeric: .integer(range, default: value))
    }
    /// A real-number option with its range and default (nil: none, or one computed where it is read).
    static func real(_ name: String, _ placeholder: String, _ help: String, default value: Double?, in range: ClosedRange<Double>) -> Option {
        Option(name: name, value: placeholder, help: help, numeric: .real(range, default: value))
    }
    /// A text option with the value it takes when absent.
    static func text(_ name: String, _ placeholder: String, _ help: String, default value: String) -> Option {
        Option(name: name, value: placeholder, help: help, textDefault: value)
    }
    /// An option naming a case of `T`, with the case it takes when absent (nil: one chosen where it is read); the
    /// help lists the cases.
    static func choice<T: CaseIterable & RawRepresentable>(_ name: String, _ placeholder: String, _ help: String,
                                                            default value: T?) -> Option where T.RawValue == String {
        Option(name: name, value: placeholder, help: help + ": " + T.allCases.map(\.rawValue).joined(separator: ", "), textDefault: value?.rawValue)
    }
    /// An option that takes a value and may be repeated, such as `--data FILE`.
    static func values(_ name: String, _ placeholder: String, _ help: String) -> Option {
        Option(name: name, value: placeholder, help: help, repeatable: true)
    }
}

/// A mistake in the command line: reported with the command's usage, exit code 2.
struct UsageError: Error {
    let message: String
    let usage: String
}

/// The options and positional arguments of one invocation, after parsing.
struct ParsedArguments {
    let command: String
    let usage: String
    /// The options the command declares, by name.
    private let declared: [String: Option]
    private(set) var values: [String: [String]] = [:]
    private(set) var positionals: [String] = []

    /// Parses `arguments` against the command's `options`.
    init(_ arguments: [String], options: [Option], command: String, usage: String) throws {
        self.command = command
        self.usage = usage
        declared = Dictionary(options.map { ($0.name, $0) }) { first, _ in first }
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            if argument == "--" {
                positionals.append(contentsOf: rest)
                break
            }
            guard argument.hasPrefix("--") else {
                positionals.append(argument)
                continue
            }
            let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
            guard let option = declared[parts[0]] else {
                throw UsageError(message: "unknown option '\(parts[0])' for '\(command)'", usage: usage)
            }
            if values[option.name] != nil && !option.repeatable {
                throw UsageError(message: "option \(option.name) is given twice; give it once", usage: usage)
            }
            if option.value == nil {
                guard parts.count == 1 else { throw UsageError(message: "option \(option.name) takes no value", usage: usage) }
                values[option.name, default: []].append("")
            } else if parts.count == 2 {
                values[option.name, default: []].append(parts[1])
            } else {
                // `--out --quiet` forgot the value: an option's name is never taken as one.
                guard let value = rest.popFirst(), declared[String(value.split(separator: "=").first ?? "")] == nil else {
                    throw UsageError(message: "option \(option.name) needs a value \(option.value!)", usage: usage)
                }
                values[option.name, default: []].append(value)
            }
        }
    }

    /// These arguments, with every option of `defaults` that they do not give themselves (settings
    /// from a configuration file under those of the command line).
    func merging(defaults: ParsedArguments) -> ParsedArguments {
        var merged = self
        for (name, given) in defaults.values where merged.values[name] == nil { merged.values[name] = given }
        return merged
    }

    /// The declaration of `name`. Asking for an option the command does not declare is a programming
    /// error, caught at once rather than read as "not given".
    private func declaration(_ name: String) -> Option {
        guard let option = declared[name] else { fatalError("\(command) asks for option \(name), which it does not declare") }
        return option
    }

    /// Whether the command declares `name` (shared readers ask before reading an option some commands lack).
    func declares(_ name: String) -> Bool { declared[name] != nil }

    /// Whether a switch was given.
    func flag(_ name: String) -> Bool { _ = declaration(name); return values[name] != nil }

    /// Every value given for a repeatable option, in order.
    func strings(_ name: String) -> [String] { _ = declaration(name); return values[name] ?? [] }

    /// The last value given for an option, or nil.
    func string(_ name: String) -> String? { _ = declaration(name); return values[name]?.last }

    /// A text option's value, or its declared default when absent.
    func text(_ name: String) -> String {
        guard let value = string(name) ?? declaration(name).textDefault else { fatalError("\(command): option \(name) has no default") }
        return value
    }

    /// An integer option, within its declared range; `computed` when absent and declared without a default.
    func int(_ name: String, default computed: Int? = nil) throws -> Int {
        guard case let .integer(range, declaredDefault)? = declaration(name).numeric else {
            fatalError("\(command): option \(name) is not declared as an integer")
        }
        return try value(name, in: range, default: declaredDefault ?? computed, expected: "an integer") { Int($0) }
    }

    /// A real-number option, within its declared range; `computed` when absent and declared without a
    /// default. Only decimal notation is read (`3e-4`, `0.5`): hexadecimal floats, `inf` and `nan` are refused.
    func number(_ name: String, default computed: Double? = nil) throws -> Double {
        guard case let .real(range, declaredDefault)? = declaration(name).numeric else {
            fatalError("\(command): option \(name) is not declared as a number")
        }
        return try value(name, in: range, default: declaredDefault ?? computed, expected: "a number") { DecimalText.value(of: $0) }
    }

    /// The value of a numeric option as `parse` reads it, within `range`, or `defaultValue` when absent.
    private func value<T: Comparable>(_ name: String, in range: ClosedRange<T>, default defaultValue: T?, expected: String,
                                      parse: (String) -> T?) throws -> T {
        guard let text = string(name) else {
            guard let defaultValue else { fatalError("\(command): option \(name) has no default") }
            return defaultValue
        }
        guard let value = parse(text), range.contains(value) else {
            throw UsageError(message: "\(name) '\(text)': expected \(expected) in \(range.lowerBound)...\(range.upperBound)", usage: usage)
        }
        return value
    }

    /// An option naming one case of `T` by its raw value, or its declared default when absent.
    ///
    /// - Throws: `UsageError` listing the allowed names when the value names none.
    func choice<T: CaseIterable & RawRepresentable>(_ name: String, as type: T.Type) throws -> T where T.RawValue == String {
        let text = self.text(name)
        guard let value = T(rawValue: text) else {
            let names = T.allCases.map(\.rawValue)
            let allowed = names.count > 1 ? names.dropLast().joined(separator: ", ") + " or " + names.last! : names.joined()
            throw UsageError(message: "\(name) '\(text)': expected \(allowed)", usage: usage)
        }
        return value
    }

    /// The output mode chosen by `--json` / `--quiet` (human by default); quiet on every rank but rank 0
    /// of an mpirun job, which alone reports.
    var outputMode: OutputMode {
        guard Job.communicator.isRoot else { return .quiet }
        return values["--json"] != nil ? .json : values["--quiet"] != nil ? .quiet : .human
    }

    /// The console of this command, in its output mode.
    var console: Console { Console(mode: outputMode) }

    /// Fails when positional arguments were given to a command that takes none.
    func expectNoPositionals() throws {
        if let first = positionals.first {
            throw UsageError(message: "unexpected argument '\(first)' for '\(command)'", usage: usage)
        }
    }
}
