import Foundation

/// Renderings of values the way Python renders them, byte for byte.
extension JSONValue {
    /// `json.dumps(value, ensure_ascii=False)` with the default separators,
    /// or with `indent` like `json.dumps(..., indent=2)`.
    public func pythonJSON(indent: Int? = nil) -> String {
        var out = ""
        writeJSON(into: &out, indent: indent, level: 0)
        return out
    }

    private func writeJSON(into out: inout String, indent: Int?, level: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += JSONValue.pythonFloatJSON(d)
        case .string(let s): out += JSONValue.pythonJSONString(s)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if let indent {
                    out += (i == 0 ? "" : ",") + "\n" + String(repeating: " ", count: indent * (level + 1))
                } else if i > 0 {
                    out += ", "
                }
                item.writeJSON(into: &out, indent: indent, level: level + 1)
            }
            if let indent { out += "\n" + String(repeating: " ", count: indent * level) }
            out += "]"
        case .object(let object):
            if object.isEmpty { out += "{}"; return }
            out += "{"
            for (i, (key, value)) in object.enumerated() {
                if let indent {
                    out += (i == 0 ? "" : ",") + "\n" + String(repeating: " ", count: indent * (level + 1))
                } else if i > 0 {
                    out += ", "
                }
                out += JSONValue.pythonJSONString(key) + ": "
                value.writeJSON(into: &out, indent: indent, level: level + 1)
            }
            if let indent { out += "\n" + String(repeating: " ", count: indent * level) }
            out += "}"
        }
    }

    /// Python's `str(value)` for a scalar after JSON serialisation: strings
    /// verbatim, `True`/`False`, `None`, `3.0`; arrays and objects as JSON.
    public var pythonStr: String {
        switch self {
        case .null: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d): return JSONValue.pythonFloatRepr(d)
        case .string(let s): return s
        case .array, .object: return pythonJSON()
        }
    }

    /// Python's `repr(value)` (`'text'`, `['a', 1]`, `{'k': None}`).
    public var pythonRepr: String {
        switch self {
        case .string(let s): return JSONValue.pythonStringRepr(s)
        case .array(let items): return "[" + items.map(\.pythonRepr).joined(separator: ", ") + "]"
        case .object(let o):
            return "{" + o.map { JSONValue.pythonStringRepr($0.key) + ": " + $0.value.pythonRepr }
                .joined(separator: ", ") + "}"
        default: return pythonStr
        }
    }

    /// Python's `repr(float)`: the shortest round-tripping digits, `1.0`, `1e-05`, `1e+16`.
    static func pythonFloatRepr(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        // Swift's description uses the same shortest-digits algorithm and the
        // same switch to exponent notation (below 1e-4, from 1e16).
        return d.description
    }

    static func pythonFloatJSON(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        return pythonFloatRepr(d)
    }

    /// A JSON string literal as Python's `json.dumps(ensure_ascii=False)` writes it.
    static func pythonJSONString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// Python's `repr(str)`: single quotes unless the text has a single quote and no double quote.
    static func pythonStringRepr(_ s: String) -> String {
        let quote: Character = (s.contains("'") && !s.contains("\"")) ? "\"" : "'"
        var out = String(quote)
        for ch in s {
            switch ch {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case quote: out += "\\" + String(quote)
            default: out.append(ch)
            }
        }
        out.append(quote)
        return out
    }
}
