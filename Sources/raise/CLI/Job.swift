// Job: the processes of this raise run. A run started by `mpirun -np N` (N > 1) joins its job through
// the `communicator.mpi` plugin; any other run is a job of one process. Commands that share their work
// across ranks are listed here (score: sharded passes; pretrain, finetune: data-parallel steps;
// train-selector: the episodes of each update); any other command refuses to run N times side by side.
import Foundation
import RaiseKit

/// The job this process belongs to.
enum Job {
    /// This process's communicator: `SingleProcess` until `join` finds an MPI job.
    nonisolated(unsafe) static var communicator: any Communicator = SingleProcess()

    /// The commands that share their work across the ranks of an MPI job.
    static let distributedCommands: Set<String> = ["score", "pretrain", "finetune", "train-selector"]

    /// The number of processes `mpirun` started (OpenMPI's environment), or 1.
    static var launchedSize: Int { ProcessEnvironment.value("OMPI_COMM_WORLD_SIZE").flatMap(Int.init) ?? 1 }

    /// Whether this process writes the outputs: the only process, or rank 0 of an mpirun job (known from
    /// OpenMPI's environment before the job is joined).
    static var isWritingRank: Bool { (ProcessEnvironment.value("OMPI_COMM_WORLD_RANK").flatMap(Int.init) ?? 0) == 0 }

    /// Ranks `mpirun` started on this machine, which share its cores (OpenMPI's environment), or 1.
    static var localSize: Int { ProcessEnvironment.value("OMPI_COMM_WORLD_LOCAL_SIZE").flatMap(Int.init) ?? 1 }

    /// Refuses, under `mpirun` with several ranks, a command that would only run N times side by side.
    static func check(command: String) throws {
        guard launchedSize > 1, !distributedCommands.contains(command) else { return }
        throw RaiseError.invalidArgument(name: "mpirun", detail: "raise \(command) does not share its work across ranks; run it as one process "
                                         + "(under mpirun: \(distributedCommands.sorted().map { "raise " + $0 }.joined(separator: ", ")))")
    }

    /// Checks that every rank holds the same `value` (e.g. the step a run resumes at, read from a folder
    /// each rank must see).
    ///
    /// - Throws: `RaiseError.invalidArgument` naming `what` when the ranks disagree.
    static func requireAgreement(on value: Int, what: String) throws {
        guard communicator.size > 1 else { return }
        let values = try communicator.allGather([Float(value)])
        guard Set(values).count == 1 else {
            throw RaiseError.invalidArgument(name: "mpirun", detail: "the ranks disagree on \(what): \(values.map { Int($0) }); "
                                             + "every rank must see the same files")
        }
    }

    /// Joins the MPI job when `mpirun` started several processes: makes `communicator.mpi` from
    /// `registry` and, unless `threadsSet`, gives each rank its share of this machine's cores.
    ///
    /// - Throws: `RaiseError.invalidArgument` when the MPI plugin is not built.
    static func join(registry: PluginRegistry, threadsSet: Bool) throws {
        guard launchedSize > 1, communicator.size == 1 else { return }
        guard (try? registry.plugin("communicator.mpi", kind: .communicator)) != nil else {
            throw RaiseError.invalidArgument(name: "mpirun", detail: "raise runs under mpirun (\(launchedSize) ranks) but the communicator.mpi plugin "
                                             + "is not built: `make test-mpi`, or `RAISE_MPI=1 swift build -c release`")
        }
        communicator = try registry.make(PluginSpec(parsing: "communicator.mpi", option: "mpirun"), kind: .communicator, seed: 0,
                                         as: (any Communicator).self)
        if !threadsSet { BLAS.threads = max(1, ProcessInfo.processInfo.activeProcessorCount / localSize) }
    }
}
