import DSPy
import DSPyEngine

/// How one request will be decoded: the engine constraint built from the adapter's
/// output structure, which choices are scored, and a description for the log.
struct ConstraintPlan {
    var options = GenerationOptions()
    /// `chat-headers: sentiment=choice(2), reasoning=text` — logged with the call.
    var description: String?
    /// Field name of each choice segment, for describing scores.
    var choiceFields: [Int: String] = [:]

    /// The JSON form of a choice score, for the request log.
    func describe(_ score: ChoiceScore) -> JSONValue {
        var object = JSONObject()
        object["field"] = .string(choiceFields[score.segment] ?? "segment \(score.segment)")
        object["values"] = .array(score.values.map(JSONValue.string))
        object["logprobs"] = .array(score.logprobs.map(JSONValue.double))
        object["offsets"] = .array(score.offsets.map(JSONValue.double))
        object["chosen"] = .string(score.values[score.chosen])
        return .object(object)
    }
}

extension EmbeddedLM {
    /// Builds the plan for a request's output structure (none when off or absent).
    func constraintPlan(for structure: OutputStructure?, greedy: Bool) async throws -> ConstraintPlan {
        guard structuredDecoding, let structure, structure.style == .chatHeaders else { return ConstraintPlan() }
        var plan = ConstraintPlan()
        var fields: [ConstrainedField] = []
        var scoring: [Int: [Double]] = [:]
        let score = choiceMode == .score || (choiceMode == .automatic && greedy)
        for (index, field) in structure.fields.enumerated() {
            let kind = Self.constraintKind(for: field)
            fields.append(ConstrainedField(field.name, kind))
            if case .choice(let values) = kind {
                let segment = 2 * index + 1  // header, value, header, value, …, marker
                plan.choiceFields[segment] = field.name
                if score { scoring[segment] = values.map { field.choiceOffsets?[$0] ?? 0 } }
            }
        }
        let vocabulary = try await model.constraintVocabulary()
        plan.options.constraint = try OutputConstraint.chatAdapterCompletion(fields: fields, vocabulary: vocabulary)
        if score && !scoring.isEmpty { plan.options.choiceScoring = scoring }
        let calibrated = structure.fields.contains { $0.choiceOffsets != nil }
        plan.description = "chat-headers: " + zip(structure.fields, fields).map { field, constrained in
            "\(field.name)=\(Self.kindName(constrained.kind))"
        }.joined(separator: ", ") + (scoring.isEmpty ? "" : calibrated ? "; choices scored, calibrated" : "; choices scored")
        return plan
    }

    static func constraintKind(for field: OutputStructure.Field) -> ConstrainedField.Kind {
        if let choices = field.choices, !choices.isEmpty { return .choice(choices) }
        switch field.type {
        case .string: return .text
        case .int: return .integer
        case .float: return .number
        case .bool: return .boolean
        default:
            if let schema = jsonSchema(from: field.jsonSchema) { return .json(schema) }
            return .text
        }
    }

    static func kindName(_ kind: ConstrainedField.Kind) -> String {
        switch kind {
        case .text: return "text"
        case .choice(let values): return "choice(\(values.count))"
        case .integer: return "int"
        case .number: return "float"
        case .boolean: return "bool"
        case .json: return "json"
        }
    }

    /// The enforceable subset of a pydantic-style JSON schema; nil when it cannot be enforced.
    static func jsonSchema(from value: JSONValue) -> JSONSchema? {
        guard let object = value.objectValue else { return nil }
        if let options = object["anyOf"]?.arrayValue {
            let nonNull = options.filter { $0.objectValue?["type"]?.stringValue != "null" }
            guard nonNull.count == 1, options.count == 2, let inner = jsonSchema(from: nonNull[0]) else { return nil }
            return .nullable(inner)
        }
        if let values = object["enum"]?.arrayValue {
            let strings = values.compactMap(\.stringValue)
            return strings.count == values.count ? .enumeration(strings) : nil
        }
        switch object["type"]?.stringValue {
        case "string": return .string
        case "integer": return .integer
        case "number": return .number
        case "boolean": return .boolean
        case "array":
            guard let items = object["items"], let item = jsonSchema(from: items) else { return nil }
            return .array(of: item)
        case "object":
            guard let properties = object["properties"]?.objectValue, !properties.isEmpty else { return nil }
            var result: [JSONProperty] = []
            for (name, schema) in properties {
                guard let converted = jsonSchema(from: schema) else { return nil }
                result.append(JSONProperty(name, converted))
            }
            return .object(result)
        default: return nil
        }
    }
}
