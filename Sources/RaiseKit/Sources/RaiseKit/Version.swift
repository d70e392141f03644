// Version: the release of RaiseKit, shown by `raise --version`.

/// Version information of the core library.
public enum RaiseKitVersion {
    /// The semantic version of this release.
    public static let string = "0.1.0"
}
