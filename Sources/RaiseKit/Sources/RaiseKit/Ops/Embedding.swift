// Embedding: gathers table rows by token id; backward scatter-adds the gradient rows back. The same
// gather selects rows of a computed matrix (`gatherRows`: the scored positions of a batch).

/// The embedding kernels.   table (V, C), ids (N) -> out (N, C)
enum Embedding {
    /// out[i] = table[ids[i]]
    static func forward(_ out: UnsafeMutablePointer<Float>, _ table: UnsafePointer<Float>, _ ids: [Int32], columns: Int) {
        for (i, id) in ids.enumerated() {
            (out + i * columns).update(from: table + Int(id) * columns, count: columns)
        }
    }

    /// dtable[ids[i]] += dout[i]
    static func backward(_ dTable: UnsafeMutablePointer<Float>, _ dOut: UnsafePointer<Float>, _ ids: [Int32], columns: Int) {
        for (i, id) in ids.enumerated() {
            let (d, g) = (dTable + Int(id) * columns, dOut + i * columns)
            for c in 0..<columns { d[c] += g[c] }
        }
    }
}

extension Tape {
    /// Differentiable row lookup.   table (V, C), ids (N) -> (N, C)
    public func embedding(_ table: Variable, ids: [Int32]) -> Variable {
        gather("embedding", table, rows: ids)
    }

    /// Differentiable row selection, e.g. the positions whose logits a loss reads.   x (N, C), rows (S) -> (S, C)
    public func gatherRows(_ x: Variable, rows: [Int32]) -> Variable {
        gather("gatherRows", x, rows: rows)
    }

    private func gather(_ op: String, _ table: Variable, rows ids: [Int32]) -> Variable {
        precondition(table.value.rank == 2, "\(op): table must be (V, C), got \(table.shape)")
        let (vocab, columns) = (table.shape[0], table.shape[1])
        if let bad = ids.first(where: { $0 < 0 || Int($0) >= vocab }) {
            preconditionFailure("\(op): id \(bad) outside the table's \(vocab) rows")
        }
        let out = output(Tensor(uninitialized: [ids.count, columns]), from: [table])
        Embedding.forward(out.value.data, table.value.data, ids, columns: columns)
        record(op, output: out) { dOut in
            Embedding.backward(table.gradBuffer.data, dOut.data, ids, columns: columns)
        }
        return out
    }
}
