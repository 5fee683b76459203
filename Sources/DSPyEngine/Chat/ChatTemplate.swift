import Foundation

/// A model's chat template, recognised by family and rendered natively.
///
/// GGUF files carry their chat template as Jinja source
/// (`tokenizer.chat_template`). Rather than interpreting Jinja, the engine
/// recognises the template's *family* from marker tokens in the source and
/// renders it with Swift code that produces the same text as the real
/// templates rendered by Jinja (checked byte for byte against llama-cpp-python's
/// `Jinja2ChatFormatter` in `Tests/Fixtures/chat-templates`):
///
/// | family | recognised by | message | generation prompt |
/// | --- | --- | --- | --- |
/// | ``Family/chatML`` | `<|im_start|>` | `<|im_start|>ROLE\nCONTENT<|im_end|>\n` | `<|im_start|>assistant\n` |
/// | ``Family/llama3`` | `<|start_header_id|>` and `<|end_header_id|>` | `<|start_header_id|>ROLE<|end_header_id|>\n\nCONTENT<|eot_id|>` (content trimmed) | `<|start_header_id|>assistant<|end_header_id|>\n\n` |
/// | ``Family/gemma`` | `<start_of_turn>` | `<start_of_turn>ROLE\nCONTENT<end_of_turn>\n` (role `model` for the assistant, content trimmed, a leading system message + `\n\n` prefixed to the first turn) | `<start_of_turn>model\n` |
/// | ``Family/phi3`` | `<|user|>`, `<|assistant|>` and `<|end|>` | `<|ROLE|>\nCONTENT<|end|>\n` | `<|assistant|>\n` (without it, the end-of-sequence text) |
///
/// Variants found in the source:
/// - a ChatML template that inserts its own system message when the conversation
///   has none (SmolLM2's "You are a helpful AI assistant named SmolLM…", Qwen 2.5's
///   "You are Qwen, created by Alibaba Cloud…"): that text becomes ``defaultSystemPrompt``;
/// - a ChatML template with `<think>` blocks (Qwen 3): ``reasoningBlocks``; assistant
///   turns before the last user message lose their `<think>…</think>` part, and an
///   assistant turn after it gets one (empty when it had none), as Qwen 3's template does;
/// - a Llama 3 template that opens with a system turn carrying `Cutting Knowledge Date:`
///   (Llama 3.1, 3.2, 3.3): ``knowledgeDateHeader``, with `Today Date:` either a literal
///   from the template or today's date when the template calls `strftime_now`.
///
/// The rendered prompt contains special-token texts, so encode it with
/// `parseSpecial: true`. The BOS token is not written into the text (templates that
/// write `{{ bos_token }}` get it from the tokenizer, which adds it when the model asks).
///
/// Any other template is rejected with ``TokenizerError/unknownChatTemplate(prefix:)``
/// rather than guessed at; ``Family/init(name:)`` picks a family by name instead.
///
/// ```swift
/// let template = try ChatTemplate(source: metadataTemplate)
/// let prompt = template.render([ChatMessage(.user, "What is the capital of France?")])
/// let ids = tokenizer.encode(prompt, parseSpecial: true)
/// ```
public struct ChatTemplate: Sendable, Equatable {
    /// The `Today Date:` line of a Llama 3.1+ system turn.
    public enum DateLine: Sendable, Equatable {
        /// A date the template writes as is (Llama 3.1: "26 Jul 2024").
        case fixed(String)
        /// Today's date, `DD Mon YYYY` in the local time zone (the template calls `strftime_now`).
        case today
    }

    /// The template source as found in the model file (empty for a family picked by name).
    public let source: String
    /// The recognised family.
    public let family: Family
    /// The system message the template adds when a conversation has none.
    public let defaultSystemPrompt: String?
    /// Whether assistant turns carry `<think>` reasoning blocks (Qwen 3).
    public let reasoningBlocks: Bool
    /// The date line of the system turn Llama 3.1+ templates always write, or `nil`.
    public let knowledgeDateHeader: DateLine?
    /// The end-of-sequence token's text, which a Phi-3 template writes after the last
    /// turn when there is no generation prompt (the loading model sets it from its vocabulary).
    public var endOfSequence: String

