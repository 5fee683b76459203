import DSPy
import DSPyTestSupport
import Foundation
import Testing

@Suite("TwoStepAdapter reproduces DSPy 3.4.1's two calls")
struct TwoStepAdapterTests {
    @Test("The two-step fixtures exist")
    func fixturesPresent() throws {
        #expect(try GoldenFixtures.cases("adapter_two_step.json").count >= 6)
    }

    @Test("The main call's messages are DSPy's, byte for byte", arguments: GoldenFixtures.names("adapter_two_step.json"))
    func mainMessages(name: String) throws {
        let c = try GoldenFixtures.named("adapter_two_step.json", name)
        let signature = try GoldenFixtures.signature(c["signature"])
        let demos = (c["demos"]?.arrayValue ?? []).compactMap(\.objectValue).map { Example($0) }
        let adapter = TwoStepAdapter(extractionModel: DummyLM([]))
        let messages = adapter.format(signature, demos: demos, inputs: c["inputs"]?.objectValue ?? JSONObject())
        expectMessages(messages, c["messages"], name)
    }

    @Test("The extraction call sends DSPy's extractor prompt and its fields become the prediction",
          arguments: GoldenFixtures.names("adapter_two_step.json"))
    func extraction(name: String) async throws {
        let c = try GoldenFixtures.named("adapter_two_step.json", name)
        let signature = try GoldenFixtures.signature(c["signature"])
        let completion = c["completion"]?.stringValue ?? ""
        var answer = JSONObject()
        for field in signature.outputs { answer[field.name] = sample(field.type) }
        let main = DummyLM([.text(completion)], model: "main-model")
        let extractor = DummyLM([.fields(answer)], model: "extraction-model")
        let predict = Predict(signature)
        predict.adapter = TwoStepAdapter(extractionModel: extractor)
        let log = MemoryCallLog()
        let prediction = try await DSPySettings.with({ $0.callLog = log }) {
            try await predict(c["inputs"]?.objectValue ?? JSONObject(), lm: main)
        }
        #expect(main.history.first?.outputStructure == nil, "the main model answers freely")
        expectMessages(extractor.history.first?.messages ?? [], c["extraction_messages"], name)
        for field in signature.outputs { #expect(prediction[field.name] != nil, "\(name).\(field.name)") }
        #expect(prediction.lmUsage.models == ["main-model", "extraction-model"])
        #expect(log.records.map(\.adapter) == ["ChatAdapter", "TwoStepAdapter"])
        let logged = log.records.reduce(TokenUsage()) { $0 + $1.usage }
        #expect(prediction.lmUsage.total == logged)
    }

    @Test("An extraction that cannot be parsed raises DSPy's TwoStepAdapter error")
    func extractionFailure() async throws {
        let predict = try Predict("question -> answer: int")
        let extractor = DummyLM([.text("[[ ## answer ## ]]\nmany"), .text("not json")], model: "x")
        predict.adapter = TwoStepAdapter(extractionModel: extractor)
        do {
            _ = try await predict(["question": "q"], lm: DummyLM([.text("Lots.")]))
            Issue.record("expected an error")
        } catch let error as DSPyError {
            #expect(error.description.hasPrefix("Failed to parse response from the original completion: "))
            #expect(error.description.contains("Adapter TwoStepAdapter failed to parse the LM response. \n\nLM Response: Lots. \n\n"))
        }
        #expect(extractor.callCount == 2, "the extraction's ChatAdapter fell back to JSONAdapter once")
    }

    private func sample(_ type: FieldType) -> JSONValue {
        switch type {
        case .int: return 3
        case .float: return 0.5
        case .bool: return true
        case .literal(let values): return values.first ?? "x"
        case .list: return ["a"]
        case .dict: return ["k": 1]
        case .optional(let inner): return sample(inner)
        default: return "text"
        }
    }

    private func expectMessages(_ messages: [ChatMessage], _ fixture: JSONValue?, _ name: String) {
        let expected = (fixture?.arrayValue ?? []).compactMap(\.objectValue)
        #expect(messages.count == expected.count, "\(name)")
        for (got, want) in zip(messages, expected) {
            let wantContent = want["content"]?.stringValue ?? ""
            #expect(got.role.rawValue == want["role"]?.stringValue)
            #expect(got.content == wantContent, "\(name) \(got.role): \(firstDifference(got.content, wantContent))")
        }
    }
}
