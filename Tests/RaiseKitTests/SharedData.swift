// SharedData: where the real data sets for tests are (../shared/data beside the repository) and a
// skip with a clear message when a checkout has no copy of them.
import Foundation
import XCTest

/// The folder of the shared real data sets.
let sharedDataFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../../shared/data").standardized.path

/// The path of a shared data file; skips the test when the shared data is absent.
func sharedData(_ relativePath: String) throws -> String {
    let path = sharedDataFolder + "/" + relativePath
    guard FileManager.default.fileExists(atPath: path) else {
        throw XCTSkip("\(path) not found: the shared data sets belong in ../shared/data beside the repository")
    }
    return path
}
