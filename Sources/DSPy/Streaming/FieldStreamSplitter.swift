/// Cuts a completion that arrives in pieces into output-field chunks (DSPy's `StreamListener`).
///
/// For ChatAdapter completions a field's value starts after its
/// `[[ ## name ## ]]` header and ends at the next header line; for XMLAdapter
/// completions it runs from `<name>` to `</name>`. Like DSPy 3.4.1 the value's
/// leading whitespace is dropped, trailing whitespace and anything that may
/// be the start of the closing marker are held back until the next piece
/// decides, and a field's last chunk (possibly empty) has `isLast` set. The
/// chunks of a field therefore concatenate to the text the adapter parses for
/// it (stripped, entities not decoded). Only the first occurrence of a field
/// streams. Cost: each piece rescans the text received so far (completions
/// are at most a few thousand characters).
struct FieldStreamSplitter {
    enum Style { case chatHeaders, xmlTags }

    let style: Style
    /// The output fields to stream, by name.
    let fields: Set<String>
    private var text: [Unicode.Scalar] = []
    private var emitted: [String: Int] = [:]
    private var finished: Set<String> = []

    init(style: Style, fields: Set<String>) {
        self.style = style
        self.fields = fields
    }

    /// One piece of a field: `(field, text, isLast)`.
    typealias Piece = (field: String, text: String, isLast: Bool)

    /// Takes the next piece of the completion and returns the chunks it releases.
    mutating func receive(_ piece: String) -> [Piece] {
        text += piece.unicodeScalars
        return release(final: false)
    }

    /// Ends the completion: every field still open gets its last chunk.
    mutating func finish() -> [Piece] { release(final: true) }

    private mutating func release(final: Bool) -> [Piece] {
        var out: [Piece] = []
        for region in regions() where fields.contains(region.field) && !finished.contains(region.field) {
            let value = region.text
            var start = 0
            while start < value.count, value[start].properties.isWhitespace { start += 1 }
            var end = value.count
            let closed = region.closed || final
            if !closed { end = max(start, heldBackStart(region.field, in: value, from: start)) }
            while end > start, value[end - 1].properties.isWhitespace { end -= 1 }
            let done = emitted[region.field, default: 0]
            let available = max(0, end - start)
            if available > done || closed {
                let chunk = String(String.UnicodeScalarView(value[(start + min(done, available))..<(start + available)]))
                emitted[region.field] = max(done, available)
                if closed { finished.insert(region.field) }
                if !chunk.isEmpty || closed { out.append((region.field, chunk, closed)) }
            }
        }
        return out
    }

    /// Where the held-back tail of an open value starts: a possible closing marker in the making.
    private func heldBackStart(_ field: String, in value: [Unicode.Scalar], from start: Int) -> Int {
        let end = value.count
        switch style {
        case .chatHeaders:
            // The last line, if it may still become a `[[ ## name ## ]]` header.
            var lineStart = end
            while lineStart > start, value[lineStart - 1] != "\n" { lineStart -= 1 }
            var i = lineStart
            while i < end, value[i] == " " || value[i] == "\t" { i += 1 }
            let rest = String(String.UnicodeScalarView(value[i..<end]))
            if rest.isEmpty || "[[ ## ".hasPrefix(rest) || rest.hasPrefix("[[ ## ") { return lineStart }
            return end
        case .xmlTags:
            let marker = Array("</\(field)>".unicodeScalars)
            for length in stride(from: min(marker.count - 1, end - start), through: 1, by: -1)
            where Array(value[(end - length)..<end]) == Array(marker[..<length]) {
                return end - length
            }
            return end
        }
    }

    /// The value regions found so far, in the order the fields appear.
    private func regions() -> [(field: String, text: [Unicode.Scalar], closed: Bool)] {
        switch style {
        case .chatHeaders:
            // ChatAdapter strips the rest of a header line on its own; the lines after it are kept.
            return chatRegions().map { region in
                var firstLineEnd = region.start
                while firstLineEnd < region.end, text[firstLineEnd] != "\n" { firstLineEnd += 1 }
                guard firstLineEnd < region.end else { return (region.field, Array(text[region.start..<region.end]), region.closed) }
                var head = Array(text[region.start..<firstLineEnd])
                while let last = head.last, last.properties.isWhitespace { head.removeLast() }
                return (region.field, head + Array(text[firstLineEnd..<region.end]), region.closed)
            }
        case .xmlTags:
            return xmlRegions().map { ($0.field, Array(text[$0.start..<$0.end]), $0.closed) }
        }
    }

    private func chatRegions() -> [(field: String, start: Int, end: Int, closed: Bool)] {
        var headers: [(name: String, lineStart: Int, contentStart: Int)] = []
        var lineStart = 0
        while lineStart < text.count {
            var lineEnd = lineStart
            while lineEnd < text.count, text[lineEnd] != "\n" { lineEnd += 1 }
            var i = lineStart
            while i < lineEnd, text[i].properties.isWhitespace { i += 1 }
            let line = String(String.UnicodeScalarView(text[i..<lineEnd]))
            if let (name, rest) = ChatAdapter.matchHeader(line) {
                headers.append((name, lineStart, lineEnd - rest.unicodeScalars.count))
            }
            lineStart = lineEnd + 1
        }
        var seen = Set<String>()
        var out: [(field: String, start: Int, end: Int, closed: Bool)] = []
        for (index, header) in headers.enumerated() where seen.insert(header.name).inserted {
            let next = index + 1 < headers.count ? headers[index + 1].lineStart : nil
            out.append((header.name, header.contentStart, next ?? text.count, next != nil))
        }
        return out
    }

    private func xmlRegions() -> [(field: String, start: Int, end: Int, closed: Bool)] {
        var out: [(field: String, start: Int, end: Int, closed: Bool)] = []
        for field in fields {
            guard let open = find(Array("<\(field)>".unicodeScalars), from: 0) else { continue }
            let start = open + field.unicodeScalars.count + 2
            let close = find(Array("</\(field)>".unicodeScalars), from: start)
            out.append((field, start, close ?? text.count, close != nil))
        }
        return out.sorted { $0.start < $1.start }
    }

    private func find(_ needle: [Unicode.Scalar], from: Int) -> Int? {
        guard needle.count <= text.count else { return nil }
        var i = from
        while i + needle.count <= text.count {
            if text[i] == needle[0], Array(text[i..<(i + needle.count)]) == needle { return i }
            i += 1
        }
        return nil
    }
}
