// RunSettings: the settings a resumable result depends on, saved in its folder when it starts and
// compared when it is continued, so that a resumed run is the run that was started — never two set-ups
// mixed in one result. A difference is named setting by setting ("batch was 16, is now 8").
import Foundation
import RaiseKit

/// Named settings of a run (setting → value as text).
struct RunSettings {
    let values: [String: String]

    /// Saves these settings at `path` when nothing is saved there yet; otherwise checks they are the ones
    /// saved.
    ///
    /// - Parameters:
    ///   - what: says what was made with the saved settings ("this folder's runs were made", "this run was started").
    ///   - hint: what the user can do instead.
    /// - Throws: `RaiseError.file` naming the saved file and every setting that differs.
    func claim(path: String, what: String, hint: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            try save(path: path)
            return
        }
        let differences = RunSettings.differences(saved: try JSONValue.readObject(path: path), current: json)
        guard differences.isEmpty else {
            throw RaiseError.file(path: path, detail: "\(what) with other settings (\(differences.joined(separator: "; "))): \(hint)")
        }
    }

    /// Writes these settings at `path` (its folder created if missing).
    func save(path: String) throws {
        try Folder.create(URL(fileURLWithPath: path).deletingLastPathComponent().path)
        try AtomicFile.write(JSONValue.object(json).serialized + "\n", to: path)
    }

    /// The settings as a JSON object, keys sorted.
    var json: JSONObject { JSONObject(values.keys.sorted().map { ($0, JSONValue.string(values[$0]!)) }) }

    /// Every member that differs between two objects, as "NAME was A, is now B" (strings unquoted).
    static func differences(saved: JSONObject, current: JSONObject) -> [String] {
        func text(_ value: JSONValue?) -> String { value.map { $0.stringValue ?? $0.serialized } ?? "unset" }
        return Set(saved.keys).union(current.keys).sorted().compactMap { name in
            saved[name] == current[name] ? nil : "\(name) was \(text(saved[name])), is now \(text(current[name]))"
        }
    }
}
