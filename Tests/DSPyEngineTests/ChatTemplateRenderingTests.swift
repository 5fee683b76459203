import DSPyTestSupport
import Foundation
import Testing

@testable import DSPyEngine

/// `Tests/Fixtures/chat-templates/renderings.json`: real templates rendered by
/// llama-cpp-python's `Jinja2ChatFormatter` (`make_chat_template_fixtures.py`).
struct ChatTemplateRenderings: Decodable {
    struct Template: Decodable {
        var family: String
        var bosToken: String
        var eosToken: String
        enum CodingKeys: String, CodingKey {
            case family
            case bosToken = "bos_token"
            case eosToken = "eos_token"
        }
    }

    struct Message: Decodable {
        var role: String
        var content: String
    }

    struct Case: Decodable, CustomTestStringConvertible, Sendable {
        var template: String
        var conversation: String
        var addGenerationPrompt: Bool
        var rendered: String?
        var error: String?
        enum CodingKeys: String, CodingKey {
            case template, conversation, rendered, error
            case addGenerationPrompt = "add_generation_prompt"
        }
        var testDescription: String { "\(template) \(conversation)\(addGenerationPrompt ? " +generation prompt" : "")" }
    }

    struct Generator: Decodable {
        var strftimeNow: String
        enum CodingKeys: String, CodingKey { case strftimeNow = "strftime_now" }
    }

    var generator: Generator
    var templates: [String: Template]
    var conversations: [String: [Message]]
    var cases: [Case]

    static let directory = Fixtures.packageRoot.appendingPathComponent("Tests/Fixtures/chat-templates")

    static func load() throws -> ChatTemplateRenderings {
        try JSONDecoder().decode(Self.self, from: Data(contentsOf: directory.appendingPathComponent("renderings.json")))
    }

    static func source(_ template: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent("templates/\(template).jinja"), encoding: .utf8)
    }

    /// The date `strftime_now` was pinned to, as a `Date` in the local time zone.
    func pinnedDate() throws -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone.current
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        return try #require(formatter.date(from: generator.strftimeNow))
    }
}

@Suite("Chat templates render as llama.cpp's Jinja does")
struct ChatTemplateRenderingTests {
    static let fixture = Result { try ChatTemplateRenderings.load() }

    @Test("Every real template is recognised as its family")
    func recognised() throws {
        let fixture = try Self.fixture.get()
        #expect(fixture.templates.count == 7)
        for (name, expected) in fixture.templates {
            let template = try ChatTemplate(source: ChatTemplateRenderings.source(name))
            #expect(template.family.rawValue == expected.family, "\(name)")
        }
        #expect(try ChatTemplate(source: ChatTemplateRenderings.source("qwen3")).reasoningBlocks)
        #expect(try ChatTemplate(source: ChatTemplateRenderings.source("qwen2.5")).defaultSystemPrompt
            == "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.")
        #expect(try ChatTemplate(source: ChatTemplateRenderings.source("llama3.2")).knowledgeDateHeader == .today)
        #expect(try ChatTemplate(source: ChatTemplateRenderings.source("llama3")).knowledgeDateHeader == nil)
    }

    @Test("Native rendering equals Jinja's byte for byte (BOS text left to the tokenizer)",
        arguments: try ChatTemplateRenderings.load().cases)
    func rendering(_ entry: ChatTemplateRenderings.Case) throws {
        let fixture = try Self.fixture.get()
        let info = try #require(fixture.templates[entry.template])
        let expected = try #require(entry.rendered, "the template refused the conversation: \(entry.error ?? "")")
        let template = try ChatTemplate(source: ChatTemplateRenderings.source(entry.template), endOfSequence: info.eosToken)
        let messages = try #require(fixture.conversations[entry.conversation]).map {
            ChatMessage(role: try #require(ChatMessage.Role(rawValue: $0.role)), content: $0.content)
        }
        let native = template.render(messages, addGenerationPrompt: entry.addGenerationPrompt, now: try fixture.pinnedDate())
        // Templates that write `{{ bos_token }}` start with it; the engine's tokenizer adds BOS instead.
        let jinja = !info.bosToken.isEmpty && expected.hasPrefix(info.bosToken) && template.family != .chatML
            ? String(expected.dropFirst(info.bosToken.count)) : expected
        #expect(native == jinja)
    }

    @Test("Families picked by name render the plain form of the family")
    func byName() throws {
        let fixture = try Self.fixture.get()
        let messages = try #require(fixture.conversations["multi_turn"]).map {
            ChatMessage(role: try #require(ChatMessage.Role(rawValue: $0.role)), content: $0.content)
        }
        // The plain templates (no default system prompt, date header or reasoning blocks) of each family.
        for (family, name) in [(ChatTemplate.Family.chatML, "qwen3"), (.llama3, "llama3"), (.gemma, "gemma3"), (.phi3, "phi3")] {
            let expected = try #require(fixture.cases.first {
                $0.template == name && $0.conversation == "multi_turn" && $0.addGenerationPrompt
            }?.rendered)
            let bos = try #require(fixture.templates[name]).bosToken
            let plain = expected.hasPrefix(bos) && !bos.isEmpty ? String(expected.dropFirst(bos.count)) : expected
            #expect(ChatTemplate(family: family).render(messages) == plain, "\(family)")
        }
    }

    @Test("Family names and aliases are recognised, case-insensitively")
    func names() {
        #expect(ChatTemplate.Family.names == "chatml, llama3, gemma, phi3")
        #expect(ChatTemplate.Family(name: "ChatML") == .chatML)
        #expect(ChatTemplate.Family(name: "qwen") == .chatML)
        #expect(ChatTemplate.Family(name: "LLAMA3") == .llama3)
        #expect(ChatTemplate.Family(name: "gemma3") == .gemma)
        #expect(ChatTemplate.Family(name: "phi3") == .phi3)
        #expect(ChatTemplate.Family(name: "alpaca") == nil)
        for family in ChatTemplate.Family.allCases { #expect(ChatTemplate.Family(name: family.name) == family) }
    }

    @Test("Jinja's trim removes exactly Python's white space")
    func trim() {
        #expect(JinjaText.trim("\u{1F}\u{A0} x \u{3000}\r\n") == "x")
        #expect(JinjaText.trim("\u{200B}x\u{200B}") == "\u{200B}x\u{200B}")  // zero-width space is not white space
        #expect(JinjaText.trim("e\u{301} ") == "e\u{301}")
        #expect(JinjaText.lstrip("\n\r\nx\n", "\n") == "\r\nx\n")
        #expect(JinjaText.rstrip("x\n\n", "\n") == "x")
    }
}
