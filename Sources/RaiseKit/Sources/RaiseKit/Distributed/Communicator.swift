// Communicator: how the processes of one raise job talk — their ranks and the few collectives raise
// uses. One process is `SingleProcess`; under `mpirun` the `comm.mpi` plugin (built with RAISE_MPI=1)
// gives one over OpenMPI. Every rank calls the same collectives in the same order; a rank that fails
// calls `abort`, which ends every rank, so that no rank waits forever for one that is gone.
import Foundation

/// The processes of one job and their collectives.
public protocol Communicator: AnyObject {
    /// This process's index, 0..<size; rank 0 writes outputs.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// Every rank's `values` concatenated in rank order, on every rank (lengths may differ).
    func allGather(_ values: [Float]) throws -> [Float]
    /// Every rank's `bytes`, in rank order, on every rank.
    func allGather(bytes: [UInt8]) throws -> [[UInt8]]
    /// Rank 0's `bytes` on every rank (the others pass anything, e.g. []).
    func broadcast(_ bytes: [UInt8]) throws -> [UInt8]
    /// Replaces `values` with the elementwise sum of every rank's, on every rank.
    func allReduceSum(_ values: UnsafeMutablePointer<Float>, count: Int) throws
    /// Ends every rank of the job with `code`, at once.
    func abort(code: Int32) -> Never
    /// Ends this rank's part cleanly; no collective may follow.
    func finish()
}

/// A job of one process: every collective is the identity.
public final class SingleProcess: Communicator {
    public let rank = 0
    public let size = 1

    /// The communicator of a job of one process.
    public init() {}

    public func allGather(_ values: [Float]) throws -> [Float] { values }
    public func allGather(bytes: [UInt8]) throws -> [[UInt8]] { [bytes] }
    public func broadcast(_ bytes: [UInt8]) throws -> [UInt8] { bytes }
    public func allReduceSum(_ values: UnsafeMutablePointer<Float>, count: Int) throws {}
    public func abort(code: Int32) -> Never { exit(code) }
    public func finish() {}
}

extension Communicator {
    /// Whether this is rank 0, the one that writes outputs and prints results.
    public var isRoot: Bool { rank == 0 }

    /// The rows of `count` this rank takes when work is shared: a contiguous range, cut at multiples of
    /// `block` so that each rank batches its rows as one process would.
    public func shard(_ count: Int, block: Int) -> Range<Int> {
        let blocks = (count + block - 1) / block
        let (first, last) = (rank * blocks / size, (rank + 1) * blocks / size)
        return min(first * block, count)..<min(last * block, count)
    }

    /// Rank 0's feature columns (or nil) on every rank, sent as safetensors bytes.
    public func broadcast(columns: [String: [Float]]?) throws -> [String: [Float]]? {
        var bytes = [UInt8]()
        if isRoot, let columns {
            bytes = [UInt8](Safetensors.encode(columns.keys.sorted().map { ($0, Tensor(shape: [columns[$0]!.count], values: columns[$0]!)) }))
        }
        bytes = try broadcast(bytes)
        guard !bytes.isEmpty else { return nil }
        return try Safetensors.decode(Data(bytes), path: "columns from rank 0").tensors.mapValues(\.scalars)
    }
}
