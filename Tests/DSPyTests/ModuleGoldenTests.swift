import DSPy
import DSPyTestSupport
import Foundation
import Testing

/// Whole module runs compared with DSPy 3.4.1 running the same program on the same DummyLM answers.
@Suite("Modules send exactly the messages DSPy sends")
struct ModuleGoldenTests {
    static let file = "module_calls.json"

    struct QueryArgs: Codable, Sendable { var query: String }
    struct Unavailable: Error, CustomStringConvertible { var description: String { "service unavailable" } }

    static func program(_ name: String) throws -> any Module {
        switch name {
        case "predict_qa_class": return Predict(try QATyped.signatureSpec())
        case "chain_of_thought": return try ChainOfThought("question -> answer: int")
        case "chain_of_thought_json_adapter": return try ChainOfThought("question -> answer: int, tags: list[str]")
        case "react_weather":
            return try ReAct("question -> answer", tools: [
                Tool("get_weather", description: "Get the weather for a city.", arguments: CityArgs.self) { args in
                    "The weather in \(args.city) is sunny."
                },
            ], maxIterations: 5)
        case "react_tool_error":
            return try ReAct("question -> answer", tools: [
                Tool("failing_lookup", description: "Look something up.", arguments: QueryArgs.self) { (_: QueryArgs) -> String in
                    throw Unavailable()
                },
            ], maxIterations: 3)
        case "multi_chain_comparison": return try MultiChainComparison(try SignatureSpec("question -> answer"), m: 2)
        default: throw DSPyError.state("unknown case \(name)")
        }
    }

    @Test("Each call's messages, the prediction and the saved state match DSPy", arguments: GoldenFixtures.names(file))
    func moduleRun(name: String) async throws {
        let c = try GoldenFixtures.named(Self.file, name)
        let module = try Self.program(name)
        let demos = (c["demos"]?.arrayValue ?? []).compactMap(\.objectValue).map { Example($0) }
        for p in module.predictors() where !demos.isEmpty { p.demos = demos }
        #expect(module.namedPredictors().map(\.name) == (c["predictors"]?.arrayValue ?? []).compactMap(\.stringValue))

        let lm = DummyLM((c["answers"]?.arrayValue ?? []).compactMap(\.objectValue))
        let inputs = c["inputs"]?.objectValue ?? JSONObject()
        let adapter: any Adapter = c["adapter"]?.stringValue == "json" ? JSONAdapter() : ChatAdapter()
        let prediction: Prediction = try await DSPySettings.with(lm: lm, adapter: adapter) {
            if let mcc = module as? MultiChainComparison {
                return try await mcc((c["completions"]?.arrayValue ?? []).compactMap(\.objectValue), inputs: inputs)
            }
            return try await (module as! any Program).forward(inputs)
        }

        // DSPy's tool error observation is a Python traceback; dspyc reports the Swift error text.
        var expectedPrediction = c["prediction"]?.objectValue ?? JSONObject()
        var replacements: [(String, String)] = []
        if let observation = expectedPrediction["trajectory"]?["observation_0"]?.stringValue,
           observation.hasPrefix("Execution error in"), let got = prediction["trajectory"]?["observation_0"]?.stringValue {
            replacements.append((observation, got))
            var trajectory = expectedPrediction["trajectory"]!.objectValue!
            trajectory["observation_0"] = .string(got)
            expectedPrediction["trajectory"] = .object(trajectory)
        }

        let calls = (c["calls"]?.arrayValue ?? []).compactMap(\.arrayValue)
        #expect(lm.history.count == calls.count)
        for (index, (request, expected)) in zip(lm.history, calls).enumerated() {
            #expect(request.messages.count == expected.count, "\(name) call \(index)")
            for (got, want) in zip(request.messages, expected) {
                var wantContent = want["content"]?.stringValue ?? ""
                for (a, b) in replacements { wantContent = wantContent.replacingOccurrences(of: a, with: b) }
                #expect(got.role.rawValue == want["role"]?.stringValue)
                #expect(got.content == wantContent, "\(name) call \(index): \(firstDifference(got.content, wantContent))")
            }
        }
        #expect(prediction.fields == expectedPrediction)
        #expect(prediction.fields.keys == expectedPrediction.keys)
        let state = module.dumpState()
        #expect(state == c["state"], "\(name) state")
        #expect(state.pythonJSON(indent: 2) == (c["state"] ?? .null).pythonJSON(indent: 2))
    }
}
