// PluginOptions: `--plugin-path`, shared by every command that uses plugins, and the one function that
// loads the plugins a command line asks for (printing skipped files as warnings on stderr) — and, under
// mpirun, joins the MPI job with them.
import Foundation
import RaiseKit

/// Loading plugins for a command.
enum PluginOptions {
    static let pluginPath = Option.values(
        "--plugin-path", "PATH", "a plugin directory or .so file, searched before $RAISE_PLUGIN_PATH (repeatable)")

    /// A registry holding every plugin on the search path of this command line.
    ///
    /// - Throws: `PluginError` for a plugin path the user named that is missing or bad.
    static func load(_ arguments: ParsedArguments) throws -> PluginRegistry {
        let registry = PluginRegistry()
        let loader = PluginLoader(registry: registry)
        try loader.loadAll(pluginPaths: arguments.strings("--plugin-path"),
                           environment: ProcessEnvironment.value("RAISE_PLUGIN_PATH"),
                           executablePath: executablePath)
        for warning in loader.warnings { arguments.console.warning(warning) }
        try Job.join(registry: registry, threadsSet: (arguments.declares("--threads") && arguments.string("--threads") != nil) || ProcessEnvironment.value("RAISE_THREADS") != nil)
        return registry
    }

    /// The running executable, resolved through /proc (argv[0] may be a bare name found on PATH).
    static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
