import Foundation
import Testing

@testable import DSPyEngine

/// Which chat template a loaded model renders with: `--chat-template` (an override),
/// the file's own, the catalog's family for a file without one, or a clear error.
@Suite("Chat template selection")
struct ChatTemplateSelectionTests {
    /// The tiny Llama model with its `tokenizer.chat_template` replaced (or removed when `nil`).
    static func model(template: String?) throws -> URL {
        var gguf = TinyLlamaGGUF.model(.bytePair)
        gguf.metadata.removeAll { $0.0 == "tokenizer.chat_template" }
        gguf.metadata.append(("general.name", .string("Tiny Test")))
        if let template { gguf.metadata.append(("tokenizer.chat_template", .string(template))) }
        return try gguf.write()
    }

    @Test("A file without a template is an error naming the model and the families, unless a default is given")
    func missingTemplate() async throws {
        let url = try Self.model(template: nil)
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let model = try TextModel(contentsOf: url, threads: 1)
        do {
            _ = try model.chatTemplate()
            Issue.record("a model without a chat template rendered one")
        } catch let error as EngineError {
            let message = "\(error)"
            #expect(message.contains("model 'Tiny Test' (\(url.path))"))
            #expect(message.contains("has no chat template"))
            #expect(message.contains("chatml, llama3, gemma, phi3") && message.contains("--chat-template NAME"))
        }
        #expect(throws: EngineError.self) { try model.encodeChat([ChatMessage(.user, "Hi")]) }

        let fallback = try TextModel(contentsOf: url, threads: 1, defaultChatTemplate: .gemma)
        #expect(try fallback.chatTemplate().family == .gemma)
        #expect(fallback.chatTemplateOverride == nil)
    }

    @Test("An unknown template is an error quoting it; --chat-template overrides it")
    func unknownTemplate() async throws {
        let url = try Self.model(template: "{% for m in messages %}### {{ m.role }}:\n{{ m.content }}{% endfor %}")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let model = try TextModel(contentsOf: url, threads: 1, defaultChatTemplate: .gemma)
        #expect {
            try model.chatTemplate()
        } throws: { error in
            let message = "\(error)"
            return message.contains("Tiny Test") && message.contains("unknown chat template")
                && message.contains("### {{ m.role }}:\\n") && message.contains("chatml, llama3, gemma, phi3")
        }
        let overridden = try TextModel(contentsOf: url, threads: 1, chatTemplate: .llama3)
        #expect(try overridden.chatTemplate().family == .llama3)
        #expect(overridden.chatTemplateOverride == .llama3)
    }

    @Test("An override replaces a recognised template with the family's plain form; the end-of-sequence text comes from the vocabulary")
    func overrideRecognised() async throws {
        let url = try Self.model(template: TinyLlamaGGUF.chatTemplate)
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        #expect(try TextModel(contentsOf: url, threads: 1).chatTemplate().family == .chatML)
        let phi = try TextModel(contentsOf: url, threads: 1, chatTemplate: .phi3)
        let template = try phi.chatTemplate()
        #expect(template.endOfSequence == "<|im_end|>")  // id 2 in the tiny vocabulary
        #expect(template.render([ChatMessage(.user, "Hi")], addGenerationPrompt: false) == "<|user|>\nHi<|end|>\n<|im_end|>")
    }

    @Test("The catalog gives gemma3-270m (a base model without a template) the Gemma family")
    func catalogDefault() throws {
        #expect(try ModelDescriptor.named("gemma3-270m").chatTemplate == .gemma)
        #expect(ModelDescriptor.smolLM2.chatTemplate == nil)
    }
}
