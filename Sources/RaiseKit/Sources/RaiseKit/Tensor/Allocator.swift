// Allocator: the only file that tunes glibc's allocator. By default glibc serves every large block with a
// mapping of its own, unmapped when it is freed, and gives the heap's free top back to the kernel past 128 KiB;
// either way the next training step pays page faults, and the kernel's zeroing of fresh pages, to get the memory
// again (a tenth of a TinyGPT step). Blocks up to 1 GiB come from the heap here, and the heap is never trimmed:
// a SmolLM2 training step frees more than a gigabyte of activations and gradients at once, and with the heap
// trimmed past 1 GiB, as it was, faults and zeroing took about 30% of that step.
@_implementationOnly import CAllocator

/// Process-wide allocator settings.
enum Allocator {
    /// Applied once, before the first tensor is allocated.
    static let keepFreedMemory: Void = {
        _ = mallopt(M_MMAP_THRESHOLD, 1 << 30)
        _ = mallopt(M_TRIM_THRESHOLD, -1)  // never trim
    }()

    /// The bytes the heap holds from the kernel, in use or free.
    static var heapBytes: Int { Int(mallinfo2().arena) }
}
