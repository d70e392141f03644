// ParquetFile: reads a Parquet file's rows as JSON objects, one row group at a time — the footer first
// (its last 8 bytes: the footer's length and "PAR1"), then every column chunk of a row group, then each
// row assembled from the columns' levels (Dremel's record assembly): nulls, structs, lists (the
// standard three-level layout and the legacy two-level ones) and maps of string keys come out as JSON
// null, objects, arrays and objects. Memory is bounded by one row group.

/// A Parquet file opened for reading its rows.
final class ParquetFile {
    let path: String
    private let metadata: ParquetFileMetadata
    private let root: ParquetNode
    private let file: InputFile
    private let size: Int

    /// "PAR1", the magic number at both ends of a Parquet file.
    static let magic: [UInt8] = Array("PAR1".utf8)

    /// Opens `path` and reads its footer.
    ///
    /// - Throws: `RaiseError.file` naming the file when it cannot be read or is not a readable Parquet file.
    init(path: String) throws {
        self.path = path
        file = try InputFile(path: path)
        size = file.size
        do {
            guard size >= 12 else { throw ParquetError("is \(size) bytes, too short for a Parquet file") }
            let tail = try Self.read(file, at: size - 8, count: 8)
            guard try Self.read(file, at: 0, count: 4) == Self.magic, Array(tail[4...]) == Self.magic else {
                throw ParquetError("does not start and end with PAR1: not a Parquet file (or an encrypted one, which raise does not read)")
            }
            let footerSize = tail[..<4].reversed().reduce(0) { $0 << 8 | Int($1) }
            guard footerSize <= size - 12 else { throw ParquetError("its footer of \(footerSize) bytes is longer than the file") }
            let footer = try Self.read(file, at: size - 8 - footerSize, count: footerSize)
            var thrift = ThriftCompactReader(footer, range: 0..<footer.count)
            metadata = try ParquetFileMetadata(thrift.readStruct())
            root = try ParquetNode.tree(metadata.schema)
            guard !root.leafNodes.isEmpty else { throw ParquetError("has no columns") }  // its rows' count would be unchecked
        } catch {
            throw Self.fileError(path: path, error, where: "")
        }
    }

    /// Calls `body` with each row as a JSON object (its top-level columns by name) and its 1-based number.
    ///
    /// - Throws: `RaiseError.file` naming the row group and column of a damaged or unsupported page;
    ///   whatever `body` throws.
    func forEachRow(_ body: (JSONObject, Int) throws -> Void) throws {
        let leaves = root.leafNodes
        var rowNumber = 0
        for (groupIndex, group) in metadata.rowGroups.enumerated() {
            guard group.columns.count == leaves.count else {
                throw Self.fileError(path: path, ParquetError("has \(group.columns.count) column chunks for \(leaves.count) columns"),
                                     where: "row group \(groupIndex + 1): ")
            }
            var columns = [ParquetColumn]()
            for (leaf, chunk) in zip(leaves, group.columns) {
                let place = "row group \(groupIndex + 1), column '\(leaf.path.joined(separator: "."))': "
                do {
                    guard chunk.path == leaf.path else { throw ParquetError("its chunk is of column '\(chunk.path.joined(separator: "."))'") }
                    guard chunk.start <= size, chunk.compressedSize <= size - chunk.start else { throw ParquetError("its pages run past the end of the file") }
                    columns.append(try ParquetColumn(chunk: chunk, bytes: Self.read(file, at: chunk.start, count: chunk.compressedSize), leaf: leaf))
                } catch {
                    throw Self.fileError(path: path, error, where: place)
                }
            }
            let assembler: ParquetRowAssembler
            do {
                assembler = try ParquetRowAssembler(root: root, columns: columns, rowCount: group.rowCount)
            } catch {
                throw Self.fileError(path: path, error, where: "row group \(groupIndex + 1): ")
            }
            for row in 0..<group.rowCount {
                rowNumber += 1
                let object: JSONObject
                do {
                    object = try assembler.row(row)
                } catch {
                    throw Self.fileError(path: path, error, where: "row \(rowNumber): ")
                }
                try body(object, rowNumber)
            }
        }
    }

    /// A Parquet or Thrift error as `RaiseError.file`, with where in the file it happened.
    private static func fileError(path: String, _ error: Error, where place: String) -> Error {
        switch error {
        case let error as ParquetError: return RaiseError.file(path: path, detail: "Parquet: \(place)\(error.description)")
        case let error as ThriftError: return RaiseError.file(path: path, detail: "Parquet: \(place)damaged metadata: \(error.description)")
        default: return error
        }
    }

    /// `count` bytes of `file` from `offset`.
    ///
    /// - Throws: `ParquetError` when the file ends before them; `RaiseError.file` when a read fails.
    private static func read(_ file: InputFile, at offset: Int, count: Int) throws -> [UInt8] {
        let bytes = try file.read(at: offset, count: count)
        guard bytes.count == count else { throw ParquetError("the file ends early") }
        return bytes
    }
}

/// Assembles the rows of one row group from its decoded leaf columns.
struct ParquetRowAssembler {
    private let root: ParquetNode
    private let columns: [ParquetColumn]
    /// For each leaf, the entry where each row starts (and, last, the end of its entries).
    private let rowStarts: [[Int]]
    /// For each leaf, the index in its values of each entry's value (of the defined entries before it).
    private let valueIndex: [[Int]]

