// `raise plugins list | info | check`: what plugins are installed, what parameters one takes, and
// whether a plugin spec (id plus parameters) is valid and creates its object.
import Foundation
import RaiseKit

/// The plugin inspection commands.
enum PluginsCommands {
    static let list = Command(
        words: ["plugins", "list"],
        summary: "list the plugins found on the search path: id, kind, version, file, description",
        arguments: "",
        options: [PluginOptions.pluginPath, CommonOptions.json],
        run: runList)

    static let info = Command(
        words: ["plugins", "info"],
        summary: "show one plugin's parameters: name, type, allowed values, default, doc",
        arguments: "ID",
        options: [PluginOptions.pluginPath, CommonOptions.json],
        run: runInfo)

    static let check = Command(
        words: ["plugins", "check"],
        summary: "check plugin specs (ID:NAME=VALUE,...): parameters valid and the object created",
        arguments: "SPEC...",
        options: [PluginOptions.pluginPath, CommonOptions.seed],
        run: runCheck)

    static func runList(_ arguments: ParsedArguments) throws -> Int32 {
        try arguments.expectNoPositionals()
        let start = Date()
        let plugins = try PluginOptions.load(arguments).plugins()
        let elapsed = Date().timeIntervalSince(start)
        if arguments.outputMode == .json {
            for entry in plugins {
                let f = entry.factory
                print(JSONValue.object(JSONObject([
                    ("id", .string(f.id)), ("kind", .string(f.kind.rawValue)), ("version", .string(f.version)),
                    ("path", .string(entry.path)), ("description", .string(f.summary)),
                ])).serialized)
            }
            return ExitCode.success
        }
        let idWidth = max(2, plugins.map(\.factory.id.count).max() ?? 0)
        print("ID".padding(toLength: idWidth + 2, withPad: " ", startingAt: 0) + "KIND      VERSION  DESCRIPTION")
        for entry in plugins {
            let f = entry.factory
            print(f.id.padding(toLength: idWidth + 2, withPad: " ", startingAt: 0)
                  + f.kind.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                  + f.version.padding(toLength: 9, withPad: " ", startingAt: 0) + f.summary)
            print(String(repeating: " ", count: idWidth + 2) + "from " + entry.path)
        }
        print("\(plugins.count) plugin(s), found and loaded in \(String(format: "%.1f", elapsed * 1000)) ms")
        return ExitCode.success
    }

    static func runInfo(_ arguments: ParsedArguments) throws -> Int32 {
        guard arguments.positionals.count == 1 else {
            throw UsageError(message: "'raise plugins info' takes one plugin ID", usage: arguments.usage)
        }
        let entry = try PluginOptions.load(arguments).plugin(arguments.positionals[0])
        let f = entry.factory
        if arguments.outputMode == .json {
            let parameters = f.parameters.map { p in
                JSONValue.object(JSONObject([
                    ("name", .string(p.name)), ("allowed", .string(p.type.allowed)),
                    ("default", p.defaultValue.map { .string($0.description) } ?? .null), ("doc", .string(p.doc)),
                ]))
            }
            print(JSONValue.object(JSONObject([
                ("id", .string(f.id)), ("kind", .string(f.kind.rawValue)), ("version", .string(f.version)),
                ("path", .string(entry.path)), ("description", .string(f.summary)), ("parameters", .array(parameters)),
            ])).serialized)
            return ExitCode.success
        }
        print("\(f.id) \(f.version) (\(f.kind.displayName)): \(f.summary)\nfrom \(entry.path)\n")
        if f.parameters.isEmpty {
            print("parameters: none")
        } else {
            print("parameters (set as \(f.id):NAME=VALUE,NAME=VALUE):")
            for p in f.parameters {
                let value = p.defaultValue.map { "default \($0)" } ?? "required"
                print("  \(p.name)  \(p.type.allowed); \(value)\n      \(p.doc)")
            }
        }
        return ExitCode.success
    }

    static func runCheck(_ arguments: ParsedArguments) throws -> Int32 {
        guard !arguments.positionals.isEmpty else {
            throw UsageError(message: "'raise plugins check' needs at least one SPEC", usage: arguments.usage)
        }
        let registry = try PluginOptions.load(arguments)
        let seed = try arguments.seed()
        for text in arguments.positionals {
            let spec = try PluginSpec(parsing: text, option: "plugins check")
            let kind = try registry.plugin(spec.id).factory.kind
            let made: AnyObject
            switch kind {
            case .model: made = try registry.make(spec, kind: kind, seed: seed, as: (any LanguageModel).self)
            case .feature: made = try registry.make(spec, kind: kind, seed: seed, as: (any FeatureExtractor).self)
            case .reward: made = try registry.make(spec, kind: kind, seed: seed, as: (any Reward).self)
            case .selector: made = try registry.make(spec, kind: kind, seed: seed, as: (any InstructionSelector).self)
            case .communicator: made = try registry.make(spec, kind: kind, seed: seed, as: (any Communicator).self)
            }
            print("ok: \(text) made a \(kind.displayName) (\(type(of: made)))")
        }
        return ExitCode.success
    }
}
