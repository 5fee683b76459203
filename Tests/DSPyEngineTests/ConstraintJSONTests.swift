import Foundation
import Testing

@testable import DSPyEngine

@Suite("Constrained JSON")
struct ConstraintJSONTests {
    let vocabulary: ConstraintVocabulary

    init() throws { vocabulary = try ConstraintFixtures.vocabulary() }

    static let person: JSONSchema = .object([
        JSONProperty("name", .string(maxLength: 12)),
        JSONProperty("age", .integer),
        JSONProperty("tags", .array(of: .string(maxLength: 6), maxItems: 4)),
        JSONProperty("score", .nullable(.number)),
        JSONProperty("kind", .enumeration(["cat", "cattle", "dog \"quoted\""])),
        JSONProperty("ok", .boolean),
        JSONProperty("grid", .array(of: .array(of: .integer, maxItems: 3), maxItems: 3)),
        JSONProperty("empty", .object([])),
    ])

    @Test("JSON outputs parse with JSONSerialization and match their schema, whatever the logits")
    func jsonParsesAndMatchesSchema() throws {
        let constraint = try OutputConstraint(
            segments: [.json(Self.person), .literal("\n\n[[ ## completed ## ]]")], vocabulary: vocabulary)
        var sawNull = false, sawEmptyArray = false, sawFullArray = false
        for seed in 0..<150 as Range<UInt64> {
            let decoder = try ConstraintDriver.run(constraint, seed: seed)
            #expect(decoder.hasEnded, "seed \(seed): \(String(reflecting: decoder.text))")
            let text = decoder.text
            let json = String(text.dropLast("\n\n[[ ## completed ## ]]".count))
            let problems = Self.problems(json, Self.person)
            #expect(problems.isEmpty, "seed \(seed): \(problems) in \(json)")
            if json.contains("\"score\": null") { sawNull = true }
            if json.contains("\"tags\": []") { sawEmptyArray = true }
            if let object = try? JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)),
                case .object(let o) = object, case .array(let tags)? = o["tags"], tags.count == 4
            {
                sawFullArray = true
            }
        }
        #expect(sawNull && sawEmptyArray && sawFullArray)
    }

    @Test("The JSON skeleton is forced: keys and separators come as canonical tokens")
    func skeletonIsForced() throws {
        let schema: JSONSchema = .object([JSONProperty("name", .string), JSONProperty("age", .integer)])
        let constraint = try OutputConstraint(segments: [.json(schema)], vocabulary: vocabulary)
        var decoder = ConstrainedDecoder(constraint)
        // The determined text runs up to the string's opening quote.
        #expect(decoder.forcedTokens() == vocabulary.encode("{\"name\": \""))
        for token in decoder.forcedTokens() { try decoder.accept(token) }
        try decoder.accept(try #require(ConstraintFixtures.id("Bob")))
        try decoder.accept(try #require(ConstraintFixtures.id("\",")))
        // A determined run that ends in a space before a free value stops before the
        // space: the model picks a token that carries it.
        #expect(decoder.forcedTokens() == vocabulary.encode(" \"age\":"))
        for token in decoder.forcedTokens() { try decoder.accept(token) }
        var mask = TokenMask(count: vocabulary.count)
        decoder.allowedTokens(into: &mask)
        #expect(mask.allowedTokens.allSatisfy { vocabulary.tokenBytes[Int($0)].first == 0x20 })
        #expect(mask.contains(try #require(ConstraintFixtures.id(" "))))
        #expect(!mask.contains(try #require(ConstraintFixtures.id(" the"))))
    }

    @Test("A top-level integer, number and list of strings parse as JSON")
    func scalarsAndLists() throws {
        for schema in [JSONSchema.integer, .number, .array(of: .string(maxLength: 8), maxItems: 5), .nullable(.boolean)] {
            let constraint = try OutputConstraint(segments: [.json(schema), .literal("\n")], vocabulary: vocabulary)
            for seed in 0..<40 as Range<UInt64> {
                let decoder = try ConstraintDriver.run(constraint, seed: seed)
                let json = String(decoder.text.dropLast())
                #expect(Self.problems(json, schema).isEmpty, "\(schema) seed \(seed): \(json)")
            }
        }
    }

    @Test("Free-form dictionaries of any JSON value parse, whatever the logits (ReAct tool arguments)")
    func dictionariesOfAnyParse() throws {
        let schema = JSONSchema.dictionary(of: .any(), maxEntries: 4)
        let constraint = try OutputConstraint.chatAdapterCompletion(
            fields: [
                ConstrainedField("next_thought", .text),
                ConstrainedField("next_tool_name", .choice(["get_weather", "finish"])),
                ConstrainedField("next_tool_args", .json(schema)),
            ],
            vocabulary: vocabulary, maxTextBytes: 60)
        var kinds: Set<String> = []
        for seed in 0..<80 as Range<UInt64> {
            let decoder = try ConstraintDriver.run(constraint, seed: seed)
            let fields = ConstraintDriver.parseChatAdapter(decoder.text)
            let args = try #require(fields["next_tool_args"], "seed \(seed)")
            #expect(Self.problems(args, schema).isEmpty, "seed \(seed): \(args)")
            #expect(["get_weather", "finish"].contains(fields["next_tool_name"] ?? ""))
            for (marker, kind) in [(": [", "array"), (": {", "object"), (": null", "null"), (": \"", "string"), (": t", "bool")]
            where args.contains(marker) {
                kinds.insert(kind)
            }
        }
        #expect(kinds == ["array", "object", "null", "string", "bool"])
    }

    @Test("oneOf alternatives are picked by their first character; alike alternatives are rejected")
    func oneOfAlternatives() throws {
        let schema = JSONSchema.oneOf([.integer, .string(maxLength: 5), .array(of: .boolean, maxItems: 2)])
        let constraint = try OutputConstraint(segments: [.json(schema), .literal("\n")], vocabulary: vocabulary)
        for seed in 0..<40 as Range<UInt64> {
            let decoder = try ConstraintDriver.run(constraint, seed: seed)
            let json = String(decoder.text.dropLast())
            #expect(Self.problems(json, schema).isEmpty, "seed \(seed): \(json)")
        }
        #expect(throws: ConstraintError.invalidConstraint(
            segment: 0, reason: "oneOf alternatives (or null) can start with the same character")) {
            _ = try OutputConstraint(segments: [.json(.oneOf([.string, .enumeration(["a"])]))], vocabulary: vocabulary)
        }
    }

    @Test("Keys and enumeration values are written with json.dumps escaping")
    func escaping() {
        #expect(JSONText.quoted("a\"b\\c\nd\u{1}é") == #""a\"b\\c\nd\u0001é""#)
    }

    /// Problems of the JSON `text` against `schema` (empty if it matches): parsed
    /// with `JSONSerialization` (must succeed) and type-checked through a strict
    /// `JSONDecoder` value.
    static func problems(_ text: String, _ schema: JSONSchema) -> [String] {
        let data = Data(text.utf8)
        guard (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil else {
            return ["JSONSerialization cannot parse it"]
        }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            return ["JSONDecoder cannot decode it"]
        }
        return check(value, schema)
    }

    static func check(_ value: JSONValue, _ schema: JSONSchema, path: String = "$") -> [String] {
        switch (schema, value) {
        case (.nullable, .null): return []
        case (.nullable(let inner), _): return check(value, inner, path: path)
        case let (.string(maxLength), .string(s)):
            return s.count <= maxLength ? [] : ["\(path): \(s.count) > \(maxLength) characters"]
        case (.integer, .integer), (.number, .integer), (.number, .double), (.boolean, .bool): return []
        case let (.enumeration(values), .string(s)):
            return values.contains(s) ? [] : ["\(path): \(s) not one of \(values)"]
        case let (.array(item, maxItems), .array(a)):
            var problems = a.count <= maxItems ? [] : ["\(path): \(a.count) > \(maxItems) items"]
            for (i, element) in a.enumerated() { problems += check(element, item, path: "\(path)[\(i)]") }
            return problems
        case let (.object(properties), .object(o)):
            var problems = Set(o.keys) == Set(properties.map(\.name)) ? [] : ["\(path): keys \(o.keys.sorted())"]
            for property in properties {
                if let v = o[property.name] { problems += check(v, property.schema, path: "\(path).\(property.name)") }
            }
            return problems
        case let (.dictionary(valueSchema, maxEntries), .object(o)):
            var problems = o.count <= maxEntries ? [] : ["\(path): \(o.count) > \(maxEntries) entries"]
            for (key, v) in o { problems += check(v, valueSchema, path: "\(path).\(key)") }
            return problems
        case (.oneOf(let alternatives), _):
            return alternatives.contains { check(value, $0, path: path).isEmpty }
                ? [] : ["\(path): \(value) matches no alternative"]
        default:
            return ["\(path): \(value) does not match \(schema)"]
        }
    }
}

