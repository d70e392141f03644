// Host: finds the command named on the command line, parses its options and runs it. Help for the
// whole tool, for a group of commands (`raise bench`) and for each command is rendered here.
import RaiseKit

/// The command dispatcher of the `raise` executable.
enum Host {
    /// Every command, in the order `raise --help` lists them.
    static let commands: [Command] = [
        BenchRunCommand.command,
        BenchEvaluateCommand.command,
        BenchKernelsCommand.command,
        BenchTokenizerCommand.command,
        BenchTrainCommand.command,
        BenchSelectionCommand.command,
        BenchPerfCommand.command,
        DemoCommand.command,
        PluginsCommands.list,
        PluginsCommands.info,
        PluginsCommands.check,
        TokenizerTrainCommand.command,
        DataCommands.synth,
        DataCommands.stats,
        DataCommands.split,
        DataCommands.disjoint,
        PretrainCommand.command,
        FinetuneCommand.command,
        EvaluateCommand.command,
        ScoreCommand.command,
        SelectCommand.command,
        TrainSelectorCommand.command,
        ExplainCommand.command,
        CacheCommands.info,
        CacheCommands.prune,
    ]

    /// Runs the command line `arguments` (without the program name); returns the exit code.
    static func run(_ arguments: [String]) -> Int32 {
        if arguments.isEmpty {
            Console.line(overview)
            return ExitCode.usage
        }
        if arguments == ["--help"] || arguments == ["help"] {
            print(overview, terminator: "")
            return ExitCode.success
        }
        if arguments == ["--version"] {
            print("raise \(RaiseKitVersion.string)")
            return ExitCode.success
        }
        let match = commands.filter { arguments.starts(with: $0.words) }.max { $0.words.count < $1.words.count }
        guard let command = match else { return reportUnknown(arguments) }
        let rest = Array(arguments.dropFirst(command.words.count))
        if rest.contains("--help") {
            print(command.usage, terminator: "")
            return ExitCode.success
        }
        let lockedBefore = FolderLock.heldFolders  // a command run by another (the demo's stages) releases only its own
        defer { FolderLock.release(keeping: lockedBefore) }
        do {
            try Job.check(command: command.name)
            let parsed = try ParsedArguments(rest, options: command.options, command: "raise " + command.name,
                                             usage: command.usage)
            let code = try command.run(parsed)
            Job.communicator.finish()
            return code
        } catch {
            // Read from the words themselves: the error may be in parsing them.
            let code = ExitCode.report(error, mode: rest.contains("--json") ? .json : .human)
            // Under mpirun, a failed rank ends every rank: none may wait for it in a collective.
            if Job.communicator.size > 1 { Job.communicator.abort(code: code) }
            return code
        }
    }

    /// `raise --help`: what raise is and one line per command.
    static var overview: String {
        var text = """
            raise \(RaiseKitVersion.string): dynamic, task-driven instruction selection for fine-tuning language models

            usage: raise <command> [options]      raise <command> --help for its options

            commands:

            """
        let width = commands.map(\.name.count).max() ?? 0
        for command in commands {
            text += "  " + command.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + command.summary + "\n"
        }
        text += "\nglobal options:\n  --help     show help\n  --version  print the version\n"
        return text
    }

    /// An unknown command, or a group word such as `bench` without its subcommand.
    private static func reportUnknown(_ arguments: [String]) -> Int32 {
        let group = commands.filter { $0.words.count > 1 && $0.words.first == arguments[0] }
        guard !group.isEmpty else {
            Console.line("raise: error: unknown command '\(arguments[0])'\n\n\(overview)")
            return ExitCode.usage
        }
        var text = "usage: raise \(arguments[0]) <command> [options]\n\ncommands:\n"
        for command in group { text += "  \(command.name)  \(command.summary)\n" }
        if arguments.count == 2 && arguments[1] == "--help" {
            print(text, terminator: "")
            return ExitCode.success
        }
        let problem = arguments.count > 1 ? "unknown command '\(arguments[0]) \(arguments[1])'" : "'\(arguments[0])' needs a command"
        Console.line("raise: error: \(problem)\n\n\(text)")
        return ExitCode.usage
    }
}
