// ParquetSchema: the footer's flattened schema as a tree. Each node knows its maximum repetition and
// definition levels (how many repeated, and how many repeated or optional, nodes lead to it, itself
// included) and the leaf columns below it, which are contiguous in the schema's depth-first order.

/// A node of a Parquet schema: a group (with children) or a leaf column.
final class ParquetNode {
    let element: ParquetSchemaElement
    private(set) var children: [ParquetNode] = []
    /// The maximum definition and repetition levels at this node.
    let definitionLevel: Int
    let repetitionLevel: Int
    /// The ordinals of the leaf columns below this node (itself, for a leaf).
    private(set) var leaves: Range<Int> = 0..<0
    /// The dotted path from the root, e.g. `messages.list.element.role`.
    let path: [String]

    var name: String { element.name }
    var isLeaf: Bool { children.isEmpty && element.type != nil }
    var type: ParquetPhysicalType { element.type ?? .byteArray }
    var typeLength: Int { element.typeLength }

    private init(_ element: ParquetSchemaElement, parent: ParquetNode?) {
        self.element = element
        let optional = element.repetition != .required ? 1 : 0, repeated = element.repetition == .repeated ? 1 : 0
        definitionLevel = parent.map { $0.definitionLevel + optional } ?? 0
        repetitionLevel = parent.map { $0.repetitionLevel + repeated } ?? 0
        path = parent.map { $0.path + [element.name] } ?? []
    }

    /// The tree of a flattened schema: the root is its first element; each group's children follow it.
    ///
    /// - Throws: `ParquetError` when the child counts do not add up or the nesting is deeper than 32.
    static func tree(_ elements: [ParquetSchemaElement]) throws -> ParquetNode {
        var next = 0, leafCount = 0
        func build(parent: ParquetNode?) throws -> ParquetNode {
            guard next < elements.count else { throw ParquetError("the schema's groups name more children than it has elements") }
            let node = ParquetNode(elements[next], parent: parent)
            next += 1
            guard node.path.count <= 32 else { throw ParquetError("the schema nests deeper than 32 levels") }
            let first = leafCount
            if node.element.type == nil {
                for _ in 0..<node.element.childCount { node.children.append(try build(parent: node)) }
            } else {
                if node.element.type == .fixedLenByteArray, !(1...(1 << 20)).contains(node.typeLength) {
                    throw ParquetError("column '\(node.path.joined(separator: "."))' is of fixed length \(node.typeLength)")
                }
                leafCount += 1
            }
            node.leaves = first..<leafCount
            return node
        }
        guard elements.first?.type == nil else { throw ParquetError("the schema's root is a column, not a group") }
        let root = try build(parent: nil)
        guard next == elements.count else { throw ParquetError("the schema has \(elements.count - next) elements outside its root") }
        return root
    }

    /// The leaf columns in depth-first order.
    var leafNodes: [ParquetNode] { isLeaf ? [self] : children.flatMap(\.leafNodes) }

    /// A stored value as JSON: text for a byte array that is text (annotated so, or valid UTF-8), else
    /// lowercase hexadecimal; integers beyond ±2^53 as their decimal digits (a JSON number would round them).
    ///
    /// - Throws: `ParquetError` for a column annotated as text that holds invalid UTF-8.
    func json(_ value: ParquetValue) throws -> JSONValue {
        switch value {
        case .bool(let b): return .bool(b)
        case .int(let n): return n > -(1 << 53) && n < 1 << 53 ? .number(Double(n)) : .string(String(n))
        case .double(let x): return .number(x)
        case .bytes(let bytes):
            if let text = String(validating: bytes, as: UTF8.self) { return .string(text) }
            if element.isText { throw ParquetError("column '\(path.joined(separator: "."))' holds text that is not UTF-8") }
            return .string(bytes.map { String($0 >> 4, radix: 16) + String($0 & 15, radix: 16) }.joined())
        }
    }
}
