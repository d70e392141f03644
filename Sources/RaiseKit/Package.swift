// swift-tools-version:6.0
// RaiseKit: the core library that the `raise` host and every plugin link as ONE shared copy.
// It is a package of its own (not a target of the root package) so that SwiftPM builds it as a
// single libRaiseKit.so instead of linking a private static copy into each binary.
import PackageDescription

/// The kernels are compiled for the CPU of the building machine (AVX2 and AVX-512 where present, as
/// llama.cpp does by default): raise is built where it runs. RAISE_PORTABLE=1 builds for the baseline
/// of the architecture instead, for binaries carried to other machines.
let cpuSettings: [SwiftSetting] = Context.environment["RAISE_PORTABLE"] == "1" ? [] : [.unsafeFlags(["-target-cpu", "native"])]

let package = Package(
    name: "RaiseKit",
    products: [
        .library(name: "RaiseKit", type: .dynamic, targets: ["RaiseKit"])
    ],
    targets: [
        // OpenBLAS's cblas interface, found through pkg-config (Debian: libopenblas-dev).
        .systemLibrary(
            name: "CBLAS",
            path: "Sources/CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "pkg-config"])]
        ),
        // glibc's mallopt, to keep freed tensor memory in the heap (no link: it is part of libc).
        .systemLibrary(name: "CAllocator", path: "Sources/CAllocator"),
        // zlib and Zstandard, for the GZIP and ZSTD pages of Parquet files (Debian: zlib1g-dev, libzstd-dev).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .target(
            name: "RaiseKit",
            dependencies: ["CBLAS", "CAllocator", "CZlib", "CZstd"],
            path: "Sources/RaiseKit",
            swiftSettings: cpuSettings
        ),
    ]
)
