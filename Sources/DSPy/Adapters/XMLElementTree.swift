/// A minimal XML reader with the semantics XMLAdapter relies on from Python's `xml.etree.ElementTree`.
///
/// Reads elements with attributes, text (before the first child) and tails,
/// the five predefined entities and character references, comments, CDATA
/// sections and processing instructions. It rejects what expat rejects in the
/// cases LMs produce — a bare `&` or `<`, mismatched or unclosed tags, an
/// attribute without a value, undefined entities, control characters — with
/// expat's message and position (`mismatched tag: line 1, column 22`; lines
/// from 1, columns from 0, counted in characters). Namespaces, DTDs and
/// encodings are not interpreted. Cost: one pass over the text.
struct XMLElement: Sendable, Hashable {
    var tag: String
    var attributes: [(String, String)] = []
    /// Text before the first child (`element.text`), `nil` when there is none.
    var text: String?
    var children: [XMLElement] = []
    /// Text after the end tag, up to the next sibling (`element.tail`).
    var tail: String?

    static func == (a: XMLElement, b: XMLElement) -> Bool {
        a.tag == b.tag && a.attributes.map { [$0.0, $0.1] } == b.attributes.map { [$0.0, $0.1] }
            && a.text == b.text && a.children == b.children && a.tail == b.tail
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(tag)
        hasher.combine(text)
        hasher.combine(children)
    }

    func attribute(_ name: String) -> String? { attributes.first { $0.0 == name }?.1 }

    /// `ET.tostring(element, encoding="unicode")`: the element, its content and its tail.
    var serialized: String {
        var out = "<" + tag
        for (name, value) in attributes {
            out += " \(name)=\"" + XMLElement.escape(value, attribute: true) + "\""
        }
        if text == nil && children.isEmpty {
            out += " />"
        } else {
            out += ">" + XMLElement.escape(text ?? "", attribute: false)
            for child in children { out += child.serialized }
            out += "</\(tag)>"
        }
        return out + XMLElement.escape(tail ?? "", attribute: false)
    }

    static func escape(_ text: String, attribute: Bool) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where attribute: out += "&quot;"
            case "\n" where attribute: out += "&#10;"
            default: out.append(c)
            }
        }
        return out
    }
}

/// A malformed document, with expat's wording (`mismatched tag: line 1, column 22`).
struct XMLSyntaxError: Error, CustomStringConvertible {
    let message: String
    let line: Int
    let column: Int
    var description: String { "\(message): line \(line), column \(column)" }
}

/// The reader behind ``XMLElement``.
struct XMLReader {
    private let chars: [Character]
    private var i = 0

