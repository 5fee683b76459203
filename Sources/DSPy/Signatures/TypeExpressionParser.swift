/// Parses the type annotations of DSPy's string signatures
/// (`list[str]`, `dict[str, int]`, `Literal['a', 'b']`, `Optional[int]`,
/// `int | None`, `typing.List[str]`).
///
/// Names resolve like DSPy's `_parse_type_node`: the `typing` names and the
/// builtins; anything else is ``DSPyError/unknownType(_:)`` ("Unknown name: X").
/// `customTypes` plays the part of DSPy's `custom_types=`. Brackets may nest
/// ``maximumDepth`` deep; deeper is an error, so no annotation can exhaust the stack.
struct TypeExpressionParser {
    private indirect enum Node {
        case name(String)
        case constant(JSONValue)
        case subscripted(String, [Node])
        /// `a | b | c`, in order (at least two members).
        case union([Node])
        case tuple([Node])
    }

    /// The deepest bracket nesting an annotation may have (100, about where Python's own parser stops).
    static let maximumDepth = 100

    private let chars: [Character]
    private var index = 0
    private let customTypes: [String: FieldType]

    init(_ text: String, customTypes: [String: FieldType] = [:]) {
        self.chars = Array(text)
        self.customTypes = customTypes
    }

    mutating func parse() throws -> FieldType {
        let node = try parseUnion(depth: 0)
        skipSpaces()
        guard index == chars.count else { throw syntax("unexpected '\(chars[index])'") }
        return try resolve(node)
    }

    private func syntax(_ message: String) -> DSPyError {
        .invalidSignature("Invalid type annotation '\(String(chars))': \(message).")
    }

    private mutating func skipSpaces() { while index < chars.count, chars[index].isWhitespace { index += 1 } }

    private mutating func parseUnion(depth: Int) throws -> Node {
        var members = [try parsePostfix(depth: depth)]
        skipSpaces()
        while index < chars.count, chars[index] == "|" {
            index += 1
            members.append(try parsePostfix(depth: depth))
            skipSpaces()
        }
        return members.count == 1 ? members[0] : .union(members)
    }

    private mutating func parsePostfix(depth: Int) throws -> Node {
        skipSpaces()
        guard index < chars.count else { throw syntax("unexpected end") }
        let c = chars[index]
        if c == "'" || c == "\"" { return .constant(.string(try parseQuoted(c))) }
        if c.isNumber || c == "-" {
            let start = index
            index += 1
            while index < chars.count, chars[index].isNumber || chars[index] == "." { index += 1 }
            let text = String(chars[start..<index])
            if let i = Int(text) { return .constant(.int(i)) }
            if let d = Double(text) { return .constant(.double(d)) }
            throw syntax("bad number \(text)")
        }
        guard c.isLetter || c == "_" else { throw syntax("unexpected '\(c)'") }
        var name = ""
        while index < chars.count, chars[index].isLetter || chars[index].isNumber || chars[index] == "_"
            || chars[index] == "."
        {
            name.append(chars[index])
            index += 1
        }
        if name.hasPrefix("typing.") { name.removeFirst("typing.".count) }
        skipSpaces()
        if index < chars.count, chars[index] == "[" {
            guard depth < Self.maximumDepth else { throw syntax("brackets nested deeper than \(Self.maximumDepth) levels") }
            index += 1
            var args: [Node] = []
            while true {
                args.append(try parseUnion(depth: depth + 1))
                skipSpaces()
                guard index < chars.count else { throw syntax("missing ']'") }
                if chars[index] == "," { index += 1; continue }
                if chars[index] == "]" { index += 1; break }
                throw syntax("unexpected '\(chars[index])'")
            }
            return .subscripted(name, args)
        }
        if name == "None" { return .constant(.null) }
        if name == "True" { return .constant(.bool(true)) }
        if name == "False" { return .constant(.bool(false)) }
        return .name(name)
    }

    private mutating func parseQuoted(_ quote: Character) throws -> String {
        index += 1
        var s = ""
        while index < chars.count {
            let c = chars[index]
            index += 1
            if c == "\\", index < chars.count { s.append(chars[index]); index += 1; continue }
            if c == quote { return s }
            s.append(c)
        }
        throw syntax("unterminated string")
    }

    private func isNone(_ node: Node) -> Bool {
        switch node {
        case .constant(.null): return true
        case .name("NoneType"): return true
        default: return false
        }
    }

    private func resolve(_ node: Node) throws -> FieldType {
        switch node {
        case .constant(let v):
            throw syntax("a constant (\(v.pythonRepr)) is not a type")
        case .tuple:
            throw syntax("a tuple is not a type")
        case .union(var members):
            // `T | None` is Optional[T], as is `None | T`; repeated trailing Nones count once, as in Python.
            var isOptional = false
            while members.count > 1, let last = members.last, isNone(last) {
                members.removeLast()
                isOptional = true
            }
            let type: FieldType
            if members.count == 1 {
                type = try resolve(members[0])
            } else if members.count == 2, isNone(members[0]) {
                type = .optional(try resolve(members[1]))
            } else {
                type = .union(try members.map(resolve))
            }
            return isOptional ? .optional(type) : type
        case .name(let name):
            switch name {
            case "str": return .string
            case "int": return .int
            case "float": return .float
            case "bool": return .bool
            case "Any", "object": return .any
            case "History", "dspy.History": return .history
            case "list", "List": return .list(.any)
            case "dict", "Dict": return .dict(key: .string, value: .any)
            default:
                if let custom = customTypes[name] { return custom }
                throw DSPyError.unknownType(name)
            }
        case .subscripted(let name, let args):
            switch name {
            case "list", "List", "Sequence", "set", "Set", "tuple", "Tuple":
                guard let first = args.first else { throw syntax("\(name) needs an argument") }
                return .list(try resolve(first))
            case "dict", "Dict", "Mapping":
                guard args.count == 2 else { throw syntax("\(name) needs two arguments") }
                return .dict(key: try resolve(args[0]), value: try resolve(args[1]))
            case "Optional":
                guard args.count == 1 else {
                    throw DSPyError.invalidSignature("Optional must have exactly one type argument")
                }
                return .optional(try resolve(args[0]))
            case "Union":
                let nonNone = args.filter { !isNone($0) }
                if nonNone.count == 1, nonNone.count < args.count { return .optional(try resolve(nonNone[0])) }
                let types = try nonNone.map(resolve)
                return nonNone.count < args.count ? .optional(.union(types)) : .union(types)
            case "Literal":
                return .literal(try args.map { arg in
                    guard case .constant(let v) = arg else { throw syntax("Literal values must be constants") }
                    return v
                })
            default:
                if customTypes[name] != nil || ["str", "int", "float", "bool", "Any"].contains(name) {
                    throw syntax("\(name) is not generic")
                }
                throw DSPyError.unknownType(name)
            }
        }
    }
}

extension FieldType {
    /// Parses a Python type annotation as DSPy's string signatures accept it.
    ///
    /// - Throws: ``DSPyError/unknownType(_:)`` for an unknown name,
    ///   ``DSPyError/invalidSignature(_:)`` for malformed syntax.
    public static func parse(_ annotation: String, customTypes: [String: FieldType] = [:]) throws -> FieldType {
        var parser = TypeExpressionParser(annotation, customTypes: customTypes)
        return try parser.parse()
    }
}
