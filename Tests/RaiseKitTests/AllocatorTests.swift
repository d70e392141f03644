// AllocatorTests: memory a training step frees stays with the process, so that the next step reuses its pages
// instead of faulting in, and zeroing, fresh ones.
@testable import RaiseKit
import XCTest

final class AllocatorTests: XCTestCase {
    func testFreeingMoreThanAGigabyteGivesNothingBackToTheKernel() {
        _ = Tensor(zeros: [1])  // the allocator is set up with the first tensor
        var held: [Tensor] = (0..<3).map { _ in Tensor(uninitialized: [(400 << 20) / MemoryLayout<Float>.size]) }  // never touched
        let allocated = Allocator.heapBytes
        XCTAssertEqual(held.count, 3)
        held.removeAll()
        XCTAssertEqual(Allocator.heapBytes, allocated, "freeing 1.2 GB gave heap memory back to the kernel")
    }
}
