// OutputOptions: what a command does before it writes anything, so that nothing the user has is lost.
// A folder output is locked for the command's life (one raise process per folder); a finished result
// (a model, a policy, a scores or subset file) is not replaced unless `--force` says so (or `--resume`
// continues it); an output that is one of the command's inputs is refused outright.
import Foundation
import RaiseKit

/// The `--force` option and the checks every writing command makes on its `--out`.
enum OutputOptions {
    static let force = Option.flag("--force", "replace a finished result at --out (without it, raise refuses to)")

    /// Locks `folder` for this command (under mpirun, rank 0 alone writes and locks) and refuses when it
    /// holds a finished result — `finished` names the file that marks one — unless `--force` is given.
    ///
    /// - Throws: `RaiseError.file` naming the folder and what to do; the lock's error when another process
    ///   holds it.
    static func claimFolder(_ folder: String, finished marker: String?, arguments: ParsedArguments, hint: String = "") throws {
        guard Job.isWritingRank else { return }
        try FolderLock.holdForProcess(folder)
        if let marker, !arguments.flag("--force"), FileManager.default.fileExists(atPath: folder + "/" + marker) {
            throw RaiseError.file(path: folder, detail: "holds a finished result (\(marker)); raise does not replace it: "
                                  + (hint.isEmpty ? "" : hint + ", ") + "choose another --out, or pass --force to replace it")
        }
    }

    /// Refuses a file output that is one of `inputs`, or that already holds a result and `--force` is not
    /// given. A device, FIFO or `/dev/stdout` is always a fine output.
    ///
    /// - Throws: `RaiseError.file` naming the output and the input it is.
    static func claimFile(_ path: String, inputs: [String], arguments: ParsedArguments) throws {
        guard let existing = AtomicFile.existingFile(at: path) else { return }
        var output = stat()
        if stat(existing, &output) == 0 {
            for input in inputs {
                var info = stat()
                if stat(input, &info) == 0, info.st_dev == output.st_dev, info.st_ino == output.st_ino {
                    throw RaiseError.file(path: path, detail: "is also an input (\(input)); raise never writes over its input: choose another --out")
                }
            }
        }
        guard arguments.flag("--force") else {
            throw RaiseError.file(path: path, detail: "exists already; raise does not replace it: choose another --out, or pass --force to replace it")
        }
    }
}
