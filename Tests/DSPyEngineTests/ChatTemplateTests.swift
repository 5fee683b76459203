import DSPyTestSupport
import Foundation
import Testing

@testable import DSPyEngine

@Suite("Chat templates")
struct ChatTemplateTests {
    @Test("SmolLM2's template is ChatML with its default system prompt")
    func smolLMTemplate() throws {
        let loaded = try DefaultModelTokenizer.get()
        let template = try ChatTemplate(source: loaded.chatTemplate)
        #expect(template.family == .chatML)
        #expect(template.defaultSystemPrompt == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        #expect(template.endOfTurn == "<|im_end|>")
    }

    @Test("The golden chat prompts re-render and tokenize to llama.cpp's prompt ids",
        arguments: try GoldenPrompt.load().filter { $0.kind == "chat" })
    func goldenChatPrompts(_ prompt: GoldenPrompt) throws {
        let loaded = try DefaultModelTokenizer.get()
        let template = try ChatTemplate(source: loaded.chatTemplate)
        let messages = try #require(prompt.messages).map {
            ChatMessage(role: try #require(ChatMessage.Role(rawValue: $0.role)), content: $0.content)
        }
        let rendered = template.render(messages, addGenerationPrompt: true)
        #expect(rendered == prompt.renderedPrompt)
        #expect(loaded.tokenizer.encode(rendered, parseSpecial: true) == prompt.promptTokenIDs)

        struct Logits: Decodable {
            var promptTokenIDs: [Int32]
            enum CodingKeys: String, CodingKey { case promptTokenIDs = "prompt_token_ids" }
        }
        let logitsFile = Fixtures.golden.appendingPathComponent("logits/\(prompt.id).json")
        let logits = try JSONDecoder().decode(Logits.self, from: Data(contentsOf: logitsFile))
        #expect(loaded.tokenizer.encode(rendered) == logits.promptTokenIDs)
    }

    @Test("The long DSPy prompt re-renders from its messages byte for byte")
    func longPromptRerenders() throws {
        let loaded = try DefaultModelTokenizer.get()
        let template = try ChatTemplate(source: loaded.chatTemplate)
        let url = Fixtures.golden.appendingPathComponent("logits/long_dspy_demos.prompt.txt")
        let text = try String(contentsOf: url, encoding: .utf8)
        var messages: [ChatMessage] = []
        for block in text.components(separatedBy: "<|im_start|>").dropFirst() {
            guard let newline = block.firstIndex(of: "\n") else { continue }
            let role = try #require(ChatMessage.Role(rawValue: String(block[..<newline])))
            guard let end = block.range(of: "<|im_end|>\n") else { continue }  // the open assistant turn
            messages.append(ChatMessage(role, String(block[block.index(after: newline)..<end.lowerBound])))
        }
        #expect(messages.count == 26)
        #expect(template.render(messages, addGenerationPrompt: true) == text)
    }

    @Test("Without a generation prompt the conversation ends after the last turn")
    func noGenerationPrompt() throws {
        let template = ChatTemplate(family: .chatML)
        #expect(template.render([ChatMessage(.user, "Hi")], addGenerationPrompt: false) == "<|im_start|>user\nHi<|im_end|>\n")
    }

    @Test("A plain ChatML template adds no default system prompt")
    func plainChatML() throws {
        let source = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
        let template = try ChatTemplate(source: source)
        #expect(template.family == .chatML)
        #expect(template.defaultSystemPrompt == nil)
        #expect(template.render([ChatMessage(.user, "Hi")]) == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    }

    @Test("Qwen-style templates keep their literal default system prompt, not the dynamic branch")
    func qwenStyleDefault() throws {
        let source = "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}{%- else %}{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}{%- endif %}"
        let template = try ChatTemplate(source: source)
        #expect(template.defaultSystemPrompt == "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.")
    }

    @Test("Llama 3 templates render headers, trimmed content and <|eot_id|>")
    func llama3() throws {
        let source = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
        let template = try ChatTemplate(source: source)
        #expect(template.family == .llama3)
        let rendered = template.render([ChatMessage(.system, "Be brief."), ChatMessage(.user, " Hi \n")])
        #expect(rendered == "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
        #expect(template.endOfTurn == "<|eot_id|>")
    }

    @Test("Gemma templates fold the system text into the first user turn and call the assistant model")
    func gemma() throws {
        let source = "{{ bos_token }}{% for message in messages %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}"
        let template = try ChatTemplate(source: source)
        #expect(template.family == .gemma)
        let rendered = template.render([
            ChatMessage(.system, "Be brief."), ChatMessage(.user, "Hi"), ChatMessage(.assistant, "Hello!"),
            ChatMessage(.user, "Bye"),
        ])
        #expect(rendered == "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n")
    }

    @Test("An unknown template is an error that names its beginning")
    func unknownTemplate() {
        let source = "{% for m in messages %}### {{ m.role }}:\n{{ m.content }}\n{% endfor %}### Assistant:"
        let expected = String(source.replacingOccurrences(of: "\n", with: "\\n").prefix(60))
        #expect(expected.hasPrefix("{% for m in messages %}### {{ m.role }}:\\n"))
        #expect(throws: TokenizerError.unknownChatTemplate(prefix: expected)) {
            try ChatTemplate(source: source)
        }
        let message = String(describing: TokenizerError.unknownChatTemplate(prefix: "abc"))
        #expect(message.contains("unknown chat template") && message.contains("abc"))
    }
}
