// RaiseError: the typed errors RaiseKit throws at its public edge. The CLI maps them to exit codes
// in one place; each case carries what a user needs to fix the input (file, tensor, field, value).

/// An error in input, configuration or files that the user can fix.
public enum RaiseError: Error, CustomStringConvertible, Equatable {
    /// An environment variable holds a value of the wrong form.
    case invalidEnvironment(variable: String, value: String, expected: String)
    /// A file could not be read, written or parsed; `detail` says where and why.
    case file(path: String, detail: String)
    /// A tensor-level inconsistency in a file (a checkpoint, a safetensors header).
    case tensor(path: String, tensor: String, detail: String)
    /// A parameter or option value that is out of range or of the wrong form.
    case invalidArgument(name: String, detail: String)
    /// Bad content at a line (and column, when known) of an input file.
    case content(path: String, line: Int, column: Int?, detail: String)

    public var description: String {
        switch self {
        case let .invalidEnvironment(variable, value, expected):
            return "environment variable \(variable)='\(value)': expected \(expected)"
        case let .file(path, detail):
            return "\(path): \(detail)"
        case let .tensor(path, tensor, detail):
            return "\(path): tensor '\(tensor)': \(detail)"
        case let .invalidArgument(name, detail):
            return "\(name): \(detail)"
        case let .content(path, line, column, detail):
            return "\(path):\(line):" + (column.map { "\($0):" } ?? "") + " \(detail)"
        }
    }
}