/// A JSON value decoded strictly (a number is not a boolean and vice versa).
enum JSONValue: Decodable {
    case null, bool(Bool), integer(Int), double(Double), string(String)
    case array([JSONValue]), object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let b = try? container.decode(Bool.self) { self = .bool(b) }
        else if let i = try? container.decode(Int.self) { self = .integer(i) }
        else if let d = try? container.decode(Double.self) { self = .double(d) }
        else if let s = try? container.decode(String.self) { self = .string(s) }
        else if let a = try? container.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }
}

@Suite("JSON schema reading")
struct ConstraintJSONSchemaParsingTests {
    @Test("DSPy's pydantic schemas read into the enforceable subset")
    func readsPydanticSchemas() throws {
        #expect(try JSONSchema(jsonSchema: #"{"type": "object", "additionalProperties": true}"#) == .dictionary(of: .any()))
        #expect(try JSONSchema(jsonSchema: #"{"type": "array", "items": {"type": "string"}}"#) == .array(of: .string))
        let model = """
            {"$defs": {"Kind": {"enum": ["cat", "dog"], "title": "Kind", "type": "string"}},
             "properties": {"name": {"title": "Name", "type": "string"},
                            "age": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                            "kind": {"$ref": "#/$defs/Kind"},
                            "tags": {"items": {"type": "number"}, "type": "array", "maxItems": 3}},
             "required": ["name", "age", "kind", "tags"], "title": "Pet", "type": "object"}
            """
        #expect(try JSONSchema(jsonSchema: model) == .object([
            JSONProperty("name", .string), JSONProperty("age", .nullable(.integer)),
            JSONProperty("kind", .enumeration(["cat", "dog"])),
            JSONProperty("tags", .array(of: .number, maxItems: 3)),
        ]))
        #expect(throws: ConstraintError.self) { try JSONSchema(jsonSchema: #"{"type": "tuple"}"#) }
    }
}
