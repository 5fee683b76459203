extension ByteAutomaton {
    /// Compiles segments into the byte tables.
    ///
    /// Returns the effective segment list: `integer`/`number` become top-level JSON
    /// scalars, and a free-text segment not followed by a literal that starts with its
    /// terminator gets that literal inserted after it. Empty literals are dropped.
    ///
    /// - Throws: ``ConstraintError/invalidConstraint(segment:reason:)``.
    static func compile(_ input: [ConstraintSegment]) throws -> (ByteAutomaton, [ConstraintSegment]) {
        var effective: [ConstraintSegment] = []
        for (i, segment) in input.enumerated() {
            switch segment {
            case .literal(let text) where text.isEmpty:
                continue
            case let .freeText(terminator, maxBytes):
                guard !terminator.isEmpty else {
                    throw ConstraintError.invalidConstraint(segment: i, reason: "empty free-text terminator")
                }
                guard maxBytes > 0 else {
                    throw ConstraintError.invalidConstraint(segment: i, reason: "maxBytes must be positive")
                }
                effective.append(segment)
                var next = i + 1
                while next < input.count, input[next] == .literal("") { next += 1 }
                if next < input.count, case .literal(let text) = input[next], text.hasPrefix(terminator) {
                    continue
                }
                effective.append(.literal(terminator))
            default:
                effective.append(segment)
            }
        }
        var automaton = ByteAutomaton()
        for (i, segment) in effective.enumerated() {
            switch segment {
            case .literal(let text):
                automaton.segments.append(Segment(kind: .literal, bytes: automaton.intern(Array(text.utf8))))
            case .freeText(let terminator, let maxBytes):
                automaton.segments.append(
                    Segment(
                        kind: .freeText, bytes: automaton.intern(Array(terminator.utf8)),
                        maxBytes: Int32(clamping: maxBytes)))
            case .choice(let values):
                try validateChoices(values, segment: i)
                automaton.segments.append(Segment(kind: .choice))
            case .boolean:
                automaton.segments.append(Segment(kind: .choice))
            case .integer, .number, .json:
                let schema: JSONSchema
                switch segment {
                case .integer: schema = .integer
                case .number: schema = .number
                case .json(let s): schema = s
                default: preconditionFailure("unreachable")
                }
                let root = try automaton.compileJSON(schema, parent: -1, index: 0, arrayDepth: 0, segment: i)
                automaton.segments.append(Segment(kind: .json, root: root))
            }
        }
        return (automaton, effective)
    }

    /// Appends a child id with the bytes its schema can start with.
    private mutating func appendChild(_ id: Int32, _ schema: JSONSchema) {
        children.append(id)
        var words: [UInt64] = [0, 0, 0, 0]
        for b in Self.firstBytes(schema) { words[Int(b >> 6)] |= 1 << UInt64(b & 63) }
        childFirstBytes += words
    }

    /// The bytes a value of `schema` can start with.
    static func firstBytes(_ schema: JSONSchema) -> Set<UInt8> {
        switch schema {
        case .string, .enumeration: return [UInt8(ascii: "\"")]
        case .integer, .number: return Set(Array("-0123456789".utf8))
        case .boolean: return [UInt8(ascii: "t"), UInt8(ascii: "f")]
        case .array: return [UInt8(ascii: "[")]
        case .object, .dictionary: return [UInt8(ascii: "{")]
        case .nullable(let inner): return firstBytes(inner).union([UInt8(ascii: "n")])
        case .oneOf(let alternatives): return alternatives.reduce(into: []) { $0.formUnion(firstBytes($1)) }
        }
    }

    static func validateChoices(_ values: [String], segment: Int) throws {
        guard !values.isEmpty else {
            throw ConstraintError.invalidConstraint(segment: segment, reason: "a choice needs at least one value")
        }
        guard !values.contains("") else {
            throw ConstraintError.invalidConstraint(segment: segment, reason: "a choice value is empty")
        }
        guard Set(values).count == values.count else {
            throw ConstraintError.invalidConstraint(segment: segment, reason: "duplicate choice values")
        }
    }

    /// Compiles a schema subtree; returns its node id.
    private mutating func compileJSON(
        _ schema: JSONSchema, parent: Int32, index: Int32, arrayDepth: Int, segment: Int,
        nullable: Bool = false
    ) throws -> Int32 {
        let id = Int32(nodes.count)
        var node = JSONNode(
            kind: .string, nullable: nullable, parent: parent, index: index, limit: 0, slot: -1,
            childStart: 0, childCount: 0, literalStart: Int32(literals.count), literalCount: 0)
        nodes.append(node)
        switch schema {
        case .nullable(let inner):
            nodes.removeLast()
            return try compileJSON(
                inner, parent: parent, index: index, arrayDepth: arrayDepth, segment: segment, nullable: true)
        case .string(let maxLength):
            node.kind = .string
            node.limit = Int32(clamping: max(0, maxLength))
        case .integer:
            node.kind = .integer
        case .number:
            node.kind = .number
        case .boolean:
            node.kind = .choice
            literals.append(intern(Array("true".utf8)))
            literals.append(intern(Array("false".utf8)))
            node.literalCount = 2
        case .enumeration(let values):
            try Self.validateChoices(values, segment: segment)
            guard values.count <= 64 else {
                throw ConstraintError.invalidConstraint(segment: segment, reason: "more than 64 enumeration values")
            }
            node.kind = .choice
            for value in values { literals.append(intern(Array(JSONText.quoted(value).utf8))) }
            node.literalCount = Int32(values.count)
        case let .array(item, maxItems):
            guard arrayDepth < 4 else {
                throw ConstraintError.invalidConstraint(segment: segment, reason: "arrays nested more than 4 deep")
            }
            node.kind = .array
            node.limit = Int32(clamping: min(max(0, maxItems), 0xFFFE))
            node.slot = Int32(arrayDepth)
            nodes[Int(id)] = node
            let child = try compileJSON(item, parent: id, index: 0, arrayDepth: arrayDepth + 1, segment: segment)
            node.childStart = Int32(children.count)
            node.childCount = 1
            appendChild(child, item)
        case .object(let properties):
            guard Set(properties.map(\.name)).count == properties.count else {
                throw ConstraintError.invalidConstraint(segment: segment, reason: "duplicate object keys")
            }
            node.kind = .object
            for (i, property) in properties.enumerated() {
                let prefix = i == 0 ? "{" : ", "
                literals.append(intern(Array((prefix + JSONText.quoted(property.name) + ": ").utf8)))
            }
            literals.append(intern(Array((properties.isEmpty ? "{}" : "}").utf8)))
            node.literalCount = Int32(properties.count + 1)
            nodes[Int(id)] = node
            var ids: [Int32] = []
            for (i, property) in properties.enumerated() {
                ids.append(
                    try compileJSON(
                        property.schema, parent: id, index: Int32(i), arrayDepth: arrayDepth, segment: segment))
            }
            node.childStart = Int32(children.count)
            node.childCount = Int32(ids.count)
            for (id, property) in zip(ids, properties) { appendChild(id, property.schema) }
        case let .dictionary(value, maxEntries):
            guard arrayDepth < 4 else {
                throw ConstraintError.invalidConstraint(
                    segment: segment, reason: "arrays and dictionaries nested more than 4 deep")
            }
            node.kind = .dictionary
            node.limit = Int32(clamping: min(max(0, maxEntries), 0xFFFE))
            node.slot = Int32(arrayDepth)
            nodes[Int(id)] = node
            let keySchema = JSONSchema.string(maxLength: 100)
            let key = try compileJSON(keySchema, parent: id, index: 0, arrayDepth: arrayDepth + 1, segment: segment)
            let valueNode = try compileJSON(value, parent: id, index: 1, arrayDepth: arrayDepth + 1, segment: segment)
            node.childStart = Int32(children.count)
            node.childCount = 2
            appendChild(key, keySchema)
            appendChild(valueNode, value)
        case .oneOf(let alternatives):
            guard !alternatives.isEmpty else {
                throw ConstraintError.invalidConstraint(segment: segment, reason: "oneOf needs an alternative")
            }
            var seen: Set<UInt8> = nullable ? [UInt8(ascii: "n")] : []
            for alternative in alternatives {
                let first = Self.firstBytes(alternative)
                guard seen.isDisjoint(with: first) else {
                    throw ConstraintError.invalidConstraint(
                        segment: segment, reason: "oneOf alternatives (or null) can start with the same character")
                }
                seen.formUnion(first)
            }
            node.kind = .alternatives
            nodes[Int(id)] = node
            var ids: [Int32] = []
            for alternative in alternatives {
                ids.append(
                    try compileJSON(alternative, parent: id, index: 0, arrayDepth: arrayDepth, segment: segment))
            }
            node.childStart = Int32(children.count)
            node.childCount = Int32(ids.count)
            for (id, alternative) in zip(ids, alternatives) { appendChild(id, alternative) }
        }
        nodes[Int(id)] = node
        return id
    }
}

/// JSON text helpers, written the way Python's `json.dumps(..., ensure_ascii=False)`
/// writes them (DSPy renders demos and values that way).
enum JSONText {
    /// `value` as a JSON string literal, quotes included.
    static func quoted(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
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
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
