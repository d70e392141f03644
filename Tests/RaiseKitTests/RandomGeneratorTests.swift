// The seeded generator: same seed, same stream; saved state resumes it; samples have the right moments.
import RaiseKit
import RaiseTestSupport
import XCTest

final class RandomGeneratorTests: XCTestCase {
    func testSameSeedSameStreamDifferentSeedDifferentStream() {
        var a = RandomGenerator(seed: 42), b = RandomGenerator(seed: 42), c = RandomGenerator(seed: 43)
        let first = (0..<100).map { _ in a.next() }
        XCTAssertEqual(first, (0..<100).map { _ in b.next() })
        XCTAssertNotEqual(first, (0..<100).map { _ in c.next() })
    }

    func testSavedStateResumesTheStream() {
        var a = RandomGenerator(seed: 7)
        for _ in 0..<10 { _ = a.next() }
        var resumed = RandomGenerator(state: a.state)
        XCTAssertEqual((0..<50).map { _ in a.next() }, (0..<50).map { _ in resumed.next() })
    }

    func testSampleMoments() {
        var rng = RandomGenerator(seed: 1)
        let n = 200_000
        let normals = (0..<n).map { _ in Double(rng.nextNormal()) }
        let mean = normals.reduce(0, +) / Double(n)
        let variance = normals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
        XCTAssertEqual(mean, 0, accuracy: 0.01)  // standard error 0.0022
        XCTAssertEqual(variance, 1, accuracy: 0.02)
        let uniforms = (0..<n).map { _ in rng.nextFloat() }
        XCTAssertTrue(uniforms.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertEqual(Double(uniforms.reduce(0, +)) / Double(n), 0.5, accuracy: 0.01)
        var counts = [0, 0, 0]
        for _ in 0..<30_000 { counts[rng.nextInt(below: 3)] += 1 }
        XCTAssertTrue(counts.allSatisfy { abs($0 - 10_000) < 500 }, "\(counts)")
    }
}
