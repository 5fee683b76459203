import DSPy
import DSPyEngine
import Foundation

/// Generates a tool-enabled completion under the engine's constrained decoder.
///
/// With one possible answer (a forced tool, or `required` with one tool) one generation
/// runs under `opening · arguments · }}`. With several, the first generation is constrained
/// to a choice among the openings (``ToolPrompt/branches``), which the model makes token by
/// token from its own probabilities; the second continues the prompt plus those tokens
/// under the chosen branch's schema. Either way the arguments are JSON that validates
/// against the chosen tool's `parameters`, and the name is one of the tools.
///
/// Cost: the generations' tokens, plus (for a choice) a second prompt evaluation, mostly
/// served by the prefix cache.
struct ToolCallDecoder {
    /// What the completion turned out to be.
    enum Outcome: Equatable {
        /// A call: the tool's name and its arguments as JSON text.
        case call(name: String, arguments: String)
        /// A text answer.
        case text(String)
    }

    /// Streamed progress: the call's name once chosen, then pieces of arguments or answer text.
    enum Event {
        case callStarted(name: String)
        case arguments(String)
        case text(String)
    }

    struct Result {
        var outcome: Outcome
        /// `tool_calls`, `stop` or `length`.
        var finishReason: String
        var promptTokens: Int
        var completionTokens: Int
        var logprobs: [TokenLogprobs]
    }

    let model: TextModel
    let prompt: ToolPrompt
    /// The adapter the calls are generated with (`serve --program`), if any.
    var adapter: AdapterID? = nil

    /// Runs the completion for an encoded prompt.
    ///
    /// - Throws: ``ConstraintError`` when an opening cannot be tokenized; engine errors;
    ///   `CancellationError` when the request's task is cancelled.
    func generate(
        prompt tokens: [Int32], parameters: DSPyEngine.SamplingParameters, onEvent: (@Sendable (Event) -> Void)? = nil
    ) async throws -> Result {
        let vocabulary = try await model.constraintVocabulary()
        let branches = prompt.branches
        guard let only = branches.first else { throw OpenAIRequestError(message: "'tool_choice' leaves no tool to call") }
        var chosen = only
        var openingTokens: [Int32] = []
        var logprobs: [TokenLogprobs] = []
        var continuation = ToolPrompt.continuation(of: only.branch)
        if branches.count > 1 {
            let choice = try OutputConstraint(segments: [.choice(branches.map(\.opening))], vocabulary: vocabulary)
            let first = try await model.generate(prompt: tokens, parameters: parameters, options: GenerationOptions(constraint: choice, adapter: adapter))
            guard first.finishReason == .stop, let picked = branches.first(where: { $0.opening == first.text }) else {
                return Result(outcome: .text(""), finishReason: "length", promptTokens: first.promptTokens,
                              completionTokens: first.tokens.count, logprobs: first.logprobs)
            }
            chosen = picked
            openingTokens = first.tokens
            logprobs = first.logprobs
            continuation = ToolPrompt.continuation(of: picked.branch)
        } else {
            continuation.insert(.literal(only.opening), at: 0)
        }
        if case .call(let tool) = chosen.branch { onEvent?(.callStarted(name: tool.name)) }

        var rest = parameters
        if let limit = parameters.maxTokens { rest.maxTokens = max(1, limit - openingTokens.count) }
        if openingTokens.count > 0, let seed = parameters.seed { rest.seed = seed &+ 1 }
        let constraint = try OutputConstraint(segments: continuation, vocabulary: vocabulary)
        let stream = StreamedValue(branch: chosen.branch, skip: openingTokens.isEmpty ? chosen.opening.count : 0, onEvent: onEvent)
        var onText: (@Sendable (String) -> Void)?
        if onEvent != nil { onText = { @Sendable piece in stream.receive(piece) } }
        let second = try await model.generate(
            prompt: tokens + openingTokens, parameters: rest, options: GenerationOptions(constraint: constraint, adapter: adapter), onText: onText)
        stream.finish(text: second.text, complete: second.finishReason == .stop)
        logprobs += second.logprobs
        let complete = second.finishReason == .stop
        var text = second.text
        if openingTokens.isEmpty { text = String(text.dropFirst(chosen.opening.count)) }
        let outcome: Outcome
        switch chosen.branch {
        case .call(let tool):
            if complete { text = String(text.dropLast(2)) }
            outcome = .call(name: tool.name, arguments: text)
        case .response:
            if complete { text = String(text.dropLast(1)) }
            outcome = .text(JSONStringPrefix.decode(text))
        }
        let finish = !complete ? "length" : outcome.isCall ? "tool_calls" : "stop"
        return Result(outcome: outcome, finishReason: finish, promptTokens: tokens.count,
                      completionTokens: openingTokens.count + second.tokens.count, logprobs: logprobs)
    }
}

extension ToolCallDecoder.Outcome {
    var isCall: Bool { if case .call = self { return true } else { return false } }
}

/// Turns the streamed text of a branch's value into events: argument text (holding back
/// the closing `}}` until it is known to be the end), or the answer's decoded characters.
private final class StreamedValue: @unchecked Sendable {
    private let lock = NSLock()
    private let branch: ToolPrompt.Branch
    private let onEvent: (@Sendable (ToolCallDecoder.Event) -> Void)?
    private var skip: Int
    private var raw = ""
    private var sent = 0

    init(branch: ToolPrompt.Branch, skip: Int, onEvent: (@Sendable (ToolCallDecoder.Event) -> Void)?) {
        self.branch = branch
        self.skip = skip
        self.onEvent = onEvent
    }

    func receive(_ piece: String) {
        lock.withLock {
            raw += piece
            flush(final: false, complete: false)
        }
    }

    /// Sends the rest of the generation's final text (which may hold text no piece carried).
    func finish(text: String, complete: Bool) {
        lock.withLock {
            raw = text
            flush(final: true, complete: complete)
        }
    }

    /// Sends what is known: `raw` minus the opening still to skip and the closing held back.
    private func flush(final: Bool, complete: Bool) {
        guard let onEvent, raw.count >= skip else { return }
        let body = Array(raw.dropFirst(skip))
        switch branch {
        case .call:
            let held = final ? (complete ? 2 : 0) : 2
            let end = max(sent, body.count - held)
            if end > sent { onEvent(.arguments(String(body[sent..<end]))) }
            sent = end
        case .response:
            let decoded = Array(JSONStringPrefix.decode(String(body)))
            if decoded.count > sent { onEvent(.text(String(decoded[sent...]))) }
            sent = max(sent, decoded.count)
        }
    }
}

/// Decodes the longest complete prefix of a JSON string literal (`"Hel` gives `Hel`; an
/// escape cut in the middle is left out until complete; the closing quote ends it).
enum JSONStringPrefix {
    static func decode(_ text: String) -> String {
        var scalars = Array(text.unicodeScalars)
        guard scalars.first == "\"" else { return "" }
        scalars.removeFirst()
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if c == "\"" { break }
            if c != "\\" { out.append(c); i += 1; continue }
            guard i + 1 < scalars.count else { break }
            switch scalars[i + 1] {
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "b": out.append("\u{8}")
            case "f": out.append("\u{C}")
            case "u":
                guard i + 6 <= scalars.count else { return String(out) }
                let hex = String(String.UnicodeScalarView(scalars[(i + 2)..<(i + 6)]))
                if let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) { out.append(scalar) }
                i += 6
                continue
            case let other: out.append(other)
            }
            i += 2
        }
        return String(out)
    }
}
