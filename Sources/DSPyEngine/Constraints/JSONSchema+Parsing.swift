import Foundation

extension JSONSchema {
    /// Reads a JSON schema — the pydantic schema DSPy shows in its prompts (`must
    /// adhere to the JSON schema: {...}`) — into the enforceable subset.
    ///
    /// Understood: `type` string (with `enum`, `maxLength`), integer, number, boolean,
    /// array (`items`, `maxItems`), object (`properties`; order: `required` first, in
    /// its order, then the others by name — all become required; without
    /// `properties`, `additionalProperties` gives a ``dictionary(of:maxEntries:)``),
    /// `anyOf`/`oneOf` (a `null` member makes the rest ``nullable(_:)``), `$ref` into
    /// `$defs`/`definitions`, a bare `enum` of strings, and `{}` (any value).
    ///
    /// - Parameter text: the schema as JSON text.
    /// - Throws: ``ConstraintError/invalidConstraint(segment:reason:)`` (segment -1)
    ///   naming the part that cannot be enforced.
    public init(jsonSchema text: String) throws {
        guard let root = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else {
            throw ConstraintError.invalidConstraint(segment: -1, reason: "the JSON schema is not valid JSON")
        }
        self = try Self.parse(root, root: root, path: "$", depth: 0)
    }

    private static func fail(_ path: String, _ reason: String) -> ConstraintError {
        .invalidConstraint(segment: -1, reason: "JSON schema at \(path): \(reason)")
    }

    private static func parse(_ value: Any, root: Any, path: String, depth: Int) throws -> JSONSchema {
        guard depth < 32 else { throw fail(path, "nested too deep (recursive $ref?)") }
        guard let schema = value as? [String: Any] else {
            if value as? Bool == true { return .any() }
            throw fail(path, "not an object")
        }
        if let ref = schema["$ref"] as? String {
            let parts = ref.split(separator: "/").map(String.init)
            guard parts.count == 3, parts[0] == "#", let defs = (root as? [String: Any])?[parts[1]] as? [String: Any],
                let target = defs[parts[2]]
            else { throw fail(path, "unresolvable $ref \(ref)") }
            return try parse(target, root: root, path: ref, depth: depth + 1)
        }
        if let members = (schema["anyOf"] ?? schema["oneOf"]) as? [Any] {
            let isNull = { (member: Any) in ((member as? [String: Any])?["type"] as? String) == "null" }
            let rest = try members.filter { !isNull($0) }.enumerated().map {
                try parse($1, root: root, path: "\(path).anyOf[\($0)]", depth: depth + 1)
            }
            guard !rest.isEmpty else { throw fail(path, "anyOf has only null") }
            let inner = rest.count == 1 ? rest[0] : .oneOf(rest)
            return members.contains(where: isNull) ? .nullable(inner) : inner
        }
        if let values = schema["enum"] as? [Any] {
            let strings = values.compactMap { $0 as? String }
            guard strings.count == values.count, !strings.isEmpty else { throw fail(path, "enum of non-strings") }
            return .enumeration(strings)
        }
        let type = schema["type"]
        if let types = type as? [String] {
            let rest = types.filter { $0 != "null" }
            guard rest.count == 1 else { throw fail(path, "type list \(types)") }
            var copy = schema
            copy["type"] = rest[0]
            let inner = try parse(copy, root: root, path: path, depth: depth + 1)
            return rest.count < types.count ? .nullable(inner) : inner
        }
        switch type as? String {
        case "string":
            return .string(maxLength: (schema["maxLength"] as? Int) ?? 1000)
        case "integer": return .integer
        case "number": return .number
        case "boolean": return .boolean
        case "array":
            let items = try schema["items"].map { try parse($0, root: root, path: "\(path).items", depth: depth + 1) }
            return .array(of: items ?? .any(), maxItems: (schema["maxItems"] as? Int) ?? 64)
        case "object":
            if let properties = schema["properties"] as? [String: Any], !properties.isEmpty {
                let required = (schema["required"] as? [String] ?? []).filter { properties[$0] != nil }
                let others = properties.keys.filter { !required.contains($0) }.sorted()
                return .object(try (required + others).map { name in
                    JSONProperty(name, try parse(properties[name]!, root: root, path: "\(path).\(name)", depth: depth + 1))
                })
            }
            let additional = schema["additionalProperties"]
            if let additional, additional as? Bool == nil {
                return .dictionary(of: try parse(additional, root: root, path: "\(path).additionalProperties", depth: depth + 1))
            }
            return .dictionary(of: .any())
        case nil:
            return .any()
        case let other?:
            throw fail(path, "type \(other) is not supported")
        }
    }
}
