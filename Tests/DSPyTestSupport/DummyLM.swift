import DSPy
import Foundation

/// A scripted language model for tests (DSPy's `DummyLM`).
///
/// Three modes, as in DSPy:
/// - a list of answers, consumed in order (each answer is a set of output
///   fields, rendered with the adapter's field format, like DSPy, without a
///   completed marker);
/// - a dictionary from a substring of the last message to an answer;
/// - `followExamples`: when the final user message matches a demo's user
///   message, answer with that demo's outputs.
///
/// Raw text answers (``Answer/text(_:)``) let tests feed malformed completions.
/// Every request is recorded in ``history``.
public final class DummyLM: LanguageModel, @unchecked Sendable {
    public enum Answer: Sendable, Hashable {
        /// Output fields, rendered as `[[ ## name ## ]]\nvalue` sections (or JSON for JSON requests).
        case fields(JSONObject)
        /// A completion text sent verbatim.
        case text(String)
    }

    private enum Mode {
        case list([Answer])
        case lookup([(String, Answer)])
    }

    private let lock = NSLock()
    private let mode: Mode
    private var nextIndex = 0
    private var recorded: [LMRequest] = []
    private let followExamples: Bool
    public let modelIdentifier: String
    public let defaultParameters: SamplingParameters

    /// Answers in order; running past the end answers "No more responses".
    public init(_ answers: [Answer], followExamples: Bool = false, model: String = "dummy",
                defaultParameters: SamplingParameters = SamplingParameters()) {
        self.mode = .list(answers)
        self.followExamples = followExamples
        self.modelIdentifier = model
        self.defaultParameters = defaultParameters
    }

    /// Answers given as field dictionaries, in order.
    public convenience init(_ answers: [JSONObject], followExamples: Bool = false) {
        self.init(answers.map(Answer.fields), followExamples: followExamples)
    }

    /// Answers chosen by a substring of the last message (first match in order).
    public init(lookup: [(String, Answer)], model: String = "dummy") {
        self.mode = .lookup(lookup)
        self.followExamples = false
        self.modelIdentifier = model
        self.defaultParameters = SamplingParameters()
    }

    /// Every request received, oldest first.
    public var history: [LMRequest] { lock.withLock { recorded } }

    /// The number of calls so far.
    public var callCount: Int { history.count }

    public func complete(_ request: LMRequest) async throws -> LMResponse {
        let completions: [LMCompletion] = lock.withLock {
            recorded.append(request)
            return (0..<max(1, request.parameters.n)).map { _ in LMCompletion(text: render(nextAnswer(request), request)) }
        }
        let promptChars = request.messages.reduce(0) { $0 + $1.content.count }
        return LMResponse(
            completions: completions,
            usage: TokenUsage(promptTokens: promptChars / 4, completionTokens: completions.reduce(0) { $0 + $1.text.count } / 4),
            latency: .milliseconds(1), model: modelIdentifier)
    }

    private func nextAnswer(_ request: LMRequest) -> Answer {
        let last = request.messages.last?.content ?? ""
        if followExamples {
            // Demo turns are (user, assistant) pairs between the system message and the final user turn.
            let turns = Array(request.messages.dropFirst().dropLast())
            let finalInputs = Self.inputPart(last)
            var i = 0
            while i + 1 < turns.count {
                if turns[i].role == .user, Self.inputPart(turns[i].content) == finalInputs {
                    return .text(turns[i + 1].content)
                }
                i += 2
            }
        }
        switch mode {
        case .list(let answers):
            defer { nextIndex += 1 }
            return nextIndex < answers.count ? answers[nextIndex] : .text("No more responses")
        case .lookup(let table):
            return table.first { $0.0.isEmpty || last.contains($0.0) }?.1 ?? .text("No more responses")
        }
    }

    private static func inputPart(_ content: String) -> String {
        if let r = content.range(of: "\n\nRespond with") { return String(content[..<r.lowerBound]) }
        return content
    }

    private func render(_ answer: Answer, _ request: LMRequest) -> String {
        switch answer {
        case .text(let t): return t
        case .fields(let fields):
            if request.outputStructure?.style == .jsonObject { return JSONValue.object(fields).pythonJSON(indent: 2) }
            if request.outputStructure?.style == .xmlTags {
                return fields.map { "<\($0.key)>\n\($0.value.pythonStr)\n</\($0.key)>" }.joined(separator: "\n\n")
            }
            return fields.map { "[[ ## \($0.key) ## ]]\n\($0.value.pythonStr)" }.joined(separator: "\n\n")
        }
    }
}
