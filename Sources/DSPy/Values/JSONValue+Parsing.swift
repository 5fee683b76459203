/// Parsing JSON text into ``JSONValue``.
///
/// Two modes: strict JSON (RFC 8259, for datasets and saved state) and a
/// lenient mode standing in for DSPy's `json_repair.loads` + `ast.literal_eval`
/// chain: it also reads single-quoted strings, `True`/`False`/`None`, tuples
/// and trailing commas, so `"{'k': 1}"` and `"['a','b']"` parse as they do in
/// DSPy. Cost: one pass over the UTF-8 bytes.
extension JSONValue {
    /// Parses strict JSON; throws a message naming the byte offset on failure.
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

struct JSONParseError: Error, CustomStringConvertible {
    let offset: Int
    let message: String
    var description: String { "\(message) at offset \(offset)" }
}

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

    private func fail(_ message: String) -> JSONParseError { JSONParseError(offset: index, message: message) }

    private mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
    }

    private mutating func parseValue(depth: Int) throws -> JSONValue {
        guard depth < 512 else { throw fail("nesting too deep") }
        guard index < bytes.count else { throw fail("unexpected end of input") }
        let c = bytes[index]
        switch c {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(close: UInt8(ascii: "]"), depth: depth)
        case UInt8(ascii: "("):
            guard lenient else { throw fail("unexpected character") }
            return try parseArray(close: UInt8(ascii: ")"), depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString(quote: c))
        case UInt8(ascii: "'"):
            guard lenient else { throw fail("unexpected character") }
            return .string(try parseString(quote: c))
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default:
            for (word, value) in [("true", JSONValue.bool(true)), ("false", .bool(false)), ("null", .null)]
            where matchWord(word) { return value }
            if lenient {
                for (word, value) in [("True", JSONValue.bool(true)), ("False", .bool(false)), ("None", .null)]
                where matchWord(word) { return value }
            }
            throw fail("unexpected character")
        }
    }

    private mutating func matchWord(_ word: String) -> Bool {
        let w = Array(word.utf8)
        guard index + w.count <= bytes.count, Array(bytes[index..<index + w.count]) == w else { return false }
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
            object[key] = try parseValue(depth: depth + 1)
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
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            guard index < bytes.count else { throw fail("unterminated array") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                skipWhitespace()
                if lenient, index < bytes.count, bytes[index] == close { index += 1; return .array(items) }
                continue
            }
            if bytes[index] == close { index += 1; return .array(items) }
            throw fail("expected ',' or ']'")
        }
    }

    private mutating func parseString(quote: UInt8) throws -> String {
        index += 1
        var scalars: [UInt8] = []
        while index < bytes.count {
            let c = bytes[index]
            if c == quote { index += 1; return String(decoding: scalars, as: UTF8.self) }
            if c == UInt8(ascii: "\\") {
                index += 1
                guard index < bytes.count else { break }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "u"):
                    var code = try parseHex4()
                    if (0xD800..<0xDC00).contains(code), index + 6 <= bytes.count,
                        bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                    {
                        index += 2
                        let low = try parseHex4()
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                    scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: scalars.append(e)
                }
                continue
            }
            if c < 0x20 && !lenient { throw fail("control character in string") }
            scalars.append(c)
            index += 1
        }
        throw fail("unterminated string")
    }

    private mutating func parseHex4() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("bad unicode escape") }
        guard let v = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16) else {
            throw fail("bad unicode escape")
        }
        index += 4
        return v
    }

    private mutating func parseNumber() throws -> JSONValue {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        var isFloat = false
        while index < bytes.count {
            let c = bytes[index]
            if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                index += 1
            } else if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
                || ((c == UInt8(ascii: "+") || c == UInt8(ascii: "-")) && isFloat
                    && (bytes[index - 1] == UInt8(ascii: "e") || bytes[index - 1] == UInt8(ascii: "E")))
            {
                isFloat = true
                index += 1
            } else {
                break
            }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if !isFloat, let i = Int(text) { return .int(i) }
        if let d = Double(text) { return .double(d) }
        throw fail("bad number")
    }
}
