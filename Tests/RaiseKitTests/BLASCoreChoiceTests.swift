// BLASCoreChoice: the level a CPU's flags allow, the core raise asks for when OpenBLAS chose a weaker one,
// and the flags read from /proc/cpuinfo's text.
import RaiseKit
import XCTest

final class BLASCoreChoiceTests: XCTestCase {
    private let avx512: Set<String> = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]

    func testTheFlagsSetTheLevel() {
        XCTAssertEqual(BLASCoreChoice.level(ofFlags: avx512), .avx512)
        XCTAssertEqual(BLASCoreChoice.level(ofFlags: avx512.subtracting(["avx512vl"])), .avx2)  // AVX-512 without VL: not SkylakeX's
        XCTAssertEqual(BLASCoreChoice.level(ofFlags: ["sse3", "avx", "avx2", "fma"]), .avx2)
        XCTAssertEqual(BLASCoreChoice.level(ofFlags: ["sse3", "avx", "avx2"]), .avx)  // Haswell's kernels need FMA too
        XCTAssertEqual(BLASCoreChoice.level(ofFlags: ["sse3"]), .sse3)
        XCTAssertEqual(BLASCoreChoice.level(ofFlags: []), .sse3)
    }

    func testOnlyAWeakerKnownCoreIsRaised() {
        XCTAssertEqual(BLASCoreChoice.better(than: "Prescott", cpuFlags: avx512), "SkylakeX")
        XCTAssertEqual(BLASCoreChoice.better(than: "PRESCOTT", cpuFlags: avx512), "SkylakeX")
        XCTAssertEqual(BLASCoreChoice.better(than: "Haswell", cpuFlags: avx512), "SkylakeX")
        XCTAssertEqual(BLASCoreChoice.better(than: "Nehalem", cpuFlags: ["avx", "avx2", "fma"]), "Haswell")
        XCTAssertNil(BLASCoreChoice.better(than: "Zen", cpuFlags: ["avx", "avx2", "fma"]))  // the same level: OpenBLAS knows better
        XCTAssertNil(BLASCoreChoice.better(than: "Cooperlake", cpuFlags: avx512))
        XCTAssertNil(BLASCoreChoice.better(than: "SkylakeX", cpuFlags: ["avx", "avx2", "fma"]))  // never lowered
        XCTAssertNil(BLASCoreChoice.better(than: "NEOVERSEN1", cpuFlags: avx512))  // not an x86-64 core known here
    }

    func testTheFlagsComeFromTheFirstFlagsLine() {
        let cpuinfo = """
            processor\t: 0
            vendor_id\t: GenuineIntel
            flags\t\t: fpu sse3 avx avx2 fma avx512f avx512cd avx512bw avx512dq avx512vl
            bugs\t\t: spectre_v1

            processor\t: 1
            flags\t\t: fpu sse3
            """
        XCTAssertEqual(BLASCoreChoice.cpuFlags(cpuinfo: cpuinfo), avx512.union(["fpu"]))
        XCTAssertEqual(BLASCoreChoice.cpuFlags(cpuinfo: "processor\t: 0\nFeatures\t: fp asimd\n"), [])
    }
}
