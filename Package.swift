// swift-tools-version:6.0
// raise: the host executable, its plugins and the test suite. The core library lives in its own
// package at Sources/RaiseKit so that the host and every plugin link one shared libRaiseKit.so.
import PackageDescription

let package = Package(
    name: "raise",
    products: [
        .executable(name: "raise", targets: ["raise"])
    ],
    dependencies: [
        .package(path: "Sources/RaiseKit")
    ],
    targets: [
        .executableTarget(
            name: "raise",
            dependencies: [.product(name: "RaiseKit", package: "RaiseKit")],
            path: "Sources/raise"
        ),
        .testTarget(
            name: "RaiseKitTests",
            dependencies: [.product(name: "RaiseKit", package: "RaiseKit")],
            path: "Tests/RaiseKitTests"
        ),
    ]
)
