import DSPy
import DSPyTestSupport
import Testing

/// The JSON reader on the inputs that used to trap, and the rules it follows for them.
@Suite("Parsing JSON: surrogates, nesting, numbers and escapes")
struct JSONParsingTests {
    @Test("A lone high surrogate before another escape becomes U+FFFD and the next escape still reads")
    func loneHighSurrogateBeforeEscape() throws {
        #expect(try JSONValue.parse(#"{"x":"\ud800\u0041"}"#) == ["x": "\u{FFFD}A"])
        #expect(JSONValue.parseLenient(#"{'x': '\ud800\u0041'}"#) == ["x": "\u{FFFD}A"])
    }

    @Test("Lone surrogates become U+FFFD and a surrogate pair joins into one scalar", arguments: [
        (#""\ud83d\ude00""#, "\u{1F600}"), (#""\udc00""#, "\u{FFFD}"), (#""\ud800""#, "\u{FFFD}"),
        (#""a\udbffb""#, "a\u{FFFD}b"), (#""\ud800\n""#, "\u{FFFD}\n"), (#""\ud800\ud800\udc00""#, "\u{FFFD}\u{10000}"),
        (#""\udfff\ud800""#, "\u{FFFD}\u{FFFD}"), (#""\u00e9\u0000""#, "é\u{0}"),
    ])
    func surrogates(text: String, expected: String) throws {
        #expect(try JSONValue.parse(text) == .string(expected))
    }

    @Test("A truncated or malformed \\u escape is refused with its offset", arguments: [
        #""\u12""#, #""\u""#, #""\uZZZZ""#, #""\u+041""#, #""\u-001""#, "\"\\u00",
    ])
    func badUnicodeEscapes(text: String) {
        #expect {
            try JSONValue.parse(text)
        } throws: { error in
            guard case DSPyError.invalidJSON(let offset, let message) = error else { return false }
            return message.contains("\\u escape") && offset == 3
        }
    }

    @Test("512 nested containers parse; 513 are refused with a message, and so is a flood of brackets")
    func nestingLimit() throws {
        let deepest = String(repeating: "[", count: 512) + "1" + String(repeating: "]", count: 512)
        var value = try JSONValue.parse(deepest)
        var depth = 0
        while case .array(let items) = value, let first = items.first { value = first; depth += 1 }
        #expect(depth == 512 && value == 1)

        let tooDeep = "[" + deepest + "]"
        #expect(throws: DSPyError.invalidJSON(offset: 512, message: "nesting deeper than 512 levels")) {
            try JSONValue.parse(tooDeep)
        }
        let flood = String(repeating: "{\"a\":", count: 200_000)
        #expect(throws: DSPyError.self) { try JSONValue.parse(flood) }
        #expect(JSONValue.parseLenient(String(repeating: "(", count: 200_000)) == nil)
    }

    @Test("Integers beyond Int become doubles, beyond Double infinities; none traps", arguments: [
        ("9223372036854775807", JSONValue.int(.max)), ("-9223372036854775808", .int(.min)),
        ("9223372036854775808", .double(9.223372036854775808e18)), ("-99999999999999999999", .double(-1e20)),
        ("1e999", .double(.infinity)), ("-1e999", .double(-.infinity)), ("1e-999", .double(0)),
        (String(repeating: "9", count: 400), .double(.infinity)), ("-0", .int(0)), ("1E+2", .double(100)),
    ])
    func hugeNumbers(text: String, expected: JSONValue) throws {
        #expect(try JSONValue.parse(text) == expected)
        #expect(JSONValue.parseLenient(text) == expected)
    }

    @Test("NaN and the infinities read back as Python's json writes them")
    func nonFiniteRoundTrip() throws {
        let value: JSONValue = ["inf": .double(.infinity), "ninf": .double(-.infinity), "nan": .double(.nan)]
        let written = value.pythonJSON()
        #expect(written == #"{"inf": Infinity, "ninf": -Infinity, "nan": NaN}"#)
        #expect(try JSONValue.parse(written).pythonJSON() == written)
    }

    @Test("Strict numbers follow RFC 8259: no leading zeros, bare signs or dangling points", arguments: [
        "01", "1.", ".5", "-", "+1", "1e", "1e+", "--1", "0x10", "1.2.3",
    ])
    func strictNumberGrammar(text: String) {
        #expect(throws: DSPyError.self) { try JSONValue.parse(text) }
    }

    @Test("Strict strings refuse unknown escapes and raw control characters, naming them")
    func strictStrings() throws {
        #expect(throws: DSPyError.invalidJSON(offset: 2, message: "invalid escape '\\x' in string")) {
            try JSONValue.parse(#""a\x41""#)
        }
        #expect(throws: DSPyError.invalidJSON(offset: 2, message: "control character byte 0x1 in string")) {
            try JSONValue.parse("\"a\u{01}\"")
        }
        #expect(throws: DSPyError.invalidJSON(offset: 0, message: "unterminated string")) { try JSONValue.parse(#""abc"#) }
        #expect(try JSONValue.parse(#""\/\"\\""#) == "/\"\\")
        // The lenient reader keeps Python's looser strings.
        #expect(JSONValue.parseLenient(#"'it\'s'"#) == "it's")
    }

    @Test("The error names the offset and reads as a sentence")
    func errorDescription() {
        let error = DSPyError.invalidJSON(offset: 7, message: "expected ':'")
        #expect(error.description == "invalid JSON: expected ':' at offset 7")
    }

    @Test("A completion holding a lone surrogate escape parses in the JSON adapter instead of crashing")
    func jsonAdapterFallback() throws {
        let signature = try SignatureSpec("question -> answer, details: dict")
        let fields = try JSONAdapter().parse(signature, completion: #"{"answer": "a\ud800", "details": {"k": "\udc00\ud83d\ude00"}}"#)
        #expect(fields["answer"] == "a\u{FFFD}")
        #expect(fields["details"] == ["k": "\u{FFFD}\u{1F600}"])
        let chat = try ChatAdapter().parse(signature, completion: "[[ ## answer ## ]]\nok\n\n[[ ## details ## ]]\n{\"k\": \"\\ud800\\u0041\"}\n\n[[ ## completed ## ]]")
        #expect(chat["details"] == ["k": "\u{FFFD}A"])
    }
}
