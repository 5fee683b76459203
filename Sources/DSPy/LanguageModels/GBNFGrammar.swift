import Foundation

/// A GBNF grammar (llama.cpp's grammar format) for a ChatAdapter completion, so a
/// llama.cpp server constrains a remote completion the way ``OutputStructure``
/// describes it: every header in order, each value by its type, the completion marker.
///
/// Values: a choice field is one of its exact texts; `int` an optional minus and digits;
/// `float` a decimal number with an optional exponent; `bool` `True` or `False`; lists,
/// dicts and objects any JSON value (the schema itself is not enforced: the adapter
/// validates after parsing); text anything without `[[`, so it cannot open a header early.
/// The grammar fixes the format, not the length: a text value ends only when the model
/// chooses to write the next header, so keep `max_tokens` set.
///
/// ```swift
/// let gbnf = GBNFGrammar.chatAdapter(OutputStructure(style: .chatHeaders, signature: sig))
/// ```
public enum GBNFGrammar {
    /// The grammar of a ChatAdapter completion for `structure` (`nil` unless it is ``OutputStructure/Style/chatHeaders``).
    public static func chatAdapter(_ structure: OutputStructure) -> String? {
        guard structure.style == .chatHeaders else { return nil }
        var rules: [String] = []
        var sequence: [String] = []
        var needsJSON = false
        var needsText = false
        for (index, field) in structure.fields.enumerated() {
            sequence.append(literal(structure.prefix(forFieldAt: index)))
            let name = "field\(index)"
            switch valueKind(field) {
            case .choices(let values): rules.append("\(name) ::= " + values.map(literal).joined(separator: " | "))
            case .integer: rules.append("\(name) ::= \"-\"? [0-9]+")
            case .number: rules.append(#"\#(name) ::= "-"? [0-9]+ ("." [0-9]+)? ([eE] [-+]? [0-9]+)?"#)
            case .json:
                needsJSON = true
                rules.append("\(name) ::= value")
            case .text:
                needsText = true
                rules.append("\(name) ::= text")
            }
            sequence.append(name)
        }
        sequence.append(literal(structure.terminator))
        var lines = ["root ::= " + sequence.joined(separator: " ")] + rules
        if needsText { lines.append(#"text ::= ([^[] | "[" [^[])*"#) }
        if needsJSON { lines += jsonRules }
        return lines.joined(separator: "\n") + "\n"
    }

    /// How a field's value is constrained.
    enum ValueKind: Equatable {
        case choices([String])
        case integer
        case number
        case json
        case text
    }

    static func valueKind(_ field: OutputStructure.Field) -> ValueKind {
        if let choices = field.choices, !choices.isEmpty { return .choices(choices) }
        switch field.type {
        case .string: return .text
        case .int: return .integer
        case .float: return .number
        case .bool: return .choices(["True", "False"])
        case .list, .dict, .object: return .json
        default: return .text
        }
    }

    /// `text` as a GBNF string literal (quote, backslash and control characters escaped).
    public static func literal(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\x%02X", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// Any JSON value (RFC 8259), as rules named `value`, `object`, `array`, `string`, `number`, `ws`.
    static let jsonRules = [
        #"value ::= object | array | string | number | ("true" | "false" | "null")"#,
        #"object ::= "{" ws ( string ws ":" ws value ws ( "," ws string ws ":" ws value ws )* )? "}""#,
        #"array ::= "[" ws ( value ws ( "," ws value ws )* )? "]""#,
        #"string ::= "\"" ( [^"\\\x00-\x1F] | "\\" ( ["\\/bfnrt] | "u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] ) )* "\"""#,
        #"number ::= "-"? ( "0" | [1-9] [0-9]* ) ( "." [0-9]+ )? ( [eE] [-+]? [0-9]+ )?"#,
        #"ws ::= [ \t\n]*"#,
    ]
}
