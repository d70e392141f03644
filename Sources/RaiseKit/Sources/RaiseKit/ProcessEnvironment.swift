// ProcessEnvironment: environment variables and core count, read in one place.
import Foundation

/// Read-only access to the process environment.
public enum ProcessEnvironment {
    /// The value of an environment variable, or nil when it is unset or empty.
    public static func value(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }

    /// Whether an environment variable is set at all, even to the empty string (as C libraries read it).
    public static func isSet(_ name: String) -> Bool { ProcessInfo.processInfo.environment[name] != nil }

    /// The number of cores this process may run on.
    public static var coreCount: Int { ProcessInfo.processInfo.activeProcessorCount }
}
