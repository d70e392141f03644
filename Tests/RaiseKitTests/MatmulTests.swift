// Matmul against a naive triple loop, for every transpose combination, odd shapes, batches and a
// shared right-hand matrix; and its gradients against finite differences. The worker threads that split
// products: concurrent and sleeping regions.
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class MatmulTests: XCTestCase {
    /// C = op(A) op(B) by definition, in Double.
    private func naive(_ a: Tensor, _ b: Tensor, m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let x = transposeA ? a.data[p * m + i] : a.data[i * k + p]
                    let y = transposeB ? b.data[j * k + p] : b.data[p * n + j]
                    sum += Double(x) * Double(y)
                }
                c[i * n + j] = Float(sum)
            }
        }
        return c
    }

    func testEveryTransposeCombinationMatchesNaiveLoop() {
        for (m, n, k) in [(1, 1, 1), (3, 5, 7), (17, 4, 9), (64, 33, 65)] {
            for transposeA in [false, true] {
                for transposeB in [false, true] {
                    let a = randomTensor(transposeA ? [k, m] : [m, k], seed: 1)
                    let b = randomTensor(transposeB ? [n, k] : [k, n], seed: 2)
                    let c = a.matmul(b, transposeA: transposeA, transposeB: transposeB)
                    XCTAssertEqual(c.shape, [m, n])
                    assertClose(c.scalars, naive(a, b, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB),
                                tolerance: 1e-4)
                }
            }
        }
    }

    func testBatchedAndSharedRightHandSide() {
        let a = randomTensor([2, 3, 4, 5], seed: 3)
        let b = randomTensor([2, 3, 5, 6], seed: 4)
        let shared = randomTensor([5, 6], seed: 5)
        let batched = a.matmul(b)
        let broadcast = a.matmul(shared)
        XCTAssertEqual(batched.shape, [2, 3, 4, 6])
        XCTAssertEqual(broadcast.shape, [2, 3, 4, 6])
        for i in 0..<6 {
            let ai = a.reshaped([6, 4, 5]).row(i)
            assertClose(batched.reshaped([6, 4, 6]).row(i).scalars,
                        naive(ai, b.reshaped([6, 5, 6]).row(i), m: 4, n: 6, k: 5, transposeA: false, transposeB: false),
                        tolerance: 1e-5)
            assertClose(broadcast.reshaped([6, 4, 6]).row(i).scalars,
                        naive(ai, shared, m: 4, n: 6, k: 5, transposeA: false, transposeB: false), tolerance: 1e-5)
        }
    }

    func testGradientsForEveryTransposeCombination() throws {
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                let a = randomTensor(transposeA ? [4, 3] : [3, 4], seed: 6)
                let b = randomTensor(transposeB ? [5, 4] : [4, 5], seed: 7)
                try assertGradientsMatch([a, b]) { tape, v in
                    tape.matmul(v[0], v[1], transposeA: transposeA, transposeB: transposeB)
                }
            }
        }
    }

    func testGradientsOfBatchedProducts() throws {
        try assertGradientsMatch([randomTensor([2, 3, 4], seed: 8), randomTensor([2, 4, 2], seed: 9)]) { tape, v in
            tape.matmul(v[0], v[1])
        }
        try assertGradientsMatch([randomTensor([2, 4, 3], seed: 10), randomTensor([2, 4], seed: 11)]) { tape, v in
            tape.matmul(v[0], v[1], transposeA: true, transposeB: true)
        }
        try assertGradientsMatch([randomTensor([2, 3, 4], seed: 12), randomTensor([5, 4], seed: 13)]) { tape, v in
            tape.matmul(v[0], v[1], transposeB: true)
        }
    }
}

/// The runtime's worker threads: split products from two threads at once (one of them runs its regions on its
/// own thread while the other holds the workers), and regions after pauses long enough for the workers to fall
/// asleep, all give the product computed on one thread. The pool first grows to more workers than the later
/// regions have parts, so that several workers sleep and wake at once: with one semaphore shared by them, a
/// worker's wake-up could be taken by another and a region would wait forever (this test hung 4 runs in 5).
final class WorkerPoolTests: XCTestCase {
    func testConcurrentAndSleepingRegionsComputeEveryPart() {
        let saved = BLAS.threads
        defer { BLAS.threads = saved }
        let (a, b) = (randomTensor([256, 192], seed: 1), randomTensor([192, 320], seed: 2))
        BLAS.threads = 1
        let expected = a.matmul(b).scalars
        BLAS.threads = 4
        assertClose(a.matmul(b).scalars, expected, tolerance: 1e-4)  // three workers now
        BLAS.threads = 2
        final class Results: @unchecked Sendable { var worst: [Float] = [0, 0] }
        let results = Results()
        let group = DispatchGroup()
        for side in 0..<2 {
            group.enter()
            Thread {
                for _ in 0..<200 {
                    let product = a.matmul(b).scalars
                    results.worst[side] = max(results.worst[side], zip(product, expected).map { abs($0 - $1) }.max() ?? 0)
                }
                group.leave()
            }.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + 120), .success, "a region never finished")
        XCTAssertLessThan(results.worst.max() ?? 1, 1e-4)
        for pause in [0, 3_000, 10_000] {  // microseconds: the workers spin for 2 ms, then sleep
            usleep(useconds_t(pause))
            assertClose(a.matmul(b).scalars, expected, tolerance: 1e-4)
        }
    }
}
