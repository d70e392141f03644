// MappedFile: the bytes of a model file, memory-mapped so that a 100 MB checkpoint costs no copy; the
// readers of safetensors and GGUF share it.
import Foundation

/// Memory-mapped file contents.
enum MappedFile {
    /// The bytes of the file at `path`. An empty file is read as empty `Data` without mapping it
    /// (Foundation leaks a buffer when it maps an empty file).
    ///
    /// - Throws: `RaiseError.file` naming `path` when it cannot be read.
    static func contents(of path: String) throws -> Data {
        do {
            let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
            return size == 0 ? Data() : try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw RaiseError.file(path: path, detail: "cannot read: \(error.localizedDescription)")
        }
    }
}
