/// Parsing JSON text into ``JSONValue``.
///
/// Two modes: strict JSON (RFC 8259, for datasets and saved state) and a
/// lenient mode standing in for DSPy's `json_repair.loads` + `ast.literal_eval`
/// chain: it also reads single-quoted strings, `True`/`False`/`None`, tuples
/// and trailing commas, so `"{'k': 1}"` and `"['a','b']"` parse as they do in
/// DSPy. Cost: one pass over the UTF-8 bytes; recursion as deep as the nesting.
///
/// Where Python's `json.loads` accepts what a Swift value cannot hold, the
/// parser keeps going rather than failing, as Python does:
/// - a lone UTF-16 surrogate escape (`"\ud800"`, or a high surrogate not
///   followed by a low one) becomes U+FFFD, the replacement character (a Swift
///   `String` cannot hold a lone surrogate; Python keeps it as is);
/// - an integer outside `Int`'s range becomes a ``JSONValue/double(_:)``
///   (Python keeps an exact big integer), and one beyond `Double`'s range
///   becomes an infinity, as `json.loads("1e999")` does;
/// - `NaN`, `Infinity` and `-Infinity` are read, as `json.loads` reads them
///   and as ``JSONValue/pythonJSON(indent:)`` writes them.
///
/// Nesting deeper than ``JSONValue/maximumNestingDepth`` containers is an
/// error (Python raises `RecursionError` near 1000), so no input can exhaust
/// the stack.
extension JSONValue {
    /// The most arrays and objects one value may nest (512).
    public static let maximumNestingDepth = 512

    /// Parses strict JSON.
    ///
    /// - Throws: ``DSPyError/invalidJSON(offset:message:)`` naming the byte offset and what is wrong.
    public static func parse(_ text: String) throws -> JSONValue {
        var parser = JSONTextParser(text: text, lenient: false)
        return try parser.parseDocument()
    }

    /// Parses JSON or a Python literal; `nil` when the text is neither.
    public static func parseLenient(_ text: String) -> JSONValue? {
        var parser = JSONTextParser(text: text, lenient: true)
        return try? parser.parseDocument()
    }
}

/// The recursive-descent reader behind ``JSONValue/parse(_:)`` and ``JSONValue/parseLenient(_:)``.
struct JSONTextParser {
    private let bytes: [UInt8]
    private var index = 0
    private let lenient: Bool

    init(text: String, lenient: Bool) {
        self.bytes = Array(text.utf8)
        self.lenient = lenient
    }

    mutating func parseDocument() throws -> JSONValue {
        skipWhitespace()
        let value = try parseValue(depth: 0)
        skipWhitespace()
        if index != bytes.count { throw fail("unexpected trailing characters") }
        return value
    }

