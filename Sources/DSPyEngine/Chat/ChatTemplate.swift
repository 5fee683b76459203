import Foundation

/// A model's chat template, recognised by family and rendered natively.
///
/// GGUF files carry their chat template as Jinja source
/// (`tokenizer.chat_template`). Rather than interpreting Jinja, the engine
/// recognises the template's *family* from marker tokens in the source and
/// renders it with Swift code that produces the same text:
///
/// | family | recognised by | message | generation prompt |
/// | --- | --- | --- | --- |
/// | ``Family/chatML`` | `<|im_start|>` | `<|im_start|>ROLE\nCONTENT<|im_end|>\n` | `<|im_start|>assistant\n` |
/// | ``Family/llama3`` | `<|start_header_id|>` and `<|end_header_id|>` | `<|start_header_id|>ROLE<|end_header_id|>\n\nCONTENT<|eot_id|>` (content trimmed) | `<|start_header_id|>assistant<|end_header_id|>\n\n` |
/// | ``Family/gemma`` | `<start_of_turn>` | `<start_of_turn>ROLE\nCONTENT<end_of_turn>\n` (role `model` for the assistant, content trimmed, the system text prefixed to the first user turn) | `<start_of_turn>model\n` |
///
/// A ChatML template that inserts its own system message when the conversation
/// has none (SmolLM2's "You are a helpful AI assistant named SmolLM, trained by
/// Hugging Face") is detected, and that text becomes ``defaultSystemPrompt``.
/// The rendered prompt contains special-token texts, so encode it with
/// `parseSpecial: true`. The BOS token is not written into the text: the
/// tokenizer adds it when the model asks for it.
///
/// Any other template is rejected with ``TokenizerError/unknownChatTemplate(prefix:)``
/// rather than guessed at.
///
/// ```swift
/// let template = try ChatTemplate(source: metadataTemplate)
/// let prompt = template.render([ChatMessage(.user, "What is the capital of France?")])
/// let ids = tokenizer.encode(prompt, parseSpecial: true)
/// ```
public struct ChatTemplate: Sendable, Equatable {
    /// The template families rendered natively.
    public enum Family: String, Sendable, Equatable, CaseIterable {
        /// `<|im_start|>role … <|im_end|>` (SmolLM2, Qwen, many others).
        case chatML
        /// Llama 3 headers (`<|start_header_id|>role<|end_header_id|>`).
        case llama3
        /// Gemma turns (`<start_of_turn>user … <end_of_turn>`).
        case gemma
    }

    /// The template source as found in the model file.
    public let source: String
    /// The recognised family.
    public let family: Family
    /// The system message the template adds when a conversation has none.
    public let defaultSystemPrompt: String?

    /// Recognises `source`.
    ///
    /// - Throws: ``TokenizerError/unknownChatTemplate(prefix:)`` (naming the first
    ///   60 characters) when the template belongs to no known family.
    public init(source: String) throws {
        self.source = source
        if source.contains("<|im_start|>") && !source.contains("<|im_sep|>") {
            family = .chatML
            defaultSystemPrompt = Self.chatMLDefaultSystemPrompt(in: source)
        } else if source.contains("<|start_header_id|>") && source.contains("<|end_header_id|>") {
            family = .llama3
            defaultSystemPrompt = nil
        } else if source.contains("<start_of_turn>") {
            family = .gemma
            defaultSystemPrompt = nil
        } else {
            let flat = source.replacingOccurrences(of: "\n", with: "\\n")
            throw TokenizerError.unknownChatTemplate(prefix: String(flat.prefix(60)))
        }
    }

    /// Creates the template of a family directly, without source to inspect.
    public init(family: Family, defaultSystemPrompt: String? = nil) {
        self.source = ""
        self.family = family
        self.defaultSystemPrompt = defaultSystemPrompt
    }

    /// The text that closes a turn in this family (`<|im_end|>`, `<|eot_id|>`,
    /// `<end_of_turn>`); generation should stop when the model writes it.
    public var endOfTurn: String {
        switch family {
        case .chatML: return "<|im_end|>"
        case .llama3: return "<|eot_id|>"
        case .gemma: return "<end_of_turn>"
        }
    }

    /// Renders `messages` into the prompt text the model was trained on.
    ///
    /// - Parameters:
    ///   - messages: The conversation, in order.
    ///   - addGenerationPrompt: Whether to end with the opening of an assistant
    ///     turn, so the model continues as the assistant.
    /// - Returns: The prompt, with special tokens written as their text.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) -> String {
        var out = ""
        switch family {
        case .chatML:
            if let defaultSystemPrompt, messages.first?.role != .system {
                out += "<|im_start|>system\n\(defaultSystemPrompt)<|im_end|>\n"
            }
            for message in messages {
                out += "<|im_start|>\(message.role.rawValue)\n\(message.content)<|im_end|>\n"
            }
            if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        case .llama3:
            for message in messages {
                out += "<|start_header_id|>\(message.role.rawValue)<|end_header_id|>\n\n"
                out += "\(Self.trimmed(message.content))<|eot_id|>"
            }
            if addGenerationPrompt { out += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
        case .gemma:
            var systemPrompt = ""
            for message in messages {
                if message.role == .system {
                    systemPrompt += Self.trimmed(message.content)
                    continue
                }
                let role = message.role == .assistant ? "model" : message.role.rawValue
                out += "<start_of_turn>\(role)\n"
                if !systemPrompt.isEmpty, message.role != .assistant {
                    out += "\(systemPrompt)\n\n"
                    systemPrompt = ""
                }
                out += "\(Self.trimmed(message.content))<end_of_turn>\n"
            }
            if addGenerationPrompt { out += "<start_of_turn>model\n" }
        }
        return out
    }

    /// Removes leading and trailing white space (llama.cpp's `trim`).
    static func trimmed(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespacesAndNewlines)
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
}
