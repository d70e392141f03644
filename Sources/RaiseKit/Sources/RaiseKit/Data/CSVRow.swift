// CSVRow: splits RFC 4180 CSV text into fields — commas separate, double quotes enclose fields that
// hold commas, quotes ("") or newlines. A row may span lines inside quotes.

/// CSV field splitting.
enum CSVRow {
    /// The fields of `row`, or nil when a quoted field is still open at its end (more lines needed).
    static func fields(_ row: String) -> [String]? {
        var fields = [String]()
        var field = ""
        var inQuotes = false
        var characters = row[...]
        while let c = characters.popFirst() {
            if inQuotes {
                if c == "\"" {
                    if characters.first == "\"" {
                        field.append("\"")
                        characters = characters.dropFirst()
                    } else {
                        inQuotes = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == "," {
                fields.append(field)
                field = ""
            } else if c == "\"" && field.isEmpty {
                inQuotes = true
            } else {
                field.append(c)
            }
        }
        if inQuotes { return nil }
        fields.append(field)
        return fields
    }
}
