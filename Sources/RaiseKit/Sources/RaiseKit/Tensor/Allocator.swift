// Allocator: the only file that tunes glibc's allocator. By default glibc hands every large freed block
// back to the kernel, so each activation of the next training step pays page faults to get it again
// (a tenth of a TinyGPT step was spent there). Raising the mmap and trim thresholds keeps it.
@_implementationOnly import CAllocator

/// Process-wide allocator settings.
enum Allocator {
    /// Applied once, before the first tensor is allocated.
    static let keepFreedMemory: Void = {
        _ = mallopt(M_MMAP_THRESHOLD, 1 << 30)
        _ = mallopt(M_TRIM_THRESHOLD, 1 << 30)
    }()
}