    /// Recognises `source`.
    ///
    /// - Throws: ``TokenizerError/unknownChatTemplate(prefix:)`` (naming the first
    ///   60 characters) when the template belongs to no known family.
    public init(source: String, endOfSequence: String = "") throws {
        self.source = source
        self.endOfSequence = endOfSequence
        if source.contains("<|im_start|>") && !source.contains("<|im_sep|>") {
            family = .chatML
            defaultSystemPrompt = Self.chatMLDefaultSystemPrompt(in: source)
            reasoningBlocks = source.contains("<think>") && source.contains("</think>")
            knowledgeDateHeader = nil
        } else if source.contains("<|start_header_id|>") && source.contains("<|end_header_id|>") {
            family = .llama3
            defaultSystemPrompt = nil
            reasoningBlocks = false
            knowledgeDateHeader = Self.knowledgeDateLine(in: source)
        } else if source.contains("<start_of_turn>") {
            family = .gemma
            defaultSystemPrompt = nil
            reasoningBlocks = false
            knowledgeDateHeader = nil
        } else if source.contains("<|user|>") && source.contains("<|assistant|>") && source.contains("<|end|>") {
            family = .phi3
            defaultSystemPrompt = nil
            reasoningBlocks = false
            knowledgeDateHeader = nil
        } else {
            let flat = source.replacingOccurrences(of: "\n", with: "\\n")
            throw TokenizerError.unknownChatTemplate(prefix: String(flat.prefix(60)))
        }
    }

    /// Creates the template of a family directly, without source to inspect: the
    /// family's plain form (no default system prompt, reasoning blocks or date header),
    /// as llama.cpp's built-in templates of the same names render it.
    public init(family: Family, defaultSystemPrompt: String? = nil, endOfSequence: String = "") {
        self.source = ""
        self.family = family
        self.defaultSystemPrompt = defaultSystemPrompt
        self.reasoningBlocks = false
        self.knowledgeDateHeader = nil
        self.endOfSequence = endOfSequence
    }

    /// The text that closes a turn in this family (`<|im_end|>`, `<|eot_id|>`,
    /// `<end_of_turn>`, `<|end|>`); generation should stop when the model writes it.
    public var endOfTurn: String {
        switch family {
        case .chatML: return "<|im_end|>"
        case .llama3: return "<|eot_id|>"
        case .gemma: return "<end_of_turn>"
        case .phi3: return "<|end|>"
        }
    }

    /// The literal system text a ChatML template writes when the first message is
    /// not a system message, e.g. SmolLM2's
    /// `{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are …<|im_end|>\n' }}`.
    static func chatMLDefaultSystemPrompt(in source: String) -> String? {
        let condition = ["messages[0]['role'] != 'system'", "messages[0][\"role\"] != \"system\"",
            "messages[0].role != 'system'", "messages[0].role != \"system\"", "messages[0]['role'] == 'system'",
            "messages[0].role == 'system'", "messages[0][\"role\"] == \"system\"", "messages[0].role == \"system\""]
        guard condition.contains(where: source.contains) else { return nil }
        var searchStart = source.startIndex
        while let open = source.range(of: "<|im_start|>system", range: searchStart..<source.endIndex) {
            searchStart = open.upperBound
            var bodyStart = open.upperBound
            if source[bodyStart...].hasPrefix("\\n") {
                bodyStart = source.index(bodyStart, offsetBy: 2)
            } else if source[bodyStart...].hasPrefix("\n") {
                bodyStart = source.index(after: bodyStart)
            } else {
                continue
            }
            guard let close = source.range(of: "<|im_end|>", range: bodyStart..<source.endIndex) else { break }
            let body = source[bodyStart..<close.lowerBound]
            // Only a plain literal counts; `' + messages[0]['content'] + '` is the non-default branch.
            if body.isEmpty || body.contains(where: { "'\"{}+".contains($0) }) { continue }
            return body.replacingOccurrences(of: "\\n", with: "\n")
        }
        return nil
    }

    /// The `Today Date:` line of a Llama 3.1+ template, or `nil` when it writes no
    /// knowledge-date system turn: today's date when it calls `strftime_now`, else the
    /// literal it assigns to `date_string` (Llama 3.1 has `"26 Jul 2024"`).
    static func knowledgeDateLine(in source: String) -> DateLine? {
        guard source.contains("Cutting Knowledge Date:") else { return nil }
        if source.contains("strftime_now") { return .today }
        for quote in ["\"", "'"] {
            let marker = "set date_string = \(quote)"
            guard let start = source.range(of: marker),
                  let end = source.range(of: quote, range: start.upperBound..<source.endIndex)
            else { continue }
            return .fixed(String(source[start.upperBound..<end.lowerBound]))
        }
        return .fixed("26 Jul 2024")
    }
}
