// FNV1a: the 64-bit FNV-1a hash behind raise's fingerprints, cache keys and checksums — stable across
// processes and machines (Swift's Hasher is seeded per process), fast, and not cryptographic.

/// A running FNV-1a hash.
struct FNV1a {
    /// The hash of what was added so far.
    private(set) var value: UInt64

    /// A hash starting from FNV's offset basis, or from `start` (to extend an earlier hash).
    init(start: UInt64 = 0xCBF2_9CE4_8422_2325) { value = start }

    /// Adds bytes, in order.
    mutating func add(_ bytes: some Sequence<UInt8>) {
        for byte in bytes { value = (value ^ UInt64(byte)) &* 0x100_0000_01B3 }
    }

    /// Adds the in-memory bytes of a plain value (an integer, a float's bit pattern).
    mutating func add<T>(bitsOf value: T) {
        withUnsafeBytes(of: value) { add($0) }
    }
}
