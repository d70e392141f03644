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
    /// it is a folder of the user's (`refuseForeignFolder`), unless the command claims each file it writes
    /// (`filesClaimedOneByOne`: `data split`, whose parts may go beside the user's files).
    ///
    /// - Throws: `RaiseError.file` naming the folder and what to do; the lock's error when another process
    ///   holds it.
    static func claimFolder(_ folder: String, finished marker: String?, arguments: ParsedArguments, hint: String = "",
                            filesClaimedOneByOne: Bool = false) throws {
        guard Job.isWritingRank else { return }
        if !filesClaimedOneByOne { try refuseForeignFolder(folder) }
        try FolderLock.holdForProcess(folder)
        if let marker, !arguments.flag("--force"), FileManager.default.fileExists(atPath: folder + "/" + marker) {
            throw RaiseError.file(path: folder, detail: "holds a finished result (\(marker)); raise does not replace it: "
                                  + (hint.isEmpty ? "" : hint + ", ") + "choose another --out, or pass --force to replace it")
        }
    }

    /// The files that tell a folder holding them as one a raise command made — each the first file its command
    /// writes there, or written before anything that a kill could leave alone: a benchmark's arguments and
    /// settings, a model's or policy's config.json and weights, a pretraining run's settings and resume state, a
    /// policy training's state and episodes, a tokenizer's vocabulary, a task suite's pool.
    static let madeByRaise: Set<String> = ["arguments.json", "settings.json", "config.json", "model.safetensors", "policy.safetensors",
                                            "run-settings.json", "resume.safetensors", "training-state.safetensors", "episodes.jsonl",
                                            "encoder.json", "pool.jsonl"]

    /// Refuses an output folder that holds files but none of `madeByRaise` (its lock file and the temporary files
    /// of killed writes aside): the user's own, whose files raise's outputs (a report.md, a results.csv) would
    /// replace. `--force` does not change this: it replaces raise's results, not the user's files.
    ///
    /// - Throws: `RaiseError.file` naming the folder and a few of its files.
    static func refuseForeignFolder(_ folder: String) throws {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }  // new (or no folder)
        let held = names.filter { $0 != FolderLock.fileName && !AtomicFile.isTemporary(name: $0) }.sorted()
        guard !held.isEmpty, !held.contains(where: madeByRaise.contains) else { return }
        let shown = held.prefix(3).joined(separator: ", ") + (held.count > 3 ? ", …" : "")
        throw RaiseError.file(path: folder, detail: "holds files and no raise output (\(shown)); raise writes only into a new or empty "
                              + "folder, or one it made, so that none of yours is replaced: choose another --out")
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
