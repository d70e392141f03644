// MPI: the plugin library of `communicator.mpi`, raise's engine for jobs of several processes under
// `mpirun` (OpenMPI). Built only with RAISE_MPI=1 (`make test-mpi`), so that the default build needs
// no MPI. This file is its C entry point and its factory.
import RaiseKit

/// Exported for the host: the ABI version this library was built against.
@_cdecl("raise_plugin_abi_version")
public func raisePluginABIVersion() -> UInt32 { PluginABI.version }

/// Exported for the host: the +1-retained entry object.
@_cdecl("raise_plugin_entry")
public func raisePluginEntry() -> UnsafeMutableRawPointer { PluginABI.export(MPIPlugin()) }

final class MPIPlugin: RaisePlugin {
    func register(into registrar: PluginRegistrar) throws {
        try registrar.add(PluginFactory(
            id: "communicator.mpi", kind: .communicator, version: "1.0.0",
            summary: "OpenMPI's MPI_COMM_WORLD: the ranks mpirun started",
            parameters: [],
            create: { _ in try MPICommunicator() }))
    }
}
