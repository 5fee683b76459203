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
    /// The engine options that constrain a completion to `structure` exactly as
    /// ``complete(_:)`` constrains its own requests, with a one-line description of the
    /// constraint (`chat-headers: sentiment=choice(2), stars=int`), or `nil` when the
    /// structure is not one structured decoding applies to (or it is off).
    ///
    /// For servers that receive already-rendered DSPy prompts (`dspyc serve --dspy-structured`).
    /// Constraints are compiled once per field list and kept by this model.
    ///
    /// - Parameter greedy: whether sampling is greedy (temperature 0); with the automatic
    ///   choice mode, choices are then scored as whole values.
    /// - Throws: ``DSPyEngine/ConstraintError`` when a field's constraint cannot be built.
    public func generationOptions(for structure: OutputStructure, greedy: Bool) async throws
        -> (options: GenerationOptions, description: String)?
    {
        let plan = try await constraintPlan(for: structure, greedy: greedy)
        guard let description = plan.description else { return nil }
        return (plan.options, description)
    }

    /// Builds the plan for a request's output structure (none when off or absent).
    func constraintPlan(for structure: OutputStructure?, greedy: Bool) async throws -> ConstraintPlan {
        guard structuredDecoding, let structure else { return ConstraintPlan() }
        if structure.style == .jsonObject { return try await jsonObjectPlan(structure) }
        guard structure.style == .chatHeaders || structure.style == .xmlTags,
              !structure.fields.isEmpty || structure.style == .chatHeaders
        else { return ConstraintPlan() }
        let xml = structure.style == .xmlTags
        var plan = ConstraintPlan()
        var fields: [ConstrainedField] = []
        var scoring: [Int: [Double]] = [:]
        let score = choiceMode == .score || (choiceMode == .automatic && greedy)
        for (index, field) in structure.fields.enumerated() {
            var kind = Self.constraintKind(for: field)
            if xml, case .choice(let values) = kind { kind = .choice(values.map(Self.xmlEscaped)) }
            fields.append(ConstrainedField(field.name, kind))
            if case .choice(let values) = kind {
                let segment = 2 * index + 1  // header, value, header, value, …, marker
                plan.choiceFields[segment] = field.name
                if score { scoring[segment] = values.map { field.choiceOffsets?[$0] ?? 0 } }
            }
        }
        plan.options.constraint = try await constraints.constraint(for: fields, xml: xml, model: model)
        if score && !scoring.isEmpty { plan.options.choiceScoring = scoring }
        let calibrated = structure.fields.contains { $0.choiceOffsets != nil }
        plan.description = (xml ? "xml-tags: " : "chat-headers: ") + zip(structure.fields, fields).map { field, constrained in
            "\(field.name)=\(Self.kindName(constrained.kind))"
        }.joined(separator: ", ") + (scoring.isEmpty ? "" : calibrated ? "; choices scored, calibrated" : "; choices scored")
        return plan
    }

    /// A JSONAdapter completion: one JSON object with the output fields as keys, in order, each
    /// value by its type (text as a JSON string). Choices are sampled under the mask, not scored.
    func jsonObjectPlan(_ structure: OutputStructure) async throws -> ConstraintPlan {
        var plan = ConstraintPlan()
        let properties = structure.fields.map { field -> JSONProperty in
            switch Self.constraintKind(for: field) {
            case .text: return JSONProperty(field.name, .string(maxLength: 2048))
            case .choice(let values): return JSONProperty(field.name, .enumeration(values))
            case .integer: return JSONProperty(field.name, .integer)
            case .number: return JSONProperty(field.name, .number)
            case .boolean: return JSONProperty(field.name, .boolean)
            case .json(let schema): return JSONProperty(field.name, schema)
            }
        }
        plan.options.constraint = try await constraints.constraint(forJSONObject: properties, model: model)
        plan.description = "json-object: " + structure.fields.map(\.name).joined(separator: ", ")
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
            // list, dict, Codable structs: JSON for the schema the prompt shows, when enforceable.
            if let schema = try? JSONSchema(jsonSchema: field.jsonSchema.pythonJSON()) { return .json(schema) }
            return .text
        }
    }

    /// A choice value as it appears between XML tags (`&` and `<` escaped, as DSPy writes them).
    static func xmlEscaped(_ value: String) -> String {
        value.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
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
}

/// Compiled output constraints by field list, shared by every request of an
/// `EmbeddedLM`: compiling is cheap, but each constraint owns the cache of its
/// token masks, which is what keeps masking cheap after the first request.
actor ConstraintCache {
    private var compiled: [String: OutputConstraint] = [:]

    func constraint(for fields: [ConstrainedField], xml: Bool = false, model: TextModel) async throws -> OutputConstraint {
        let key = (xml ? "xml:" : "chat:") + String(describing: fields)
        if let found = compiled[key] { return found }
        let vocabulary = try await model.constraintVocabulary()
        let constraint = xml
            ? try OutputConstraint.xmlAdapterCompletion(fields: fields, vocabulary: vocabulary)
            : try OutputConstraint.chatAdapterCompletion(fields: fields, vocabulary: vocabulary)
        if compiled.count >= 64 { compiled.removeAll() }
        compiled[key] = constraint
        return constraint
    }

    /// The constraint of a JSON object with these properties (JSONAdapter completions).
    func constraint(forJSONObject properties: [JSONProperty], model: TextModel) async throws -> OutputConstraint {
        let key = "json-object " + String(describing: properties)
        if let found = compiled[key] { return found }
        let constraint = try OutputConstraint(segments: [.json(.object(properties))], vocabulary: try await model.constraintVocabulary())
        if compiled.count >= 64 { compiled.removeAll() }
        compiled[key] = constraint
        return constraint
    }
}
