import Foundation

/// A fragment of HTML whose interpolated strings are escaped.
///
/// Text goes in through string interpolation and is escaped on the way
/// (`& < > " '`); only other ``HTML`` values are inserted as they are. So a
/// logged prompt can only reach the page as text, never as markup:
///
/// ```swift
/// let prompt = "<script>alert(1)</script>"
/// let cell: HTML = "<td>\(prompt)</td>"   // <td>&lt;script&gt;alert(1)&lt;/script&gt;</td>
/// ```
struct HTML: Sendable, Equatable, ExpressibleByStringInterpolation, CustomStringConvertible {
    /// The markup.
    private(set) var markup: String

    init(stringLiteral value: String) { markup = value }

    init(stringInterpolation: StringInterpolation) { markup = stringInterpolation.markup }

    /// Markup taken as it is. Only for text this module wrote itself.
    init(trusted markup: String) { self.markup = markup }

    var description: String { markup }

    static func + (lhs: HTML, rhs: HTML) -> HTML { HTML(trusted: lhs.markup + rhs.markup) }

    static func += (lhs: inout HTML, rhs: HTML) { lhs.markup += rhs.markup }

    struct StringInterpolation: StringInterpolationProtocol {
        var markup = ""

        init(literalCapacity: Int, interpolationCount: Int) {
            markup.reserveCapacity(literalCapacity + 16 * interpolationCount)
        }

        mutating func appendLiteral(_ literal: String) { markup += literal }

        /// Text, escaped.
        mutating func appendInterpolation(_ text: String) { markup += HTML.escape(text) }

        /// Optional text, escaped; nothing for `nil`.
        mutating func appendInterpolation(_ text: String?) { markup += HTML.escape(text ?? "") }

        /// A number.
        mutating func appendInterpolation(_ number: Int) { markup += String(number) }

        mutating func appendInterpolation(_ number: Int64) { markup += String(number) }

        /// Markup, as it is.
        mutating func appendInterpolation(_ html: HTML) { markup += html.markup }

        /// Several fragments, one after the other.
        mutating func appendInterpolation(_ fragments: [HTML]) {
            for fragment in fragments { markup += fragment.markup }
        }
    }

    /// Escapes the five characters that are special in text and in quoted attributes.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Percent-encodes one path segment (a run id may hold any character).
    static func pathSegment(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#;")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// Percent-encodes a query value.
    static func queryValue(_ text: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+#?/")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
