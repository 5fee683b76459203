import DSPy
import DSPyTestSupport
import Testing

struct CityArgs: Codable, Sendable { var city: String }

@Suite("ReAct runs Swift tools")
struct ReActTests {
    let weather = Tool("get_weather", description: "Get the weather for a city.", arguments: CityArgs.self) { args in
        "The weather in \(args.city) is sunny."
    }

    @Test("Tools are described to the model as DSPy describes them")
    func description() throws {
        let agent = try ReAct("question -> answer", tools: [weather])
        let instructions = agent.react.signature.instructions
        #expect(instructions.contains("(1) get_weather, whose description is <desc>Get the weather for a city.</desc>. It takes arguments {'city': {'type': 'string'}}."))
        #expect(instructions.contains("(2) finish, whose description is <desc>Marks the task as complete. That is, signals that all information for producing the outputs, i.e. `answer`, are now available to be extracted.</desc>. It takes arguments {}."))
        #expect(instructions.hasSuffix("When providing `next_tool_args`, the value inside the field must be in JSON format"))
        #expect(agent.react.signature.outputs.map(\.type.pythonName) == ["str", "Literal['get_weather', 'finish']", "dict[str, Any]"])
        #expect(agent.namedPredictors().map(\.name) == ["react", "extract.predict"])
    }

    @Test("A tool call, finish, then extract: three LM calls")
    func loop() async throws {
        let lm = DummyLM([
            ["next_thought": "Check the weather.", "next_tool_name": "get_weather", "next_tool_args": ["city": "Tokyo"]],
            ["next_thought": "Done.", "next_tool_name": "finish", "next_tool_args": [:]],
            ["reasoning": "It is sunny.", "answer": "Sunny"],
        ])
        let agent = try ReAct("question -> answer", tools: [weather])
        let p = try await DSPySettings.with(DSPySettings(lm: lm)) { try await agent(["question": "Weather in Tokyo?"]) }
        #expect(p["answer"] == "Sunny")
        #expect(lm.history.count == 3)
        #expect(p["trajectory"]?["observation_0"] == "The weather in Tokyo is sunny.")
        #expect(p["trajectory"]?["observation_1"] == "Completed.")
        let secondUser = lm.history[1].messages.last!.content
        #expect(secondUser.contains("[[ ## trajectory ## ]]\n[[ ## thought_0 ## ]]\nCheck the weather.\n\n[[ ## tool_name_0 ## ]]\nget_weather\n\n[[ ## tool_args_0 ## ]]\n{\"city\": \"Tokyo\"}\n\n[[ ## observation_0 ## ]]\nThe weather in Tokyo is sunny."))
    }

    @Test("A tool that throws is reported to the model as an execution error")
    func throwingTool() async throws {
        struct Boom: Error, CustomStringConvertible { var description: String { "service unavailable" } }
        let broken = Tool("lookup", description: "Look something up.", arguments: ["q": ["type": "string"]]) { _ in throw Boom() }
        let lm = DummyLM([
            ["next_thought": "Try.", "next_tool_name": "lookup", "next_tool_args": ["q": "x"]],
            ["next_thought": "Give up.", "next_tool_name": "finish", "next_tool_args": [:]],
            ["reasoning": "r", "answer": "unknown"],
        ])
        let agent = try ReAct("question -> answer", tools: [broken])
        let p = try await DSPySettings.with(DSPySettings(lm: lm)) { try await agent(["question": "q"]) }
        #expect(p["trajectory"]?["observation_0"] == "Execution error in lookup: service unavailable")
        #expect(p["answer"] == "unknown")
    }

    @Test("The iteration limit stops the loop")
    func iterationLimit() async throws {
        let step: JSONObject = ["next_thought": "again", "next_tool_name": "get_weather", "next_tool_args": ["city": "X"]]
        let lm = DummyLM([step, step, ["reasoning": "r", "answer": "a"]])
        let agent = try ReAct("question -> answer", tools: [weather], maxIterations: 2)
        let p = try await DSPySettings.with(DSPySettings(lm: lm)) { try await agent(["question": "q"]) }
        #expect(lm.history.count == 3)
        #expect(p["answer"] == "a")
    }
}
