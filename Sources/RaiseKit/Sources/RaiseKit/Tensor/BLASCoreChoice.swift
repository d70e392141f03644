// BLASCoreChoice: which OpenBLAS kernel set (its "core") a CPU can run, read from the CPU's feature flags,
// for when OpenBLAS's own choice falls short. A DYNAMIC_ARCH OpenBLAS picks its kernels by CPU model, and on a
// model newer than the library it can fall back to weaker ones: OpenBLAS 0.3.21 (Debian 12) runs the SSE3
// kernels of the Prescott on Xeons of family 6, model 207, which run its AVX-512 kernels 3–5× as fast. The
// levels are the order OpenBLAS itself falls back on when it finds no model (AVX-512, AVX2, AVX, SSE3). This
// only ever raises the choice to what the flags show; it never ranks cores of one level against each other.

/// The OpenBLAS core a CPU's instruction sets support, compared with the one OpenBLAS chose.
public enum BLASCoreChoice {
    /// The vector instruction sets OpenBLAS's x86-64 kernel sets are written for, weakest first.
    public enum Level: Int, Comparable, Sendable {
        case sse3, avx, avx2, avx512

        /// The core that stands for the level when raise asks OpenBLAS for one.
        public var coreName: String {
            switch self {
            case .sse3: "Prescott"
            case .avx: "Sandybridge"
            case .avx2: "Haswell"
            case .avx512: "SkylakeX"
            }
        }

        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }

    /// The x86-64 core names of OpenBLAS (as `openblas_get_corename()` spells them, compared in lower case) by level.
    private static let coreLevels: [String: Level] = {
        var levels = [String: Level]()
        for name in ["katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn", "dunnington",
                     "nehalem", "athlon", "opteron", "opteron(sse3)", "barcelona", "nano", "bobcat"] { levels[name] = .sse3 }
        for name in ["sandybridge", "bulldozer", "piledriver", "steamroller"] { levels[name] = .avx }
        for name in ["haswell", "excavator", "zen"] { levels[name] = .avx2 }
        for name in ["skylakex", "cooperlake", "sapphirerapids"] { levels[name] = .avx512 }
        return levels
    }()

    /// The level of OpenBLAS core `name`; nil for a name not known here (another architecture, a newer core).
    public static func level(ofCore name: String) -> Level? { coreLevels[name.lowercased()] }

    /// The highest level a CPU with these feature flags (as /proc/cpuinfo names them) runs.
    public static func level(ofFlags flags: Set<String>) -> Level {
        if ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains) { return .avx512 }
        if flags.contains("avx2") && flags.contains("fma") { return .avx2 }
        return flags.contains("avx") ? .avx : .sse3
    }

    /// The core to ask OpenBLAS for instead of `chosen`, or nil when `chosen` is as strong as the CPU allows
    /// (or is not an x86-64 core known here). The flags are read only when a stronger level exists.
    public static func better(than chosen: String, cpuFlags: @autoclosure () -> Set<String>) -> String? {
        guard let current = level(ofCore: chosen), current < .avx512 else { return nil }
        let possible = level(ofFlags: cpuFlags())
        return possible > current ? possible.coreName : nil
    }

    /// The feature flags of the first processor in the text of /proc/cpuinfo (empty when there is no `flags` line).
    public static func cpuFlags(cpuinfo: String) -> Set<String> {
        for line in cpuinfo.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        }
        return []
    }
}
