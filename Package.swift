// swift-tools-version:6.0
// raise: the host executable, its plugins and the test suite. The core library lives in its own
// package at Sources/RaiseKit so that the host and every plugin link one shared libRaiseKit.so.
// Plugin products are named RaisePlugin<Name>, so their files match the host's scan pattern
// libRaisePlugin*.so; test fixtures are named RaiseFixture<Name> and are only loaded by path.
import PackageDescription

let core = Target.Dependency.product(name: "RaiseKit", package: "RaiseKit")

/// A plugin folder under Plugins/ built as the shared library libRaisePlugin<name>.so.
func plugin(_ name: String) -> (Product, Target) {
    (.library(name: "RaisePlugin" + name, type: .dynamic, targets: [name]),
     .target(name: name, dependencies: [core], path: "Plugins/" + name))
}

/// A deliberately good or broken plugin under Tests/PluginFixtures/, built as libRaiseFixture<name>.so.
func fixture(_ name: String) -> (Product, Target) {
    (.library(name: "RaiseFixture" + name, type: .dynamic, targets: ["Fixture" + name]),
     .target(name: "Fixture" + name, dependencies: [core], path: "Tests/PluginFixtures/" + name))
}

/// The OpenMPI engine, `communicator.mpi`: built only with RAISE_MPI=1 (`make test-mpi`), so that the
/// default build needs no MPI. Its C module (OpenMPI's handles as functions) sits beside its Swift.
let mpi = Context.environment["RAISE_MPI"] == "1"
let mpiProducts: [Product] = mpi ? [.library(name: "RaisePluginMPI", type: .dynamic, targets: ["MPI"])] : []
let mpiTargets: [Target] = mpi ? [
    .target(name: "MPI", dependencies: [core, "CMPI"], path: "Plugins/MPI/Swift"),
    .systemLibrary(name: "CMPI", path: "Plugins/MPI/CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
] : []

let plugins = [plugin("BaselineSelectors"), plugin("Features"), plugin("TinyGPT"), plugin("Llama"), plugin("Bert"), plugin("Rewards"),
               plugin("RaiseSelector")]
let fixtures = [fixture("Probe"), fixture("WrongABI"), fixture("NoEntry"), fixture("FailingRegistration")]

let package = Package(
    name: "raise",
    products: [.executable(name: "raise", targets: ["raise"])] + (plugins + fixtures).map(\.0) + mpiProducts,
    dependencies: [
        .package(path: "Sources/RaiseKit")
    ],
    targets: [
        .executableTarget(
            name: "raise",
            dependencies: [core],
            path: "Sources/raise",
            // An installed raise finds libRaiseKit.so in ../lib/raise (see `make install`).
            linkerSettings: [.unsafeFlags(["-Xlinker", "-rpath=$ORIGIN/../lib/raise"])]
        ),
        // What both test targets share: paths, scratch folders, running raise, the tiny suite.
        .target(name: "RaiseTestSupport", dependencies: [core], path: "Tests/Support"),
        // Unit tests: the core and the plugins in process.
        .testTarget(name: "RaiseKitTests", dependencies: [core, "RaiseTestSupport"], path: "Tests/RaiseKitTests"),
        // End-to-end tests: the built raise executable run as a user runs it.
        .testTarget(name: "EndToEndTests", dependencies: [core, "RaiseTestSupport"], path: "Tests/EndToEndTests"),
    ] + (plugins + fixtures).map(\.1) + mpiTargets
)
