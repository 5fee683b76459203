import DSPy
import DSPyTestSupport
import Testing

enum Polarity: String, CaseIterable, Codable, Sendable { case positive, negative }

struct Sentiment: Signature {
    static let instructions = "Classify the sentiment of a short text."
    @Input var text: String = ""
    @Output(desc: "positive or negative") var sentiment: Polarity
}

struct QATyped: Signature {
    static let instructions = "Answer questions with short factoid answers."
    @Input(desc: "may contain relevant facts") var context: [String] = []
    @Input var question: String = ""
    @Output(desc: "often between 1 and 5 words") var answer: String
    @Output var confidence: Double
    @Output var label: Label
    enum Label: String, CaseIterable, Codable, Sendable { case a, b }
}

struct Person: Codable, Sendable { var name: String; var age: Int; var nickname: String? }

struct Extract: Signature {
    @Input var text: String = ""
    @Output var person: Person
    @Output var tags: [String]
    @Output var maybe: Int?
}

struct NoOutputs: Signature { @Input var text: String = "" }

struct Unwrapped: Signature {
    @Input var text: String = ""
    var helper: Int = 0
    @Output var answer: String
}

@Suite("Typed signatures are discovered by reflection")
struct TypedSignatureTests {
    @Test("Fields come out in declaration order with DSPy types")
    func reflection() throws {
        let spec = try QATyped.signatureSpec()
        #expect(spec.inputs.map(\.name) == ["context", "question"])
        #expect(spec.outputs.map(\.name) == ["answer", "confidence", "label"])
        #expect(spec.inputs[0].type == .list(.string))
        #expect(spec.outputs[1].type == .float)
        #expect(spec.outputs[2].type == .literal(["a", "b"]))
        #expect(spec.inputs[0].description == "may contain relevant facts")
        #expect(spec.instructions == "Answer questions with short factoid answers.")
    }

    @Test("A typed signature renders exactly like its DSPy class twin")
    func rendersLikeDSPy() throws {
        let c = try GoldenFixtures.named("adapter_format.json", "chat_qa_demos")
        let demos = (c["demos"]?.arrayValue ?? []).compactMap(\.objectValue).map { Example($0) }
        let typed = ChatAdapter().format(try QATyped.signatureSpec(), demos: demos, inputs: c["inputs"]?.objectValue ?? [:])
        let expected = (c["messages"]?.arrayValue ?? []).compactMap { $0["content"]?.stringValue }
        #expect(typed.map(\.content) == expected)

        let s = try GoldenFixtures.named("adapter_format.json", "chat_sentiment_complete_demos")
        let sDemos = (s["demos"]?.arrayValue ?? []).compactMap(\.objectValue).map { Example($0) }
        let rendered = ChatAdapter().format(try Sentiment.signatureSpec(), demos: sDemos, inputs: ["text": "what a lovely day"])
        #expect(rendered.map(\.content) == (s["messages"]?.arrayValue ?? []).compactMap { $0["content"]?.stringValue })
    }

    @Test("Codable structs become JSON-schema'd outputs")
    func codableOutputs() throws {
        let spec = try Extract.signatureSpec()
        guard case .object(let name, let schema) = spec.outputs[0].type else {
            Issue.record("not an object type"); return
        }
        #expect(name == "Person")
        // DSPy sorts every key after "type", property names included.
        #expect(schema.pythonJSON() == #"{"type": "object", "properties": {"age": {"type": "integer", "title": "Age"}, "name": {"type": "string", "title": "Name"}, "nickname": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, "title": "Nickname"}}, "required": ["name", "age"], "title": "Person"}"#)
        #expect(spec.outputs[2].type == .optional(.int))
    }

    @Test("A Codable output renders like the pydantic model DSPy renders", arguments: ["typed_chat_codable_output", "typed_json_codable_output"])
    func codableGolden(name: String) throws {
        let c = try GoldenFixtures.named("adapter_format.json", name)
        let adapter = GoldenFixtures.adapter(c["adapter"])
        let messages = adapter.format(try Extract.signatureSpec(), demos: [], inputs: c["inputs"]?.objectValue ?? [:])
        let expected = (c["messages"]?.arrayValue ?? []).compactMap { $0["content"]?.stringValue }
        #expect(messages.count == expected.count)
        for (got, want) in zip(messages.map(\.content), expected) {
            #expect(got == want, "\(firstDifference(got, want))")
        }
    }

    @Test("Predict fills a typed result from the model's answer")
    func typedPredict() async throws {
        let lm = DummyLM([["sentiment": "negative"]])
        let classify = Predict(Sentiment.self)
        let result = try await DSPySettings.with(DSPySettings(lm: lm)) {
            try await classify(Sentiment(text: "what a waste"))
        }
        #expect(result.sentiment == .negative)
        #expect(result.text == "what a waste")
        #expect(lm.history[0].messages.last?.content.contains("what a waste") == true)
    }

    @Test("Structured outputs decode into Swift types")
    func structuredPredict() async throws {
        let lm = DummyLM([.text("[[ ## person ## ]]\n{\"name\": \"Ada\", \"age\": 36}\n\n[[ ## tags ## ]]\n[\"math\"]\n\n[[ ## maybe ## ]]\nNone")])
        let result = try await DSPySettings.with(DSPySettings(lm: lm)) {
            try await Predict(Extract.self).run(Extract(text: "Ada, 36"))
        }
        #expect(result.person.name == "Ada")
        #expect(result.person.age == 36)
        #expect(result.tags == ["math"])
        #expect(result.maybe == nil)
    }

    @Test("A signature without outputs is a clear error when built and when called")
    func noOutputs() async throws {
        #expect(throws: DSPyError.invalidDeclaration(type: "NoOutputs", message: "it declares no @Output field")) {
            try NoOutputs.signatureSpec()
        }
        let p = Predict(NoOutputs.self)
        await #expect(throws: DSPyError.self) {
            try await DSPySettings.with(DSPySettings(lm: DummyLM([JSONObject]()))) { try await p(NoOutputs(text: "x")) }
        }
    }

    @Test("A stored property without @Input or @Output is a clear error")
    func unwrappedProperty() {
        #expect(throws: DSPyError.invalidDeclaration(type: "Unwrapped", message: "stored property `helper` is not declared with @Input or @Output")) {
            try Unwrapped.signatureSpec()
        }
    }

    @Test("ChainOfThought on a typed signature keeps the reasoning in the prediction")
    func typedChainOfThought() async throws {
        let lm = DummyLM([["reasoning": "It is lovely.", "sentiment": "positive"]])
        let cot = ChainOfThought(Sentiment.self)
        let result = try await DSPySettings.with(DSPySettings(lm: lm)) { try await cot.run(Sentiment(text: "lovely")) }
        #expect(result.sentiment == .positive)
        #expect(result.prediction["reasoning"] == "It is lovely.")
        #expect(cot.predict.signature.outputs.map(\.name) == ["reasoning", "sentiment"])
    }
}
