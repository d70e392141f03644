// Ranks: each value's place among its column, ties at their mean place — what rank statistics read in place
// of the values (Spearman's correlation in a benchmark's overlap table, the likelihood signal's normal scores).

/// Rank transforms of a column of values.
public enum Ranks {
    /// Each value's rank among `values`, 0 for the lowest to count − 1 for the highest; tied values share
    /// their mean rank.
    public static func average<Value: Comparable>(_ values: [Value]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count, values[order[end + 1]] == values[order[start]] { end += 1 }
            for position in start...end { ranks[order[position]] = Double(start + end) / 2 }
            start = end + 1
        }
        return ranks
    }
}
