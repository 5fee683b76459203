import Foundation

extension ChatTemplate {
    /// Renders `messages` into the prompt text the model was trained on.
    ///
    /// For conversations the real template accepts, the text equals what Jinja renders
    /// from it, minus the BOS text (see ``ChatTemplate``). Conversations a template
    /// would refuse (Gemma's roles must alternate) still render: extra system messages
    /// join the next user turn, as llama.cpp's built-in templates do.
    ///
    /// - Parameters:
    ///   - messages: The conversation, in order.
    ///   - addGenerationPrompt: Whether to end with the opening of an assistant
    ///     turn, so the model continues as the assistant.
    ///   - now: The date a Llama 3.2 template writes as `Today Date:`.
    /// - Returns: The prompt, with special tokens written as their text.
    ///
    /// Cost: linear in the conversation's length.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true, now: Date = Date()) -> String {
        switch family {
        case .chatML: return renderChatML(messages, addGenerationPrompt: addGenerationPrompt)
        case .llama3: return renderLlama3(messages, addGenerationPrompt: addGenerationPrompt, now: now)
        case .gemma: return renderGemma(messages, addGenerationPrompt: addGenerationPrompt)
        case .phi3: return renderPhi3(messages, addGenerationPrompt: addGenerationPrompt)
        }
    }

    private func renderChatML(_ messages: [ChatMessage], addGenerationPrompt: Bool) -> String {
        var out = ""
        if let defaultSystemPrompt, messages.first?.role != .system {
            out += "<|im_start|>system\n\(defaultSystemPrompt)<|im_end|>\n"
        }
        // Qwen 3: the last user message that is not a tool response; later assistant turns keep reasoning.
        let lastQuery = messages.lastIndex {
            $0.role == .user && !($0.content.hasPrefix("<tool_response>") && $0.content.hasSuffix("</tool_response>"))
        } ?? messages.count - 1
        for (index, message) in messages.enumerated() {
            guard reasoningBlocks, message.role == .assistant else {
                out += "<|im_start|>\(message.role.rawValue)\n\(message.content)<|im_end|>\n"
                continue
            }
            var content = message.content
            var reasoning = ""
            if let close = content.range(of: "</think>", options: .literal) {
                let before = JinjaText.rstrip(String(content[..<close.lowerBound]), "\n")
                let afterOpen = before.range(of: "<think>", options: [.literal, .backwards]).map { before[$0.upperBound...] }
                reasoning = JinjaText.lstrip(String(afterOpen ?? before[...]), "\n")
                let lastClose = content.range(of: "</think>", options: [.literal, .backwards]) ?? close
                content = JinjaText.lstrip(String(content[lastClose.upperBound...]), "\n")
            }
            if index > lastQuery && (index == messages.count - 1 || !reasoning.isEmpty) {
                let thought = JinjaText.lstrip(JinjaText.rstrip(reasoning, "\n"), "\n")
                out += "<|im_start|>assistant\n<think>\n\(thought)\n</think>\n\n\(JinjaText.lstrip(content, "\n"))"
            } else {
                out += "<|im_start|>assistant\n\(content)"
            }
            out += "<|im_end|>\n"
        }
        if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        return out
    }

    private func renderLlama3(_ messages: [ChatMessage], addGenerationPrompt: Bool, now: Date) -> String {
        var out = ""
        var turns = messages[...]
        if let knowledgeDateHeader {
            var system = ""
            if let first = turns.first, first.role == .system {
                system = JinjaText.trim(first.content)
                turns = turns.dropFirst()
            }
            let date: String
            switch knowledgeDateHeader {
            case .fixed(let text): date = text
            case .today: date = Self.templateDate(now)
            }
            out += "<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
            out += "Today Date: \(date)\n\n\(system)<|eot_id|>"
        }
        for message in turns {
            out += "<|start_header_id|>\(message.role.rawValue)<|end_header_id|>\n\n"
            out += "\(JinjaText.trim(message.content))<|eot_id|>"
        }
        if addGenerationPrompt { out += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
        return out
    }

    private func renderGemma(_ messages: [ChatMessage], addGenerationPrompt: Bool) -> String {
        var out = ""
        var turns = messages[...]
        // Gemma 3's template: a leading system message, untrimmed, then a blank line, opens the first turn.
        var pendingSystem = ""
        if let first = turns.first, first.role == .system {
            pendingSystem = first.content + "\n\n"
            turns = turns.dropFirst()
        }
        var isFirstTurn = true
        for message in turns {
            if message.role == .system {
                let text = JinjaText.trim(message.content)
                if !text.isEmpty { pendingSystem += text + "\n\n" }
                continue
            }
            let role = message.role == .assistant ? "model" : message.role.rawValue
            out += "<start_of_turn>\(role)\n"
            if !pendingSystem.isEmpty, isFirstTurn || message.role != .assistant {
                out += pendingSystem
                pendingSystem = ""
            }
            isFirstTurn = false
            out += "\(JinjaText.trim(message.content))<end_of_turn>\n"
        }
        if addGenerationPrompt { out += "<start_of_turn>model\n" }
        return out
    }

    private func renderPhi3(_ messages: [ChatMessage], addGenerationPrompt: Bool) -> String {
        var out = ""
        for message in messages {
            out += "<|\(message.role.rawValue)|>\n\(message.content)<|end|>\n"
        }
        out += addGenerationPrompt ? "<|assistant|>\n" : endOfSequence
        return out
    }

    /// `strftime("%d %b %Y")` in the C locale and the local time zone: `07 Dec 2026`.
    static func templateDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone.current
        formatter.dateFormat = "dd MMM yyyy"
        return formatter.string(from: date)
    }
}

/// Python's string stripping as Jinja templates use it (`| trim`, `.strip('\n')`).
enum JinjaText {
    /// Python's `str.isspace()` characters, which `str.strip()` removes.
    static func isPythonSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// Jinja's `trim` filter: Python's `str.strip()` (Unicode white space, both ends).
    static func trim(_ text: String) -> String {
        strip(text, leading: true, trailing: true, where: isPythonSpace)
    }

    /// Python's `text.lstrip(characters)`.
    static func lstrip(_ text: String, _ characters: String) -> String {
        let set = Set(characters.unicodeScalars)
        return strip(text, leading: true, trailing: false) { set.contains($0) }
    }

    /// Python's `text.rstrip(characters)`.
    static func rstrip(_ text: String, _ characters: String) -> String {
        let set = Set(characters.unicodeScalars)
        return strip(text, leading: false, trailing: true) { set.contains($0) }
    }

    private static func strip(
        _ text: String, leading: Bool, trailing: Bool, where remove: (Unicode.Scalar) -> Bool
    ) -> String {
        let scalars = text.unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        if leading { while start < end, remove(scalars[start]) { start = scalars.index(after: start) } }
        if trailing {
            while end > start, remove(scalars[scalars.index(before: end)]) { end = scalars.index(before: end) }
        }
        return String(String.UnicodeScalarView(scalars[start..<end]))
    }
}
