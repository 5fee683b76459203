import DSPy
import DSPyTestSupport
import Foundation
import Testing

@Suite("XMLAdapter reproduces DSPy 3.4.1 byte for byte")
struct XMLAdapterGoldenTests {
    @Test("The XML fixtures exist and cover formatting and parsing")
    func fixturesPresent() throws {
        #expect(try GoldenFixtures.cases("adapter_xml_format.json").count >= 12)
        #expect(try GoldenFixtures.cases("adapter_xml_parse.json").count >= 20)
    }

    @Test("format() renders the messages DSPy's XMLAdapter renders",
          arguments: GoldenFixtures.names("adapter_xml_format.json"))
    func format(name: String) throws {
        let c = try GoldenFixtures.named("adapter_xml_format.json", name)
        let signature = try GoldenFixtures.signature(c["signature"])
        let demos = (c["demos"]?.arrayValue ?? []).compactMap(\.objectValue).map { Example($0) }
        let messages = XMLAdapter().format(signature, demos: demos, inputs: c["inputs"]?.objectValue ?? JSONObject())
        let expected = (c["messages"]?.arrayValue ?? []).compactMap(\.objectValue)
        #expect(messages.count == expected.count, "\(name)")
        for (got, want) in zip(messages, expected) {
            let wantContent = want["content"]?.stringValue ?? ""
            #expect(got.role.rawValue == want["role"]?.stringValue)
            #expect(got.content == wantContent, "\(name) \(got.role): \(firstDifference(got.content, wantContent))")
        }
    }

    @Test("parse() gives DSPy's fields or DSPy's error", arguments: GoldenFixtures.names("adapter_xml_parse.json"))
    func parse(name: String) throws {
        let c = try GoldenFixtures.named("adapter_xml_parse.json", name)
        let signature = try GoldenFixtures.signature(c["signature"])
        let completion = c["completion"]?.stringValue ?? ""
        if let expected = c["result"]?.objectValue {
            let fields = try XMLAdapter().parse(signature, completion: completion)
            #expect(fields == expected, "\(name)")
            #expect(fields.keys == expected.keys)
            for (key, typeName) in c["result_types"]?.objectValue ?? JSONObject() {
                #expect(pythonType(fields[key]) == typeName.stringValue, "\(name).\(key)")
            }
        } else {
            let want = c["error"]?.stringValue ?? ""
            do {
                _ = try XMLAdapter().parse(signature, completion: completion)
                Issue.record("\(name): expected a parse error")
            } catch let error as DSPyError {
                #expect(error.description == want, "\(name): \(firstDifference(error.description, want))")
            }
        }
    }

    @Test("The canonical XML completion of every signature parses back to its values")
    func structureRoundTrip() throws {
        let signature = try SignatureSpec("question -> answer, count: int, ok: bool, label: Literal['a', 'b']")
        let values: JSONObject = ["answer": "x < y & z", "count": 3, "ok": true, "label": "b"]
        let structure = XMLAdapter().outputStructure(for: signature)
        #expect(structure.style == .xmlTags)
        let text = structure.render(values)
        #expect(text.hasPrefix("<answer>\nx &lt; y &amp; z\n</answer>\n\n<count>\n3\n</count>"))
        #expect(try XMLAdapter().parse(signature, completion: text) == values)
    }

    @Test("A parse failure retries through JSONAdapter, as DSPy's XMLAdapter does")
    func fallsBackToJSON() async throws {
        let lm = DummyLM([.text("<answer>a & b</answer>"), .text(#"{"answer": "a & b"}"#)])
        let predict = try Predict("question -> answer")
        predict.adapter = XMLAdapter()
        let prediction = try await predict(["question": "q"], lm: lm)
        #expect(prediction["answer"] == "a & b")
        #expect(prediction.usedAdapterFallback)
        #expect(lm.callCount == 2)
    }

    private func pythonType(_ value: JSONValue?) -> String {
        switch value {
        case .none, .null?: return "NoneType"
        case .bool?: return "bool"
        case .int?: return "int"
        case .double?: return "float"
        case .string?: return "str"
        case .array?: return "list"
        case .object?: return "dict"
        }
    }
}
