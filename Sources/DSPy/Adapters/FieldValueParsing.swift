/// Turning completion text back into typed values (DSPy's `parse_value`).
///
/// `str` fields keep the text verbatim. Literals match exactly, then after
/// stripping quotes and a `Literal[…]`/`str[…]` wrapper. Everything else goes
/// through the lenient JSON/Python-literal reader and is then validated in
/// pydantic's lax mode (`"42"` → 42, `"true"` → true, `"['a']"` → a list).
/// Failures carry pydantic's wording so errors read as DSPy's do.
enum FieldValueParsing {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Parses the text of one field from a completion.
    static func parse(_ text: String, as type: FieldType) throws -> JSONValue {
        try parse(.string(text), as: type)
    }

    /// Parses a value (a string from ChatAdapter, or any JSON value from JSONAdapter).
    static func parse(_ value: JSONValue, as type: FieldType) throws -> JSONValue {
        if type == .string, case .string = value { return value }
        var value = value
        if case .literal(let allowed) = type {
            if allowed.contains(value) { return value }
            if case .string(let s) = value {
                var v = s.trimmed
                if (v.hasPrefix("Literal[") || v.hasPrefix("str[")) && v.hasSuffix("]"), let open = v.firstIndex(of: "[") {
                    v = String(v[v.index(after: open)..<v.index(before: v.endIndex)])
                }
                if v.count > 1, let f = v.first, f == v.last, f == "\"" || f == "'" { v = String(v.dropFirst().dropLast()) }
                if allowed.contains(.string(v)) { return .string(v) }
                value = .string(v)
            }
        }
        guard case .string(let text) = value else { return try validate(value, as: type, top: true) }
        if case .optional(.string) = type { return value }
        let candidate = JSONValue.parseLenient(text) ?? value
        return try validate(candidate, as: type, top: true)
    }

    /// One pydantic error: where, what, which code, on which input.
    struct Issue {
        var location: [String]
        var message: String
        var code: String
        var input: JSONValue
    }

    /// Pydantic lax-mode validation of an already decoded value; throws pydantic's error text.
    static func validate(_ value: JSONValue, as type: FieldType, top: Bool = false) throws -> JSONValue {
        var issues: [Issue] = []
        let result = check(value, as: type, at: [], issues: &issues)
        guard let result, issues.isEmpty else {
            let items = issues.map { issue in
                (issue.location.isEmpty ? "" : issue.location.joined(separator: ".") + "\n")
                    + "  \(issue.message) [type=\(issue.code), input_value=\(issue.input.pythonRepr), input_type=\(pythonTypeName(issue.input))]\n"
                    + "    For further information visit https://errors.pydantic.dev/2.14/v/\(issue.code)"
            }
            let count = issues.count
            throw Failure(description: "\(count) validation error\(count == 1 ? "" : "s") for \(pydanticTitle(type))\n"
                + items.joined(separator: "\n"))
        }
        return result
    }

    private static func check(_ value: JSONValue, as type: FieldType, at loc: [String], issues: inout [Issue]) -> JSONValue? {
        func fail(_ message: String, _ code: String) -> JSONValue? {
            issues.append(Issue(location: loc, message: message, code: code, input: value))
            return nil
        }
        switch type {
        case .any: return value
        case .string:
            if case .string = value { return value }
            return fail("Input should be a valid string", "string_type")
        case .int:
            switch value {
            case .int: return value
            case .bool(let b): return .int(b ? 1 : 0)
            case .double(let d):
                if d.rounded() == d, abs(d) < 9.0e18 { return .int(Int(d)) }
                return fail("Input should be a valid integer, got a number with a fractional part", "int_from_float")
            case .string(let s):
                if let i = Int(s.trimmed) { return .int(i) }
                return fail("Input should be a valid integer, unable to parse string as an integer", "int_parsing")
            default: return fail("Input should be a valid integer", "int_type")
            }
        case .float:
            switch value {
            case .double: return value
            case .int(let i): return .double(Double(i))
            case .bool(let b): return .double(b ? 1 : 0)
            case .string(let s):
                if let d = Double(s.trimmed) { return .double(d) }
                return fail("Input should be a valid number, unable to parse string as a number", "float_parsing")
            default: return fail("Input should be a valid number", "float_type")
            }
        case .bool:
            switch value {
            case .bool: return value
            case .int(let i) where i == 0 || i == 1: return .bool(i == 1)
            case .double(let d) where d == 0 || d == 1: return .bool(d == 1)
            case .string(let s):
                switch s.trimmed.lowercased() {
                case "true", "1", "yes", "on", "t", "y": return .bool(true)
                case "false", "0", "no", "off", "f", "n": return .bool(false)
                default: return fail("Input should be a valid boolean, unable to interpret input", "bool_parsing")
                }
            default: return fail("Input should be a valid boolean", "bool_type")
            }
        case .literal(let allowed):
            if allowed.contains(value) { return value }
            if case .string(let s) = value, let match = allowed.first(where: { $0.stringValue == nil && $0.pythonStr == s }) {
                return match
            }
            let names = allowed.map(\.pythonRepr)
            let expected = names.count > 1
                ? names.dropLast().joined(separator: ", ") + " or " + names[names.count - 1] : (names.first ?? "")
            return fail("Input should be \(expected)", "literal_error")
        case .optional(let inner):
            if value.isNull { return .null }
            return check(value, as: inner, at: loc, issues: &issues)
        case .union(let types):
            for t in types {
                var scratch: [Issue] = []
                if let v = check(value, as: t, at: loc, issues: &scratch), scratch.isEmpty { return v }
            }
            return fail("Input does not match any member of the union", "union_error")
        case .list(let inner):
            guard case .array(let items) = value else { return fail("Input should be a valid list", "list_type") }
            var out: [JSONValue] = []
            for (i, item) in items.enumerated() {
                if let v = check(item, as: inner, at: loc + [String(i)], issues: &issues) { out.append(v) }
            }
            return .array(out)
        case .dict(_, let valueType):
            guard case .object(let o) = value else { return fail("Input should be a valid dictionary", "dict_type") }
            var out = JSONObject()
            for (k, v) in o {
                if let checked = check(v, as: valueType, at: loc + [k], issues: &issues) { out[k] = checked }
            }
            return .object(out)
        case .history:
            guard case .object = value else { return fail("Input should be a valid dictionary or instance of History", "model_type") }
            return value
        case .object(let name, _):
            guard case .object = value else {
                return fail("Input should be a valid dictionary or instance of \(name)", "model_type")
            }
            return value
        }
    }

    static func pydanticTitle(_ type: FieldType) -> String {
        switch type {
        case .literal(let values): return "literal[" + values.map(\.pythonRepr).joined(separator: ",") + "]"
        case .optional(let t): return "nullable[\(pydanticTitle(t))]"
        case .list(let t): return "list[\(pydanticTitle(t))]"
        case .dict(let k, let v): return "dict[\(pydanticTitle(k)),\(pydanticTitle(v))]"
        default: return type.pythonName
        }
    }

    static func pythonTypeName(_ value: JSONValue) -> String {
        switch value {
        case .null: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .array: return "list"
        case .object: return "dict"
        }
    }
}
