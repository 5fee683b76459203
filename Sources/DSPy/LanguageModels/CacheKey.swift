import DSPyUtilities

/// DSPy's LM-call cache key: SHA-256 of the canonical request JSON.
///
/// The request is `{"model", "messages", every set sampling parameter incl.
/// "n" and "rollout_id", "output_structure" when given}`, serialised with
/// sorted keys and no whitespace, minus credentials and endpoints
/// (`api_key`, `api_base`, `base_url` never enter). 64 hex characters.
/// Cost: one serialisation and one hash of the prompt.
public enum LMCacheKey {
    static let excludedKeys: Set<String> = ["api_key", "api_base", "base_url"]

    /// The canonical JSON text hashed by ``key(model:request:)``.
    public static func canonicalJSON(model: String, request: LMRequest) -> String {
        var object = JSONObject()
        object["model"] = .string(model)
        object["messages"] = .array(request.messages.map { ["role": .string($0.role.rawValue), "content": .string($0.content)] })
        for (k, v) in request.parameters.jsonObject where !excludedKeys.contains(k) { object[k] = v }
        if let structure = request.outputStructure {
            object["output_structure"] = [
                "style": .string(structure.style.rawValue),
                "fields": .array(structure.fields.map { field in
                    var o: JSONObject = ["name": .string(field.name), "schema": field.jsonSchema]
                    if let offsets = field.choiceOffsets {
                        o["choice_offsets"] = .object(JSONObject(offsets.sorted { $0.key < $1.key }.map { ($0.key, .double($0.value)) }))
                    }
                    return .object(o)
                }),
            ]
        }
        return canonical(.object(object))
    }

    /// The cache key for `request` sent to `model`.
    public static func key(model: String, request: LMRequest) -> String {
        SHA256.hash(canonicalJSON(model: model, request: request)).hexString
    }

    static func canonical(_ value: JSONValue) -> String {
        switch value {
        case .object(let o):
            return "{" + o.keys.sorted().map { JSONValue.pythonJSONString($0) + ":" + canonical(o[$0]!) }
                .joined(separator: ",") + "}"
        case .array(let a): return "[" + a.map(canonical).joined(separator: ",") + "]"
        default: return value.pythonJSON()
        }
    }
}
