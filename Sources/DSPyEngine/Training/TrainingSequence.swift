/// One training example as tokens: the whole rendered text, and which tokens are targets.
///
/// `lossMask[i]` true means token i is a target predicted from tokens 0..<i (a completion
/// token); false means it is only context (a prompt token). Token 0 cannot be a target.
public struct TrainingSequence: Sendable, Hashable {
    public var tokens: [Int32]
    public var lossMask: [Bool]

    public init(tokens: [Int32], lossMask: [Bool]) {
        self.tokens = tokens
        self.lossMask = lossMask
    }

    /// A prompt followed by its completion: targets are exactly the completion's tokens.
    public init(prompt: [Int32], completion: [Int32]) {
        tokens = prompt + completion
        lossMask = [Bool](repeating: false, count: prompt.count) + [Bool](repeating: true, count: completion.count)
    }

    /// How many tokens are targets.
    public var targetCount: Int { lossMask.dropFirst().reduce(0) { $0 + ($1 ? 1 : 0) } }

    /// Checks the sequence against the model and the configuration.
    ///
    /// - Throws: `EngineError.invalidArgument` naming sequence `index` for a mask of another
    ///   length, no target, a target at token 0, a sequence longer than `maxLength`, or a token
    ///   outside the vocabulary.
    func validate(index: Int, maxLength: Int, vocabularySize: Int) throws {
        func fail(_ reason: String) -> EngineError {
            .invalidArgument("training sequence \(index) (\(tokens.count) tokens): \(reason)")
        }
        guard lossMask.count == tokens.count else {
            throw fail("the loss mask has \(lossMask.count) entries; it needs one per token")
        }
        guard tokens.count >= 2 else { throw fail("a sequence needs at least two tokens (a context and a target)") }
        guard lossMask.first == false else {
            throw fail("token 0 is marked as a target, but nothing precedes it to predict it from")
        }
        guard targetCount > 0 else { throw fail("no token is marked as a target in the loss mask") }
        guard tokens.count <= maxLength else {
            throw fail("longer than the longest sequence allowed (\(maxLength) tokens: maxSequenceLength or the model's context)")
        }
        if let bad = tokens.firstIndex(where: { $0 < 0 || Int($0) >= vocabularySize }) {
            throw fail("token \(bad) is \(tokens[bad]), outside the vocabulary 0..<\(vocabularySize)")
        }
    }
}