    private init(_ text: String) {
        // expat normalizes line ends before anything else.
        chars = Array(text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n"))
    }

    /// Parses a document with exactly one root element (`ET.fromstring`).
    static func parse(_ text: String) throws -> XMLElement {
        var reader = XMLReader(text)
        return try reader.document()
    }

    private mutating func document() throws -> XMLElement {
        try skipMisc()
        guard i < chars.count else { throw error("no element found", at: i) }
        guard chars[i] == "<", i + 1 < chars.count, isNameStart(chars[i + 1]) else {
            throw error("syntax error", at: i)
        }
        var root = try element()
        root.tail = nil
        try skipMisc()
        if i < chars.count { throw error("junk after document element", at: i) }
        return root
    }

    private mutating func skipMisc() throws {
        while true {
            while i < chars.count, chars[i].isXMLSpace { i += 1 }
            if starts("<!--") { try comment() } else if starts("<?") { try instruction() } else { return }
        }
    }

    /// Reads an element starting at `<`, including its tail-less content.
    private mutating func element() throws -> XMLElement {
        i += 1
        let name = readName()
        var node = XMLElement(tag: name)
        while true {
            let hadSpace = skipSpace()
            guard i < chars.count else { throw error("unclosed token", at: i) }
            if chars[i] == ">" { i += 1; break }
            if chars[i] == "/" {
                guard i + 1 < chars.count, chars[i + 1] == ">" else { throw error("not well-formed (invalid token)", at: i + 1) }
                i += 2
                return node
            }
            guard hadSpace, isNameStart(chars[i]) else { throw error("not well-formed (invalid token)", at: i) }
            let attrStart = i
            let attr = readName()
            skipSpace()
            guard i < chars.count, chars[i] == "=" else { throw error("not well-formed (invalid token)", at: i) }
            i += 1
            skipSpace()
            guard i < chars.count, chars[i] == "\"" || chars[i] == "'" else { throw error("not well-formed (invalid token)", at: i) }
            let quote = chars[i]
            i += 1
            var value = ""
            while true {
                guard i < chars.count else { throw error("unclosed token", at: attrStart) }
                let c = chars[i]
                if c == quote { i += 1; break }
                if c == "<" { throw error("not well-formed (invalid token)", at: i) }
                if c == "&" { value += try reference() } else { value.append(c == "\n" || c == "\t" ? " " : c); i += 1 }
            }
            if node.attribute(attr) != nil { throw error("duplicate attribute", at: attrStart) }
            node.attributes.append((attr, value))
        }
        var text = ""
        while true {
            guard i < chars.count else { throw error("no element found", at: i) }
            let c = chars[i]
            if c == "<" {
                if starts("</") {
                    let nameStart = i + 2
                    i += 2
                    let end = readName()
                    guard end == name else { throw error("mismatched tag", at: nameStart) }
                    skipSpace()
                    guard i < chars.count, chars[i] == ">" else { throw error("not well-formed (invalid token)", at: i) }
                    i += 1
                    appendText(&node, text)
                    return node
                } else if starts("<!--") {
                    try comment()
                } else if starts("<![CDATA[") {
                    i += 9
                    while i < chars.count, !starts("]]>") { text.append(chars[i]); i += 1 }
                    guard i < chars.count else { throw error("unclosed CDATA section", at: i) }
                    i += 3
                } else if starts("<?") {
                    try instruction()
                } else if i + 1 < chars.count, isNameStart(chars[i + 1]) {
                    appendText(&node, text)
                    text = ""
                    node.children.append(try element())
                } else {
                    throw error("not well-formed (invalid token)", at: i + 1)
                }
            } else if c == "&" {
                text += try reference()
            } else {
                if starts("]]>") { throw error("not well-formed (invalid token)", at: i + 2) }
                if let ascii = c.asciiValue, ascii < 0x20, c != "\n", c != "\t" {
                    throw error("not well-formed (invalid token)", at: i)
                }
                text.append(c)
                i += 1
            }
        }
    }

    /// Puts pending text into `text` (before any child) or the last child's tail.
    private func appendText(_ node: inout XMLElement, _ text: String) {
        guard !text.isEmpty else { return }
        if node.children.isEmpty {
            node.text = (node.text ?? "") + text
        } else {
            node.children[node.children.count - 1].tail = (node.children[node.children.count - 1].tail ?? "") + text
        }
    }

    /// Reads `&name;`, `&#NN;` or `&#xHH;` at `i`.
    private mutating func reference() throws -> String {
        let start = i
        i += 1
        guard i < chars.count else { throw error("unclosed token", at: start) }
        if chars[i] == "#" {
            i += 1
            let hex = i < chars.count && chars[i] == "x"
            if hex { i += 1 }
            var digits = ""
            while i < chars.count, hex ? chars[i].isHexDigit : chars[i].isNumber && chars[i].isASCII {
                digits.append(chars[i]); i += 1
            }
            guard !digits.isEmpty, i < chars.count, chars[i] == ";" else { throw error("not well-formed (invalid token)", at: i) }
            i += 1
            guard let code = UInt32(digits, radix: hex ? 16 : 10), let scalar = Unicode.Scalar(code),
                  code == 0x9 || code == 0xA || code == 0xD || code >= 0x20
            else { throw error("reference to invalid character number", at: start) }
            return String(Character(scalar))
        }
        guard isNameStart(chars[i]) else { throw error("not well-formed (invalid token)", at: i) }
        let name = readName()
        guard i < chars.count, chars[i] == ";" else { throw error("not well-formed (invalid token)", at: i) }
        i += 1
        switch name {
        case "amp": return "&"
        case "lt": return "<"
        case "gt": return ">"
        case "quot": return "\""
        case "apos": return "'"
        default: throw error("undefined entity", at: start)
        }
    }

    private mutating func comment() throws {
        let start = i
        i += 4
        while i < chars.count, !starts("-->") { i += 1 }
        guard i < chars.count else { throw error("unclosed token", at: start) }
        i += 3
    }

    private mutating func instruction() throws {
        let start = i
        if starts("<?xml"), i + 5 < chars.count, chars[i + 5].isXMLSpace || chars[i + 5] == "?" {
            throw error("XML or text declaration not at start of entity", at: start)
        }
        i += 2
        while i < chars.count, !starts("?>") { i += 1 }
        guard i < chars.count else { throw error("unclosed token", at: start) }
        i += 2
    }

    private mutating func readName() -> String {
        var name = ""
        while i < chars.count, isNameChar(chars[i]) { name.append(chars[i]); i += 1 }
        return name
    }

    @discardableResult
    private mutating func skipSpace() -> Bool {
        let start = i
        while i < chars.count, chars[i].isXMLSpace { i += 1 }
        return i > start
    }

    private func starts(_ prefix: String) -> Bool {
        var j = i
        for c in prefix {
            guard j < chars.count, chars[j] == c else { return false }
            j += 1
        }
        return true
    }

    private func isNameStart(_ c: Character) -> Bool { c.isLetter || c == "_" || c == ":" }
    private func isNameChar(_ c: Character) -> Bool {
        c.isLetter || c.isNumber || c == "_" || c == ":" || c == "-" || c == "."
    }

    /// An error at character offset `offset`, with expat's line (from 1) and column (from 0).
    private func error(_ message: String, at offset: Int) -> XMLSyntaxError {
        var line = 1, column = 0
        for c in chars[..<min(offset, chars.count)] {
            if c == "\n" { line += 1; column = 0 } else { column += 1 }
        }
        return XMLSyntaxError(message: message, line: line, column: column)
    }
}

extension Character {
    fileprivate var isXMLSpace: Bool { self == " " || self == "\t" || self == "\n" || self == "\r" }
}
