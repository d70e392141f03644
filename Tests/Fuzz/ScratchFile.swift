// ScratchFile: the file that targets reading from a path write each input to — one per process, in
// /dev/shm when the machine has it (no disk writes at a million inputs a run), else the temp folder.
import Foundation

/// The scratch folder of this process.
let scratchFolder: String = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let folder = base + "/raise-fuzz-\(getpid())"
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: scratchFolder) }
    return folder
}()

/// Writes `bytes` to the scratch file `name` and returns its path.
func scratchFile(_ name: String, _ bytes: [UInt8]) -> String {
    let path = scratchFolder + "/" + name
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard descriptor >= 0, bytes.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) == bytes.count else {
        fatalError("cannot write \(path)")
    }
    close(descriptor)
    return path
}
