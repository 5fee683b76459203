import DSPy
import Foundation
import Testing

@Suite("Adapters reproduce DSPy 3.4.1 byte for byte")
struct AdapterGoldenTests {
    @Test("The fixtures exist and cover at least twelve format cases")
    func fixturesPresent() throws {
        #expect(try GoldenFixtures.cases("adapter_format.json").count >= 12)
        #expect(try GoldenFixtures.cases("adapter_parse.json").count >= 12)
    }

    @Test("format() renders the messages DSPy renders",
          arguments: GoldenFixtures.names("adapter_format.json").filter { !$0.hasPrefix("typed_") })
    func format(name: String) throws {
        let c = try GoldenFixtures.named("adapter_format.json", name)
        let signature = try GoldenFixtures.signature(c["signature"])
        let demos = (c["demos"]?.arrayValue ?? []).compactMap(\.objectValue).map { Example($0) }
        let inputs = c["inputs"]?.objectValue ?? JSONObject()
        let messages = GoldenFixtures.adapter(c["adapter"]).format(signature, demos: demos, inputs: inputs)
        let expected = (c["messages"]?.arrayValue ?? []).compactMap(\.objectValue)
        #expect(messages.count == expected.count)
        for (got, want) in zip(messages, expected) {
            let wantContent = want["content"]?.stringValue ?? ""
            #expect(got.role.rawValue == want["role"]?.stringValue)
            #expect(got.content == wantContent, "\(name) \(got.role): \(firstDifference(got.content, wantContent))")
        }
    }

    @Test("parse() gives DSPy's fields or DSPy's error", arguments: GoldenFixtures.names("adapter_parse.json"))
    func parse(name: String) throws {
        let c = try GoldenFixtures.named("adapter_parse.json", name)
        let signature = try GoldenFixtures.signature(c["signature"])
        let completion = c["completion"]?.stringValue ?? ""
        let adapter = GoldenFixtures.adapter(c["adapter"])
        if let expected = c["result"]?.objectValue {
            let fields = try adapter.parse(signature, completion: completion)
            #expect(fields == expected)
            #expect(fields.keys == expected.keys)
            // Python types survive: 3.0 stays a float, 42 an int.
            for (key, typeName) in c["result_types"]?.objectValue ?? JSONObject() {
                #expect(pythonType(fields[key]) == typeName.stringValue, "\(name).\(key)")
            }
        } else {
            let want = c["error"]?.stringValue ?? ""
            do {
                _ = try adapter.parse(signature, completion: completion)
                Issue.record("\(name): expected a parse error")
            } catch let error as DSPyError {
                #expect(error.description == want, "\(name): \(firstDifference(error.description, want))")
            }
        }
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
