import Testing

@testable import DSPy

/// Choice scores from a server's top log-probs (`RemoteChoiceScores`): which token position
/// decides, how tokens that straddle the header are matched, what an unseen choice scores.
@Suite("Remote choice scores from top log-probs")
struct RemoteChoiceScoresTests {
    typealias Token = OpenAIWire.TokenLogprob

    static func token(_ text: String, _ logprob: Double, _ top: [(String, Double)] = []) -> Token {
        Token(token: text, logprob: logprob, topLogprobs: top.map { .init(token: $0.0, logprob: $0.1) })
    }

    static func structure(_ signature: String, offsets: [String: Double]? = nil) throws -> OutputStructure {
        var spec = try SignatureSpec(signature)
        if let offsets { spec = spec.withChoiceOffsets(spec.outputs[0].name, offsets) }
        return OutputStructure(style: .chatHeaders, signature: spec)
    }

    @Test("A token that straddles the header and the value is matched by its value part")
    func straddlingToken() throws {
        let structure = try Self.structure("text -> label: Literal['yes', 'no']")
        let text = "[[ ## label ## ]]\nyes\n\n[[ ## completed ## ]]"
        let tokens = [Self.token("[[ ## label ## ]]", -0.1), Self.token("\nyes", -0.3, [("\nyes", -0.3), ("\nno", -1.5), ("\n", -2.0)]),
                      Self.token("\n\n[[ ## completed ## ]]", -0.2)]
        let (out, entries) = RemoteChoiceScores.apply(structure, text: text, tokens: tokens)
        #expect(out == text)
        let scores = Prediction.choiceScores(fromMetadata: ["choice_scores": .array(entries)])["label"]
        #expect(scores == ["yes": -0.3, "no": -1.5])
    }

    @Test("Choices sharing a first token are told apart at their first distinguishing token")
    func sharedPrefix() throws {
        let structure = try Self.structure("text -> grade: Literal['good', 'goodish', 'bad']")
        let text = "[[ ## grade ## ]]\ngoodish\n\n[[ ## completed ## ]]"
        let tokens = [Self.token("[[ ## grade ## ]]\n", -0.1),
                      Self.token("good", -0.2, [("good", -0.2), ("bad", -2.0)]),
                      Self.token("ish", -0.7, [("ish", -0.7), ("\n\n", -0.9)]),
                      Self.token("\n\n[[ ## completed ## ]]", -0.05)]
        let (_, entries) = RemoteChoiceScores.apply(structure, text: text, tokens: tokens)
        let scores = try #require(Prediction.choiceScores(fromMetadata: ["choice_scores": .array(entries)])["grade"])
        #expect(abs(scores["goodish"]! - -0.9) < 1e-12)
        #expect(abs(scores["good"]! - -1.1) < 1e-12, "good: its shared token, then the best alternative that ends it")
        #expect(abs(scores["bad"]! - -2.0) < 1e-12)
    }

    @Test("A choice missing from the top-k gets the lowest visible log-prob; offsets can change the decision and the text")
    func unseenChoiceAndOffsets() throws {
        let tokens = [Self.token("[[ ## c ## ]]\n", 0), Self.token("red", -0.2, [("red", -0.2), ("green", -1.0)]),
                      Self.token("\n\n[[ ## completed ## ]]", 0)]
        let text = "[[ ## c ## ]]\nred\n\n[[ ## completed ## ]]"
        let plain = try Self.structure("x -> c: Literal['red', 'green', 'blue']")
        let (_, entries) = RemoteChoiceScores.apply(plain, text: text, tokens: tokens)
        let scores = Prediction.choiceScores(fromMetadata: ["choice_scores": .array(entries)])["c"]
        #expect(scores == ["red": -0.2, "green": -1.0, "blue": -1.0])
        let calibrated = try Self.structure("x -> c: Literal['red', 'green', 'blue']", offsets: ["red": 1, "green": 0, "blue": 0.5])
        let (rewritten, _) = RemoteChoiceScores.apply(calibrated, text: text, tokens: tokens)
        #expect(rewritten == "[[ ## c ## ]]\ngreen\n\n[[ ## completed ## ]]")
    }

    @Test("Without log-probs, or with a value that is no choice, nothing is scored and the text stays")
    func nothingToScore() throws {
        let structure = try Self.structure("text -> label: Literal['yes', 'no']")
        let text = "[[ ## label ## ]]\nmaybe\n\n[[ ## completed ## ]]"
        #expect(RemoteChoiceScores.apply(structure, text: text, tokens: []).1.isEmpty)
        let tokens = [Self.token("[[ ## label ## ]]\n", 0), Self.token("maybe", -1, [("yes", -2)])]
        let (out, entries) = RemoteChoiceScores.apply(structure, text: text, tokens: tokens)
        #expect(out == text && entries.isEmpty)
    }
}
