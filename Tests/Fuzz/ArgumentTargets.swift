// ArgumentTargets: what users type — plugin specs (`ifd:threshold=1.0,band=top`) and command lines.
// Properties: parsing never crashes; a spec that checks against a factory writes back (its canonical
// text) to a spec that checks to the same values; a command line either parses or is a usage error,
// and every option value goes through the parsers the commands use (numbers within their declared
// ranges), which return or throw.
import RaiseKit

/// A factory declaring one parameter of every type, the last one required.
let fuzzFactory = PluginFactory(
    id: "selector.fuzz", kind: .selector, version: "1", summary: "parameters of every type",
    parameters: [PluginParameter("count", .integer(1...100), default: "10", "an integer"),
                 PluginParameter("rate", .number(0...1), default: "0.5", "a number"),
                 PluginParameter("on", .boolean, default: "false", "a boolean"),
                 PluginParameter("band", .choice(["top", "bottom"]), default: "top", "a choice"),
                 PluginParameter("path", .text, default: nil, "text, required")],
    create: { _ in fatalError("never created") })

/// `plugin-spec`: parse, check against `fuzzFactory`, write canonically, parse and check again.
func fuzzPluginSpec(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    guard let spec = try? PluginSpec(parsing: text, option: "--selector"),
          let arguments = try? spec.arguments(for: fuzzFactory, seed: 7) else { return }
    let canonical = arguments.canonical
    guard let again = try? PluginSpec(parsing: canonical, option: "--selector").arguments(for: fuzzFactory, seed: 7) else {
        fatalError("property failed: canonical spec '\(canonical)' of '\(text)' does not parse")
    }
    fuzzCheck(again.values == arguments.values, "'\(text)' and its canonical '\(canonical)' differ")
}

/// Every command's usage text, rendered once.
let commandUsages = Host.commands.map(\.usage)

/// `cli`: the first byte picks a command, the rest split at NUL bytes is its argument list.
func fuzzCommandLine(_ bytes: [UInt8]) {
    guard let first = bytes.first else { return }
    let index = Int(first) % Host.commands.count
    let command = Host.commands[index]
    let words = bytes.dropFirst().split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    guard let parsed = try? ParsedArguments(words, options: command.options, command: "raise " + command.name, usage: commandUsages[index])
    else { return }
    if parsed.declares("--seed") { _ = try? parsed.seed() }
    _ = try? parsed.expectNoPositionals()
    for option in command.options {
        for value in parsed.strings(option.name) {
            _ = try? TrainingBudget(parsing: value)
            _ = try? PluginSpec(parsing: value, option: option.name)
            _ = try? ReadOptions.parseFields(value)
            _ = try? ReadOptions.parseFilter(value)
            _ = try? StateGroup.parseList(value, option: option.name)
            _ = try? DataCommands.splitParts(value, usage: commandUsages[index])
        }
        switch option.numeric {  // read as the command reads it: within the declared range, a default when absent
        case .integer?: _ = try? parsed.int(option.name, default: 0)
        case .real?: _ = try? parsed.number(option.name, default: 0)
        case nil: break
        }
    }
}
