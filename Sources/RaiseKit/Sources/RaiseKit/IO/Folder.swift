// Folder: creating an output folder and its missing parents, with an error that says which part of the
// path is in the way and why ("afile is not a folder", "Permission denied") instead of Foundation's
// numbered error codes.
import Foundation

/// Creating folders.
public enum Folder {
    /// Creates `path` and every missing parent (nothing when it is a folder already); returns whether
    /// `path` itself was created.
    ///
    /// - Throws: `RaiseError.file` naming `path`, the part that could not be made and the system's reason.
    @discardableResult
    public static func create(_ path: String) throws -> Bool {
        var created = false
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            var info = stat()
            if stat(current, &info) == 0 {
                guard info.st_mode & S_IFMT == S_IFDIR else {
                    throw RaiseError.file(path: path, detail: "cannot create the folder: \(current) is a file, not a folder")
                }
                created = false
                continue
            }
            guard mkdir(current, 0o777) == 0 || errno == EEXIST else {
                throw RaiseError.file(path: path, detail: "cannot create the folder \(current): \(String(cString: strerror(errno)))")
            }
            created = true
        }
        return created
    }
}