    init(root: ParquetNode, columns: [ParquetColumn], rowCount: Int) throws {
        self.root = root
        self.columns = columns
        var starts = [[Int]](), indices = [[Int]]()
        for (leaf, column) in zip(root.leafNodes, columns) {
            var rows = column.repetition.indices.filter { column.repetition[$0] == 0 }
            guard rows.count == rowCount, rows.first ?? 0 == 0 else {
                throw ParquetError("column '\(leaf.path.joined(separator: "."))' has \(rows.count) rows where the row group has \(rowCount)")
            }
            rows.append(column.repetition.count)
            starts.append(rows)
            var index = [Int](), defined = 0
            index.reserveCapacity(column.definition.count)
            for level in column.definition {
                index.append(defined)
                if Int(level) == leaf.definitionLevel { defined += 1 }
            }
            guard defined == column.values.count else {
                throw ParquetError("column '\(leaf.path.joined(separator: "."))' has \(column.values.count) values for \(defined) defined entries")
            }
            indices.append(index)
        }
        rowStarts = starts
        valueIndex = indices
    }

    /// Row `row` (0-based in the row group) as an object of its top-level columns.
    func row(_ row: Int) throws -> JSONObject {
        let ranges = rowStarts.map { $0[row]..<$0[row + 1] }
        return JSONObject(try root.children.map { ($0.name, try value(of: $0, ranges)) })
    }

    /// The value of `node` for one occurrence of its parent, whose entries in each leaf are `ranges`.
    private func value(of node: ParquetNode, _ ranges: [Range<Int>]) throws -> JSONValue {
        guard !node.leaves.isEmpty else { return .null }  // a group without columns stores nothing
        let first = node.leaves.lowerBound
        guard !ranges[first].isEmpty else { throw ParquetError("column '\(node.path.joined(separator: "."))' has no entry") }
        let undefined = Int(columns[first].definition[ranges[first].lowerBound]) < node.definitionLevel
        if node.element.repetition == .repeated {
            if undefined { return .array([]) }
            return .array(try occurrences(of: node, ranges).map { try single(node, $0) })
        }
        guard undefined else { return try single(node, ranges) }
        guard node.element.repetition == .optional else { throw ParquetError("column '\(node.path.joined(separator: "."))' is required but left undefined") }
        return .null
    }

    /// Splits each leaf's entries into the occurrences of the repeated `node`: one starts at each entry whose
    /// repetition level is at most the node's.
    private func occurrences(of node: ParquetNode, _ ranges: [Range<Int>]) throws -> [[Range<Int>]] {
        var result = [[Range<Int>]]()
        for leaf in node.leaves {
            let column = columns[leaf]
            var starts = ranges[leaf].filter { $0 == ranges[leaf].lowerBound || Int(column.repetition[$0]) <= node.repetitionLevel }
            if result.isEmpty { result = Array(repeating: ranges, count: starts.count) }
            guard starts.count == result.count else { throw ParquetError("the columns below '\(node.path.joined(separator: "."))' disagree on its length") }
            starts.append(ranges[leaf].upperBound)
            for k in result.indices { result[k][leaf] = starts[k]..<starts[k + 1] }
        }
        return result
    }

    /// The value of one occurrence of `node` (defined): a leaf's value, or a group's object — a list's
    /// elements and a map's entries unwrapped.
    private func single(_ node: ParquetNode, _ ranges: [Range<Int>]) throws -> JSONValue {
        if node.isLeaf {
            let leaf = node.leaves.lowerBound, entries = ranges[leaf]
            guard entries.count == 1, Int(columns[leaf].definition[entries.lowerBound]) == node.definitionLevel else {
                throw ParquetError("column '\(node.path.joined(separator: "."))' repeats, or has no value, where its schema says one")
            }
            return columns[leaf].values[valueIndex[leaf][entries.lowerBound]]
        }
        if node.element.isList, node.children.count == 1, node.children[0].element.repetition == .repeated {
            let repeated = node.children[0]
            guard case .array(let items) = try value(of: repeated, ranges) else { return .array([]) }
            // The standard layout's repeated group wraps one element field; the legacy ones ("array",
            // "<name>_tuple", or several fields) are the element themselves.
            let wrapsElement = !repeated.isLeaf && repeated.children.count == 1 && repeated.name != "array" && repeated.name != node.name + "_tuple"
            return .array(wrapsElement ? items.map { item in item.objectValue.flatMap { object in object.keys.first.flatMap { object[$0] } } ?? .null } : items)
        }
        if node.element.isMap, node.children.count == 1, node.children[0].children.count == 2,
           case .array(let entries) = try value(of: node.children[0], ranges) {
            let pairs = entries.compactMap { entry -> (String, JSONValue)? in
                guard let object = entry.objectValue, object.keys.count == 2, let key = object[object.keys[0]]?.stringValue else { return nil }
                return (key, object[object.keys[1]]!)
            }
            if pairs.count == entries.count { return .object(JSONObject(pairs)) }
            return .array(entries)
        }
        return .object(JSONObject(try node.children.map { ($0.name, try value(of: $0, ranges)) }))
    }
}
