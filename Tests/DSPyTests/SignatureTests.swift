import DSPy
import Testing

@Suite("String signatures follow DSPy's grammar")
struct SignatureTests {
    @Test("Untyped fields are str and keep their order")
    func untyped() throws {
        let s = try SignatureSpec("input1, input2 -> output")
        #expect(s.inputs.map(\.name) == ["input1", "input2"])
        #expect(s.outputs.map(\.name) == ["output"])
        #expect(s.fields.allSatisfy { $0.type == .string })
        #expect(s.signatureString == "input1, input2 -> output")
    }

    @Test("Whitespace is free and typed generics parse")
    func typed() throws {
        let s = try SignatureSpec("  question ,context: list[str]->  answer: int, tags: dict[str, list[int]]  ")
        #expect(s.inputs.map(\.name) == ["question", "context"])
        #expect(s.inputs[1].type == .list(.string))
        #expect(s.outputs[0].type == .int)
        #expect(s.outputs[1].type == .dict(key: .string, value: .list(.int)))
    }

    @Test("Optional, PEP 604 unions and Literal render as DSPy names them")
    func typeNames() throws {
        let s = try SignatureSpec("a: Optional[str], b: str | None, c: None | int -> d: Literal['x', \"y's\"], e: typing.List[float]")
        #expect(s.inputs.map(\.type.pythonName) == ["Union[str, NoneType]", "Union[str, NoneType]", "Union[int, NoneType]"])
        #expect(s.outputs[0].type.pythonName == "Literal['x', \"y's\"]")
        #expect(s.outputs[1].type.pythonName == "list[float]")
    }

    @Test("Default instructions name the fields")
    func defaultInstructions() throws {
        #expect(try SignatureSpec("a, b -> c").instructions == "Given the fields `a`, `b`, produce the fields `c`.")
        #expect(try SignatureSpec("-> c").instructions == "Given the fields , produce the fields `c`.")
        #expect(try SignatureSpec("q -> a", instructions: "Be brief.").instructions == "Be brief.")
    }

    @Test("A missing or repeated arrow is DSPy's error")
    func arrows() {
        #expect(throws: DSPyError.invalidSignature("Invalid signature format: '', must contain exactly one '->'.")) {
            try SignatureSpec("")
        }
        #expect(throws: DSPyError.invalidSignature("Invalid signature format: 'a -> b -> c', must contain exactly one '->'.")) {
            try SignatureSpec("a -> b -> c")
        }
    }

    @Test("An input and output with the same name is DSPy's error")
    func distinctNames() {
        #expect(throws: DSPyError.invalidSignature("Input and output fields must have distinct names, but found duplicates: 'a'.")) {
            try SignatureSpec("a -> a")
        }
    }

    @Test("A duplicate field on one side is an error (DSPy silently drops it)")
    func duplicates() {
        #expect(throws: DSPyError.invalidSignature("Invalid signature 'a, a -> b': duplicate field name 'a'.")) {
            try SignatureSpec("a, a -> b")
        }
    }

    @Test("Names that are not identifiers are rejected")
    func identifiers() {
        #expect(throws: DSPyError.self) { try SignatureSpec("my-field -> b") }
        #expect(throws: DSPyError.self) { try SignatureSpec("class -> b") }
    }

    @Test("An unknown type is DSPy's 'Unknown name' error")
    func unknownType() {
        #expect(throws: DSPyError.unknownType("MyType")) { try SignatureSpec("a: MyType -> b") }
        #expect((DSPyError.unknownType("MyType")).description == "Unknown name: MyType")
        #expect(throws: DSPyError.self) { try SignatureSpec("a: list[int -> b") }
    }

    @Test("Custom types resolve like DSPy's custom_types")
    func customTypes() throws {
        let s = try SignatureSpec("a: Path -> b", customTypes: ["Path": .string])
        #expect(s.inputs[0].type == .string)
    }

    @Test("infer_prefix matches DSPy's table")
    func inferPrefix() {
        #expect(FieldSpec.inferPrefix("someAttributeName42IsCool") == "Some Attribute Name 42 Is Cool")
        #expect(FieldSpec.inferPrefix("URLAddress") == "URL Address")
        #expect(FieldSpec.inferPrefix("isHTTPSSecure123") == "Is HTTPS Secure 123")
        #expect(FieldSpec.inferPrefix("snake_case_text") == "Snake Case Text")
        #expect(FieldSpec.inferPrefix("question") == "Question")
    }

    @Test("Manipulation returns new signatures and leaves the original alone")
    func manipulation() throws {
        let s = try SignatureSpec("question -> answer")
        let t = s.withInstructions("Be brief.").appendingInstructions("Really.")
        #expect(t.instructions == "Be brief.\n\nReally.")
        #expect(s.instructions == "Given the fields `question`, produce the fields `answer`.")
        let u = try s.prepending(.output("reasoning")).appending(.input("context")).inserting(.output("score", .float), at: -1)
        #expect(u.inputs.map(\.name) == ["question", "context"])
        #expect(u.outputs.map(\.name) == ["reasoning", "answer", "score"])
        #expect(s.fields.count == 2)
        #expect(u.deleting("context").inputs.map(\.name) == ["question"])
        #expect(u.deleting("nope") == u)
        #expect(throws: DSPyError.self) { try s.inserting(.input("x"), at: 5) }
        #expect(s.withUpdatedField("answer", description: "short").outputs[0].description == "short")
    }
}
