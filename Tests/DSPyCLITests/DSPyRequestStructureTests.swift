import DSPy
import Foundation
import Testing

@testable import DSPyCLI

/// Recovering a DSPy adapter's output structure from the system message it rendered
/// (what `dspyc serve --dspy-structured` constrains), without a server or a model.
@Suite("Recognising DSPy adapter requests")
struct DSPyRequestStructureTests {
    static let person: FieldType = .object(name: "Person", schema: [
        "type": "object", "title": "Person", "required": ["name", "age"],
        "properties": ["name": ["type": "string", "title": "Name"], "age": ["type": "integer", "title": "Age"]],
    ])

    static func signature() throws -> SignatureSpec {
        try SignatureSpec(
            "text, context: list[str] -> reasoning, sentiment: Literal['positive', 'negative'], stars: int, ok: bool, "
                + "score: float, tags: list[str], counts: dict[str, int], maybe: Optional[int], who: Person",
            instructions: "Classify the text.\nBe careful: (a) and [b].", customTypes: ["Person": person])
    }

    @Test("ChatAdapter, JSONAdapter and XMLAdapter system messages give back the adapter's own output structure")
    func adaptersRoundTrip() throws {
        let signature = try Self.signature()
        let chat = ChatAdapter().systemMessage(signature)
        #expect(DSPyRequestStructure.recognise(systemMessage: chat) == ChatAdapter().outputStructure(for: signature))
        let json = JSONAdapter().systemMessage(signature)
        #expect(DSPyRequestStructure.recognise(systemMessage: json) == JSONAdapter().outputStructure(for: signature))
        let simple = try SignatureSpec("question -> answer, label: Literal['a', 'b'], n: int")
        let xml = XMLAdapter().systemMessage(simple)
        #expect(DSPyRequestStructure.recognise(systemMessage: xml) == XMLAdapter().outputStructure(for: simple))
    }

    @Test("Field types that do not parse are read from their notes: a Python enum's values, a model's schema")
    func typesFromNotes() throws {
        let signature = try SignatureSpec("text -> sentiment: Literal['positive', 'negative', 'mixed up'], stars: int")
        let python = ChatAdapter().systemMessage(signature)
            .replacingOccurrences(of: "(Literal['positive', 'negative', 'mixed up'])", with: "(Sentiment)")
            .replacingOccurrences(of: "must exactly match (no extra characters) one of:", with: "must be one of:")
        #expect(python.contains("(Sentiment)") && python.contains("must be one of: positive; negative; mixed up"))
        let structure = try #require(DSPyRequestStructure.recognise(systemMessage: python))
        #expect(structure.style == .chatHeaders)
        #expect(structure.fields.map(\.name) == ["sentiment", "stars"])
        #expect(structure.fields[0].choices == ["positive", "negative", "mixed up"])
        #expect(structure.fields[1].type == .int)

        let model = try SignatureSpec("text -> who: Person", customTypes: ["Person": Self.person])
        let renamed = ChatAdapter().systemMessage(model).replacingOccurrences(of: "(Person)", with: "(PersonModel)")
        let field = try #require(DSPyRequestStructure.recognise(systemMessage: renamed)?.fields.first)
        #expect(field.jsonSchema == ChatAdapter().outputStructure(for: model).fields[0].jsonSchema)
    }

    /// `dspy.ChatAdapter().format(...)[0]["content"]` from Python DSPy 3.4.1 for
    /// `review -> sentiment: Literal['positive','negative'], stars: int, mood: Mood (an Enum), who: Person (pydantic)`.
    static let pythonChatSystem = #"""
        Your input fields are:
        1. `review` (str):
        Your output fields are:
        1. `sentiment` (Literal['positive', 'negative']): \#u{20}
        2. `stars` (int): 1 to 5
        3. `mood` (Mood): \#u{20}
        4. `who` (Person):
        All interactions will be structured in the following way, with the appropriate values filled in.

        [[ ## review ## ]]
        {review}

        [[ ## sentiment ## ]]
        {sentiment}        # note: the value you produce must exactly match (no extra characters) one of: positive; negative

        [[ ## stars ## ]]
        {stars}        # note: the value you produce must be a single int value

        [[ ## mood ## ]]
        {mood}        # note: the value you produce must be one of: happy; sad

        [[ ## who ## ]]
        {who}        # note: the value you produce must adhere to the JSON schema: {"type": "object", "properties": {"age": {"type": "integer", "title": "Age"}, "name": {"type": "string", "title": "Name"}}, "required": ["name", "age"], "title": "Person"}

        [[ ## completed ## ]]
        In adhering to this structure, your objective is: \#u{20}
                Classify.
        """#

    @Test("A system message rendered by Python DSPy 3.4.1 with enum and pydantic outputs is recognised")
    func pythonRendered() throws {
        let structure = try #require(DSPyRequestStructure.recognise(systemMessage: Self.pythonChatSystem))
        #expect(structure.style == .chatHeaders)
        #expect(structure.fields.map(\.name) == ["sentiment", "stars", "mood", "who"])
        #expect(structure.fields[0].choices == ["positive", "negative"] && structure.fields[2].choices == ["happy", "sad"])
        #expect(structure.fields[1].type == .int && structure.fields[3].choices == nil)
        #expect(structure.fields[3].jsonSchema["required"] == ["name", "age"])
    }

    @Test("Requests that are not DSPy-shaped are not recognised", arguments: [
        "You are a helpful assistant.",
        "Your input fields are:\n1. `q` (str): \nYour output fields are:\n\nAll interactions will be structured in the following way, with the appropriate values filled in.\n",
        "Your input fields are:\n1. `q` (str): \nYour output fields are:\n1. `a` (str): ",
        "Your input fields are:\n1. `q` (str): \nYour output fields are:\n1. `a` (str): \nAll interactions will be structured in the following way, with the appropriate values filled in.\n\n[[ ## q ## ]]\n{q}\n\n[[ ## completed ## ]]",
        "Hello.\nYour input fields are:\n1. `q` (str): \nYour output fields are:\n1. `a` (str): \nAll interactions will be structured in the following way, with the appropriate values filled in.\n\n[[ ## a ## ]]\n{a}\n\n[[ ## completed ## ]]",
    ])
    func notDSPy(message: String) {
        #expect(DSPyRequestStructure.recognise(systemMessage: message) == nil)
    }

    @Test("Field lists keep annotations with brackets, quotes and parentheses whole")
    func fieldLists() {
        let list = DSPyRequestStructure.fieldList(
            "1. `a` (Literal['x)', \"y\"]): about (a)\nsome text\n3. `skipped` (int): \n2. `b` (dict[str, list[int]]): ")
        #expect(list.map(\.name) == ["a", "b"])
        #expect(list.map(\.type) == ["Literal['x)', \"y\"]", "dict[str, list[int]]"])
    }
}
