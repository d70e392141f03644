// MPICommunicator: raise's collectives over OpenMPI's MPI_COMM_WORLD. MPI is initialised once per
// process, on first use, and keeps its default error handler (errors are fatal to the whole job), so
// that a failure on one rank never leaves the others waiting.
import CMPI
import Foundation
import RaiseKit

/// A `Communicator` over OpenMPI.
final class MPICommunicator: Communicator {
    let rank: Int
    let size: Int

    /// Joins the job `mpirun` started (MPI_Init on first use).
    init() throws {
        // OpenMPI loads components of its own that need its symbols global; raise loaded it with this
        // plugin, privately, so make them global first.
        _ = dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD)
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        if initialized == 0 {
            guard MPI_Init(nil, nil) == MPI_SUCCESS else {
                throw RaiseError.invalidArgument(name: "communicator.mpi", detail: "MPI_Init failed (is this process started by mpirun?)")
            }
        }
        var (rank, size): (Int32, Int32) = (0, 0)
        MPI_Comm_rank(raise_mpi_world(), &rank)
        MPI_Comm_size(raise_mpi_world(), &size)
        (self.rank, self.size) = (Int(rank), Int(size))
    }

    func allGather(_ values: [Float]) throws -> [Float] {
        let bytes = values.withUnsafeBytes { Array($0) }  // Float32s, native order: every rank runs this binary
        return try allGather(bytes: bytes).flatMap { part in
            part.withUnsafeBytes { raw in (0..<raw.count / 4).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) } }
        }
    }

    /// `count` as MPI's Int32 element count.
    private func messageCount(_ count: Int, _ what: String) throws -> Int32 {
        guard let count = Int32(exactly: count) else {
            throw RaiseError.invalidArgument(name: "MPI \(what)", detail: "\(count) elements exceed one message")
        }
        return count
    }

    func allGather(bytes: [UInt8]) throws -> [[UInt8]] {
        var count = try messageCount(bytes.count, "all-gather")
        var counts = [Int32](repeating: 0, count: size)
        MPI_Allgather(&count, 1, raise_mpi_int(), &counts, 1, raise_mpi_int(), raise_mpi_world())
        var offsets = [Int32](repeating: 0, count: size)
        for r in 1..<max(size, 1) { offsets[r] = offsets[r - 1] + counts[r - 1] }
        var out = [UInt8](repeating: 0, count: Int(counts.reduce(0, +)))
        var local = bytes
        MPI_Allgatherv(&local, count, raise_mpi_byte(), &out, counts, offsets, raise_mpi_byte(), raise_mpi_world())
        return (0..<size).map { Array(out[Int(offsets[$0])..<Int(offsets[$0] + counts[$0])]) }
    }

    func broadcast(_ bytes: [UInt8]) throws -> [UInt8] {
        var count = try messageCount(bytes.count, "broadcast")
        MPI_Bcast(&count, 1, raise_mpi_int(), 0, raise_mpi_world())
        var buffer = isRoot ? bytes : [UInt8](repeating: 0, count: Int(count))
        MPI_Bcast(&buffer, count, raise_mpi_byte(), 0, raise_mpi_world())
        return buffer
    }

    func allReduceSum(_ values: UnsafeMutablePointer<Float>, count: Int) throws {
        let count = try messageCount(count, "all-reduce")
        MPI_Allreduce(raise_mpi_in_place(), values, count, raise_mpi_float(), raise_mpi_sum(), raise_mpi_world())
    }

    func abort(code: Int32) -> Never {
        MPI_Abort(raise_mpi_world(), code)
        exit(code)
    }

    func finish() {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized == 0 { MPI_Finalize() }
    }
}