    private func fail(_ message: String) -> DSPyError { .invalidJSON(offset: index, message: message) }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// One value; `depth` counts the arrays and objects around it.
    private mutating func parseValue(depth: Int) throws -> JSONValue {
        guard index < bytes.count else { throw fail("unexpected end of input") }
        let c = bytes[index]
        switch c {
        case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "("):
            guard depth < JSONValue.maximumNestingDepth else {
                throw fail("nesting deeper than \(JSONValue.maximumNestingDepth) levels")
            }
            if c == UInt8(ascii: "{") { return try parseObject(depth: depth + 1) }
            if c == UInt8(ascii: "[") { return try parseArray(close: UInt8(ascii: "]"), depth: depth + 1) }
            guard lenient else { throw fail("unexpected character '('") }
            return try parseArray(close: UInt8(ascii: ")"), depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString(quote: c))
        case UInt8(ascii: "'"):
            guard lenient else { throw fail("unexpected character \"'\" (JSON strings take double quotes)") }
            return .string(try parseString(quote: c))
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            if matchWord("-Infinity") { return .double(-.infinity) }
            return try lenient ? parseLooseNumber() : parseNumber()
        default:
            for (word, value) in JSONTextParser.words where matchWord(word) { return value }
            if lenient {
                for (word, value) in JSONTextParser.pythonWords where matchWord(word) { return value }
            }
            throw fail("unexpected character \(JSONTextParser.describe(c))")
        }
    }

    private static let words: [(String, JSONValue)] = [
        ("true", .bool(true)), ("false", .bool(false)), ("null", .null),
        ("NaN", .double(.nan)), ("Infinity", .double(.infinity)),
    ]
    private static let pythonWords: [(String, JSONValue)] = [("True", .bool(true)), ("False", .bool(false)), ("None", .null)]

    /// A byte as an error message shows it: the character when printable ASCII, else its hex value.
    static func describe(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x" + String(byte, radix: 16, uppercase: true)
    }

    private mutating func matchWord(_ word: String) -> Bool {
        let w = Array(word.utf8)
        guard index + w.count <= bytes.count, bytes[index..<index + w.count].elementsEqual(w) else { return false }
        if index + w.count < bytes.count {
            let next = bytes[index + w.count]
            if (next >= 0x41 && next <= 0x5A) || (next >= 0x61 && next <= 0x7A) || next == 0x5F { return false }
        }
        index += w.count
        return true
    }

    private mutating func parseObject(depth: Int) throws -> JSONValue {
        index += 1
        var object = JSONObject()
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(object) }
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw fail("unterminated object") }
            let q = bytes[index]
            guard q == UInt8(ascii: "\"") || (lenient && q == UInt8(ascii: "'")) else {
                throw fail("expected a string key")
            }
            let key = try parseString(quote: q)
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            index += 1
            skipWhitespace()
            object[key] = try parseValue(depth: depth)
            skipWhitespace()
            guard index < bytes.count else { throw fail("unterminated object") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                skipWhitespace()
                if lenient, index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(object) }
                continue
            }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(object) }
            throw fail("expected ',' or '}'")
        }
    }

    private mutating func parseArray(close: UInt8, depth: Int) throws -> JSONValue {
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == close { index += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth))
            skipWhitespace()
            guard index < bytes.count else { throw fail("unterminated array") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                skipWhitespace()
                if lenient, index < bytes.count, bytes[index] == close { index += 1; return .array(items) }
                continue
            }
            if bytes[index] == close { index += 1; return .array(items) }
            throw fail("expected ',' or '\(Character(Unicode.Scalar(close)))'")
        }
    }

    private mutating func parseString(quote: UInt8) throws -> String {
        let start = index
        index += 1
        var utf8: [UInt8] = []
        while index < bytes.count {
            let c = bytes[index]
            if c == quote { index += 1; return String(decoding: utf8, as: UTF8.self) }
            if c == UInt8(ascii: "\\") {
                index += 1
                guard index < bytes.count else { break }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "u"): UTF8.encode(try parseUnicodeEscape()) { utf8.append($0) }
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(e)
                default:
                    guard lenient else {
                        index -= 2
                        throw fail("invalid escape '\\\(Character(Unicode.Scalar(e)))' in string")
                    }
                    utf8.append(e)
                }
                continue
            }
            if c < 0x20 && !lenient { throw fail("control character \(JSONTextParser.describe(c)) in string") }
            utf8.append(c)
            index += 1
        }
        index = start
        throw fail("unterminated string")
    }

    /// The scalar of a `\uXXXX` escape (the `\u` already read), joining a
    /// surrogate pair; a lone surrogate becomes U+FFFD and the escape after a
    /// lone high surrogate is left to be read on its own.
    private mutating func parseUnicodeEscape() throws -> Unicode.Scalar {
        let code = try parseHex4()
        switch code {
        case 0xD800..<0xDC00:
            let mark = index
            if index + 2 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                index += 2
                if let low = try? parseHex4(), (0xDC00..<0xE000).contains(low) {
                    return Unicode.Scalar(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)) ?? "\u{FFFD}"
                }
            }
            index = mark
            return "\u{FFFD}"
        default:
            return Unicode.Scalar(code) ?? "\u{FFFD}"
        }
    }

    /// Four hex digits, exactly (no sign, no fewer).
    private mutating func parseHex4() throws -> UInt32 {
        var value: UInt32 = 0
        for k in 0..<4 {
            guard index + k < bytes.count else {
                throw fail("truncated \\u escape (needs four hex digits)")
            }
            let b = bytes[index + k]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: throw fail("invalid \\u escape: \(JSONTextParser.describe(b)) is not a hex digit")
            }
            value = value << 4 | UInt32(digit)
        }
        index += 4
        return value
    }

    /// A number as RFC 8259 writes it: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    private mutating func parseNumber() throws -> JSONValue {
        let start = index
        func digits() -> Int {
            let from = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
            return index - from
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        let leadingZero = index < bytes.count && bytes[index] == UInt8(ascii: "0")
        let intDigits = digits()
        guard intDigits > 0 else { throw fail("a number needs digits") }
        if leadingZero && intDigits > 1 { index = start; throw fail("a number cannot have leading zeros") }
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            isInteger = false
            guard digits() > 0 else { throw fail("a number needs digits after '.'") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            isInteger = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw fail("a number needs digits in its exponent") }
        }
        return try number(from: start, isInteger: isInteger)
    }

    /// A number as the lenient mode reads it: digits, signs, `.`, `e` in any
    /// order, then whatever `Int` or `Double` accepts.
    private mutating func parseLooseNumber() throws -> JSONValue {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        var isInteger = true
        while index < bytes.count {
            let c = bytes[index]
            if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                index += 1
            } else if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
                || ((c == UInt8(ascii: "+") || c == UInt8(ascii: "-")) && !isInteger
                    && (bytes[index - 1] == UInt8(ascii: "e") || bytes[index - 1] == UInt8(ascii: "E")))
            {
                isInteger = false
                index += 1
            } else {
                break
            }
        }
        return try number(from: start, isInteger: isInteger)
    }

    /// `Int` when integral and in range, else `Double` (an infinity beyond its range).
    private func number(from start: Int, isInteger: Bool) throws -> JSONValue {
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if isInteger, let i = Int(text) { return .int(i) }
        if let d = Double(text) { return .double(d) }
        throw DSPyError.invalidJSON(offset: start, message: "bad number '\(text.prefix(40))'")
    }
}
