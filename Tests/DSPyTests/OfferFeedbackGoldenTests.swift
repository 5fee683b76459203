@testable import DSPy
import DSPyTestSupport
import Foundation
import Testing

/// The fixture's `DraftThenClassify`: a summary predictor, then a classifier reading the summary.
final class DraftThenClassify: Program, @unchecked Sendable {
    let draft: Predict
    let classify: Predict

    init(draft: Predict, classify: Predict) {
        self.draft = draft
        self.classify = classify
    }

    convenience init() throws {
        self.init(draft: try Predict("text -> summary", instructions: "Summarize the text in one line.\nKeep names."),
                  classify: try Predict("text, summary -> sentiment"))
    }

    func deepCopy() -> DraftThenClassify { DraftThenClassify(draft: draft.deepCopy(), classify: classify.deepCopy()) }

    func forward(_ inputs: JSONObject) async throws -> Prediction {
        let summary = try await draft(inputs)["summary"] ?? ""
        var next = inputs
        next["summary"] = summary
        return try await classify(next)
    }
}

/// The fixture's two runs on one example: the better keeps the tone, the worse loses it.
func feedbackBucket(good: Double, bad: Double, info: [JSONObject]) -> [SIMBARun] {
    let example = Example(["text": "A great day, honestly.", "sentiment": "positive"]).withInputs("text")
    func run(_ summary: String, _ sentiment: String, _ score: Double, _ meta: JSONObject) -> SIMBARun {
        SIMBARun(
            prediction: Prediction(["sentiment": .string(sentiment)]),
            steps: [
                .init(name: "draft", inputs: ["text": "A great day, honestly."], outputs: ["summary": .string(summary)]),
                .init(name: "classify", inputs: ["text": "A great day, honestly.", "summary": .string(summary)],
                      outputs: ["sentiment": .string(sentiment)]),
            ],
            score: score, example: example, rewardInfo: meta, failed: false)
    }
    return [run("A great day.", "positive", good, info[0]), run("A day.", "negative", bad, info[1])]
}

/// DSPy's messages with the Python source it sent replaced by what dspyc sends in its place.
private func expected(_ messages: [JSONValue], replacing pairs: [(String, String)]) -> [(String, String)] {
    messages.map { m in
        var content = m["content"]?.stringValue ?? ""
        for (python, swift) in pairs { content = content.replacingOccurrences(of: python, with: swift) }
        return (m["role"]?.stringValue ?? "", content)
    }
}

@Suite("OfferFeedback prompts of SIMBA and Refine against DSPy 3.4.1")
struct OfferFeedbackGoldenTests {
    @Test("SIMBA's append_a_rule sends DSPy's prompt byte for byte, the Python source replaced by the Swift description")
    func simbaRulePrompt() async throws {
        let cases = try GoldenFixtures.cases("offer_feedback.json").filter { $0["name"]?.stringValue?.hasPrefix("simba") == true }
        #expect(cases.count == 4)
        for c in cases {
            let name = c["name"]?.stringValue ?? "?"
            let system = try DraftThenClassify()
            let info = (c["reward_info"]?.arrayValue ?? []).map { $0.objectValue ?? [:] }
            let lm = DummyLM([["discussion": "The draft lost the tone.",
                               "module_advice": ["draft": "Keep the tone words.", "classify": "Trust words like 'great'."]]])
            let applied = try await SIMBAStrategies.appendARule(
                bucket: feedbackBucket(good: c["good_score"]?.doubleValue ?? -1, bad: c["bad_score"]?.doubleValue ?? -1, info: info),
                to: system, p10: c["p10"]?.doubleValue ?? -1, p90: c["p90"]?.doubleValue ?? -1, promptModel: lm)
            #expect(applied == c["applied"]?.boolValue, "\(name)")
            for (predictorName, p) in system.namedPredictors() {
                #expect(p.signature.instructions == c["instructions"]?[predictorName]?.stringValue, "\(name) \(predictorName)")
            }
            guard let messages = c["messages"]?.arrayValue else {
                #expect(lm.history.isEmpty, "\(name): a skipped rule makes no call")
                continue
            }
            let want = expected(messages, replacing: [(c["program_code"]?.stringValue ?? "",
                                                       ProgramDescription.sourceSubstitute(try DraftThenClassify()))])
            let sent = try #require(lm.history.first?.messages)
            #expect(sent.count == want.count)
            for (m, e) in zip(sent, want) {
                #expect(m.role.rawValue == e.0)
                #expect(m.content == e.1, "\(name)")
            }
        }
    }

    @Test("Refine's feedback call and its hinted retry are DSPy's, with the module and reward described")
    func refinePrompts() async throws {
        let c = try GoldenFixtures.named("offer_feedback.json", "refine_predict")
        let lm = DummyLM([
            ["answer": "bad"],
            ["discussion": "Wrong.", "advice": ["self": "Say good."]],
            ["answer": "good"],
        ])
        let qa = try Predict("question -> answer")
        let refine = Refine(qa, n: 3, threshold: 1.0, rewardDescription: "1.0 when the answer is exactly 'good', else 0.0") {
            _, p in p["answer"] == "good" ? 1 : 0
        }
        let p = try await DSPySettings.with(DSPySettings(lm: lm)) { try await refine(["question": "What is good?"]) }
        #expect(p["answer"]?.stringValue == c["answer"]?.stringValue)
        let want = (c["messages"]?.arrayValue ?? []).map {
            expected($0.arrayValue ?? [], replacing: [
                (c["program_code"]?.stringValue ?? "", ProgramDescription.sourceSubstitute(qa)),
                (c["reward_code"]?.stringValue ?? "", "1.0 when the answer is exactly 'good', else 0.0"),
            ])
        }
        #expect(lm.history.count == 3 && want.count == 3)
        for (call, e) in zip(lm.history, want) {
            #expect(call.messages.map(\.role.rawValue) == e.map { $0.0 })
            #expect(call.messages.map(\.content) == e.map { $0.1 })
        }
    }

    @Test("The Swift description names the program type, its modules, signatures and instructions")
    func sourceSubstitute() throws {
        let text = ProgramDescription.sourceSubstitute(try DraftThenClassify())
        #expect(text.hasPrefix("// Swift program `DraftThenClassify` (dspyc)."))
        #expect(text.contains("  draft: Predict\n  classify: Predict"))
        #expect(text.contains("  classify = Predict(\"text, summary -> sentiment\")"))
        #expect(text.contains("    instructions: \"Summarize the text in one line.\\nKeep names.\""))
        #expect(Refine(try Predict("q -> a"), n: 2, threshold: 1) { _, _ in 0 }.rewardDescription == Refine.undescribedReward)
    }
}
