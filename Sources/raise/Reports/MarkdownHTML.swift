// MarkdownHTML: the Markdown that raise's reports are written in, turned into HTML — headings, paragraphs,
// bullet lists, pipe tables, **bold**, *italic* and `code`, and nothing else (report.md and overlap.md use
// nothing else). Every other character is escaped (as in the charts, `SVGDocument.escape`), so a record id or a
// file name can never become markup.

/// Markdown (the reports' subset) to HTML.
enum MarkdownHTML {
    /// The HTML of `markdown`: one element per block (a heading line, a paragraph, a list, a table); each
    /// heading `headingsBelow` levels lower (`#` becomes `<h2>` with 1), for a document placed inside another.
    static func html(_ markdown: String, headingsBelow shift: Int = 0) -> String {
        var html = [String](), paragraph = [String](), list = [String](), table = [[String]]()
        func flush() {
            if !paragraph.isEmpty { html.append("<p>" + inline(paragraph.joined(separator: " ")) + "</p>") }
            if !list.isEmpty { html.append("<ul>\n" + list.map { "<li>" + inline($0) + "</li>" }.joined(separator: "\n") + "\n</ul>") }
            if !table.isEmpty { html.append(tableHTML(table)) }
            (paragraph, list, table) = ([], [], [])
        }
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("|") {
                if !paragraph.isEmpty || !list.isEmpty { flush() }
                table.append(cells(line))
            } else if line.hasPrefix("- ") {
                if !paragraph.isEmpty || !table.isEmpty { flush() }
                list.append(String(line.dropFirst(2)))
            } else if let level = headingLevel(line) {
                flush()
                let tag = "h\(min(level + shift, 6))"
                html.append("<\(tag)>" + inline(String(line.dropFirst(level + 1))) + "</\(tag)>")
            } else if line.trimmingCharacters(in: .whitespaces).isEmpty {
                flush()
            } else {
                if !list.isEmpty || !table.isEmpty { flush() }
                paragraph.append(line)
            }
        }
        flush()
        return html.joined(separator: "\n") + "\n"
    }

    /// One line's text, escaped, with `code`, **bold** and *italic* spans made elements.
    static func inline(_ text: String) -> String {
        var out = "", rest = Substring(text)
        let spans = [("`", "code"), ("**", "strong"), ("*", "em")]
        while !rest.isEmpty {
            let opening = spans.compactMap { marker, tag -> (Range<Substring.Index>, Range<Substring.Index>, String)? in
                guard let open = rest.range(of: marker), let close = rest[open.upperBound...].range(of: marker),
                      close.lowerBound > open.upperBound else { return nil }
                return (open, close, tag)
            }.min { $0.0.lowerBound < $1.0.lowerBound }
            guard let (open, close, tag) = opening else { break }
            let content = String(rest[open.upperBound..<close.lowerBound])
            out += SVGDocument.escape(String(rest[..<open.lowerBound]))
            out += "<\(tag)>" + (tag == "code" ? SVGDocument.escape(content) : inline(content)) + "</\(tag)>"
            rest = rest[close.upperBound...]
        }
        return out + SVGDocument.escape(String(rest))
    }

    private static func headingLevel(_ line: String) -> Int? {
        let hashes = line.prefix { $0 == "#" }.count
        return (1...4).contains(hashes) && line.dropFirst(hashes).hasPrefix(" ") ? hashes : nil
    }

    private static func cells(_ line: String) -> [String] {
        var body = line.trimmingCharacters(in: .whitespaces).dropFirst()
        if body.hasSuffix("|") { body = body.dropLast() }
        return body.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// A table: the first row is the header; a `---` row after it separates, as in Markdown.
    private static func tableHTML(_ rows: [[String]]) -> String {
        func isSeparator(_ row: [String]) -> Bool { row.allSatisfy { cell in !cell.isEmpty && cell.allSatisfy { "-:".contains($0) } } }
        let body = rows.dropFirst().filter { !isSeparator($0) }
        var html = "<table>\n<thead><tr>" + rows[0].map { "<th>" + inline($0) + "</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for row in body { html += "<tr>" + row.map { "<td>" + inline($0) + "</td>" }.joined() + "</tr>\n" }
        return html + "</tbody>\n</table>"
    }
}
