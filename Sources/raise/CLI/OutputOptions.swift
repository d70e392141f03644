// OutputOptions: what a command does before it writes anything, so that nothing the user has is lost.
// A folder output is new, empty or one raise made (a folder of the user's is refused, since raise's files
// could replace theirs); it is locked for the command's life (one raise process per folder); a finished result
// (a model, a policy, a scores or subset file) is not replaced unless `--force` says so (or `--resume`
// continues it); an output that is one of the command's inputs is refused outright.
import Foundation
import RaiseKit

/// The `--force` option and the checks every writing command makes on its `--out`.
enum OutputOptions {
    static let force = Option.flag("--force", "replace a finished result at --out (without it, raise refuses to)")

    /// Locks `folder` for this command (under mpirun, rank 0 alone writes and locks) and refuses when it
    /// holds a finished result — `finished` names the file that marks one — unless `--force` is given, or when
    /// it is a folder of the user's: one that holds files but none of `ownFiles`, the files by which a folder is
    /// known as this command's output (nil for a command that claims each file it writes: `data split`, whose
    /// parts may go beside the user's files).
    ///
    /// - Throws: `RaiseError.file` naming the folder and what to do; the lock's error when another process
    ///   holds it.
    static func claimFolder(_ folder: String, finished marker: String?, ownFiles: Set<String>?, arguments: ParsedArguments,
                            hint: String = "") throws {
        guard Job.isWritingRank else { return }
        if let ownFiles { try refuseForeignFolder(folder, ownFiles: ownFiles) }
        try FolderLock.holdForProcess(folder)
        if let marker, !arguments.flag("--force"), FileManager.default.fileExists(atPath: folder + "/" + marker) {
            throw RaiseError.file(path: folder, detail: "holds a finished result (\(marker)); raise does not replace it: "
                                  + (hint.isEmpty ? "" : hint + ", ") + "choose another --out, or pass --force to replace it")
        }
    }

    /// The files by which a folder is known as a raise output of each kind: the first file its command writes
    /// there, or one written before anything a kill could leave alone.
    static let benchFiles: Set<String> = ["arguments.json", "settings.json"]
    static let modelFiles: Set<String> = ["config.json", "model.safetensors", "run-settings.json", "resume.safetensors"]
    static let policyFiles: Set<String> = ["config.json", "policy.safetensors", "training-state.safetensors", "episodes.jsonl"]
    static let tokenizerFiles: Set<String> = ["encoder.json"]
    static let suiteFiles: Set<String> = ["pool.jsonl"]

    /// Refuses an output folder that holds files but none of `ownFiles` (its lock file and the temporary files of
    /// killed writes aside): the user's own, whose files this command's outputs (a report.md, a results.csv)
    /// would replace. `--force` does not change this: it replaces raise's results, not the user's files.
    ///
    /// - Throws: `RaiseError.file` naming the folder and a few of its files.
    static func refuseForeignFolder(_ folder: String, ownFiles: Set<String>) throws {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }  // new (or no folder)
        let held = names.filter { $0 != FolderLock.fileName && !AtomicFile.isTemporary(name: $0) }.sorted()
        guard !held.isEmpty, !held.contains(where: ownFiles.contains) else { return }
        let shown = held.prefix(3).joined(separator: ", ") + (held.count > 3 ? ", …" : "")
        throw RaiseError.file(path: folder, detail: "holds files and no output of this command (\(shown)); raise writes only into a new or "
                              + "empty folder, or one it made, so that none of yours is replaced: choose another --out")
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
