import DSPy
import DSPyPrograms
import DSPyTestSupport
import Testing

@Suite("sentiment-explained classifies, then justifies the label")
struct ClassifyThenJustifyTests {
    @Test("Two calls: the label, then an explanation that sees the label")
    func twoSteps() async throws {
        let lm = DummyLM([
            ["sentiment": "negative"],
            ["reasoning": "The text complains.", "explanation": "It complains about the rain."],
        ])
        let program = ClassifyThenJustify()
        let prediction = try await DSPySettings.with(DSPySettings(lm: lm)) {
            try await program(["text": "rain again, ugh"])
        }
        #expect(prediction["sentiment"] == "negative")
        #expect(prediction["explanation"] == "It complains about the rain.")
        #expect(prediction["reasoning"] == "The text complains.")
        #expect(lm.callCount == 2)
        let secondPrompt = try #require(lm.history.last?.messages.last?.content)
        #expect(secondPrompt.contains("[[ ## sentiment ## ]]\nnegative"))
    }

    @Test("Its predictors are named for the compiled state")
    func predictorNames() {
        #expect(ClassifyThenJustify().namedPredictors().map(\.name) == ["classify", "justify.predict"])
    }

    @Test("A deep copy has its own predictors")
    func deepCopy() {
        let program = ClassifyThenJustify()
        program.classify.demos = [Example(["text": "great", "sentiment": "positive"])]
        let copy = program.deepCopy()
        #expect(copy.classify !== program.classify)
        #expect(copy.justify.predict !== program.justify.predict)
        #expect(copy.classify.demos.count == 1)
    }

    @Test("While bootstrapping, a correct label without an explanation is not a demo")
    func metricNeedsExplanationWhenTracing() async throws {
        let spec = try ProgramRegistry.named("sentiment-explained")
        let example = Example(["text": "great", "sentiment": "positive"]).withInputs("text")
        let bare = Prediction(["sentiment": "positive", "explanation": ""])
        #expect(try await spec.metric(example, bare) == 1)
        #expect(try await spec.metric(example, bare, trace: []) == 0)
    }
}
