// PCA and k-means on data whose structure is known by construction.
import RaiseKit
import RaiseTestSupport
import XCTest

final class FeatureMathTests: XCTestCase {
    func testPCAFindsTheAxesOfKnownVariance() throws {
        // 500 points with variances 9, 4 and 0.01 along x, y, z, rotated 30° in the x–y plane.
        var rng = RandomGenerator(seed: 1)
        let (angle, n) = (Float.pi / 6, 500)
        let data = Tensor(zeros: [n, 3])
        for i in 0..<n {
            let (a, b, z) = (3 * rng.nextNormal(), 2 * rng.nextNormal(), 0.1 * rng.nextNormal())
            data[i, 0] = a * cos(angle) - b * sin(angle) + 5
            data[i, 1] = a * sin(angle) + b * cos(angle) - 2
            data[i, 2] = z
        }
        let pca = try PCA(fitting: data, components: 2, seed: 3)
        XCTAssertEqual(Double(pca.variances[0]), 9, accuracy: 1.2)
        XCTAssertEqual(Double(pca.variances[1]), 4, accuracy: 0.6)
        XCTAssertEqual(Double(abs(pca.components[0, 0] * cos(angle) + pca.components[0, 1] * sin(angle))), 1, accuracy: 0.01,
                       "the first component lies along the rotated x axis")
        XCTAssertLessThan(abs(pca.components[0, 2]) + abs(pca.components[1, 2]), 0.05, "z carries almost no variance")
        let projected = pca.transform(data)
        XCTAssertEqual(projected.shape, [n, 2])
        var mean: Float = 0
        for i in 0..<n { mean += projected[i, 0] / Float(n) }
        XCTAssertEqual(mean, 0, accuracy: 1e-3, "projections are centred")
        XCTAssertEqual(try PCA(fitting: data, components: 2, seed: 3).components.scalars, pca.components.scalars, "seeded")
        let otherSeed = try PCA(fitting: data, components: 2, seed: 11).components.scalars
        for (a, b) in zip(otherSeed, pca.components.scalars) {
            XCTAssertEqual(a, b, accuracy: 1e-4, "signs are fixed, so a converged fit does not depend on the seed")
        }
        assertThrows(["PCA", "cannot fit 4 components"]) { try PCA(fitting: data, components: 4, seed: 0) }
    }

    /// Ranks from 0 for the lowest; tied values share their mean rank, so the ranks still sum to n(n − 1)/2.
    func testRanksPutTiesAtTheirMeanRank() {
        XCTAssertEqual(Ranks.average([3, 1, 3, 2] as [Float]), [2.5, 0, 2.5, 1])
        XCTAssertEqual(Ranks.average([7, 7, 7] as [Double]), [1, 1, 1])
        XCTAssertEqual(Ranks.average([Double]()), [])
    }

    func testKMeansRecoversSeparatedClusters() throws {
        var rng = RandomGenerator(seed: 2)
        let centres: [(Float, Float)] = [(0, 0), (10, 0), (0, 10), (10, 10)]
        let data = Tensor(zeros: [400, 2])
        for i in 0..<400 {
            data[i, 0] = centres[i % 4].0 + 0.5 * rng.nextNormal()
            data[i, 1] = centres[i % 4].1 + 0.5 * rng.nextNormal()
        }
        let clustering = try KMeans(data, clusters: 4, seed: 7)
        for group in 0..<4 {
            let labels = Set((0..<100).map { clustering.assignments[4 * $0 + group] })
            XCTAssertEqual(labels.count, 1, "all points of one true cluster share a label")
        }
        XCTAssertEqual(Set(clustering.assignments).count, 4)
        XCTAssertEqual(try KMeans(data, clusters: 4, seed: 7).assignments, clustering.assignments, "seeded")
        assertThrows(["k-means", "cannot make 401 clusters"]) { try KMeans(data, clusters: 401, seed: 0) }
    }
}
