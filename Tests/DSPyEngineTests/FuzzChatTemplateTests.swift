import Foundation
import Testing

@testable import DSPyEngine

/// Seeded fuzzing of chat-template recognition: mutated known templates (ChatML with
/// and without a default system prompt, Qwen 3 reasoning, Llama 3 and 3.2, Gemma, Phi-3) and random strings. Each
/// string must be recognised — and then render a conversation that carries the
/// family's turn markers — or be refused with `unknownChatTemplate` quoting its
/// beginning; nothing may trap or throw anything else.
@Suite("Chat template fuzzing", .timeLimit(.minutes(5)))
struct FuzzChatTemplateTests {
    static let seeds = [
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
        "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a small test model.<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}",
        "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}{%- else %}{{- '<|im_start|>system\\nDefault prompt.<|im_end|>\\n' }}{%- endif %}",
        "{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}",
        "{{ bos_token }}{% for message in messages %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}",
        "{% for m in messages %}### {{ m.role }}:\n{{ m.content }}\n{% endfor %}### Assistant:",
        "{%- for message in messages %}{%- if '</think>' in content %}{%- set content = content.split('</think>')[-1].lstrip('\\n') %}{%- endif %}{{- '<|im_start|>' + message.role + '\\n<think>\\n' }}{%- endfor %}",
        "{{- bos_token }}{%- set date_string = strftime_now(\"%d %b %Y\") %}{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}{{- \"Cutting Knowledge Date: December 2023\\n\" }}{{- '<|eot_id|>' }}",
        "{% for message in messages %}{% if message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}",
    ]

    /// Pieces that matter to recognition, plus awkward Unicode.
    static let snippets = [
        "<|im_start|>", "<|im_end|>", "<|im_sep|>", "<|im_start|>system", "<|im_start|>system\\n", "<|im_start|>system\n",
        "<|start_header_id|>", "<|end_header_id|>", "<start_of_turn>", "<end_of_turn>", "messages[0]['role'] != 'system'",
        "messages[0].role == \"system\"", "'", "\"", "{", "}", "+", "\\n", "\n", "\r\n", "\u{0}", "\u{301}", "\u{200D}",
        "👩‍👩‍👧", "🇫🇷", "e\u{301}", "\u{FEFF}", "日本", "<|", "|>", "<", ">", "",
        "<think>", "</think>", "Cutting Knowledge Date:", "strftime_now", "set date_string = \"", "<|user|>", "<|assistant|>",
        "<|end|>",
    ]

    static let messages = [
        ChatMessage(.system, " Be brief. "), ChatMessage(.user, "Hi\u{301} <|im_end|>"), ChatMessage(.assistant, "\n"),
        ChatMessage(.user, ""), ChatMessage(.assistant, "<think>a</think>\n</think>b<think>"),
    ]

    @Test("Mutated known templates and random strings are recognised and render, or are refused clearly")
    func fuzzTemplates() throws {
        var random = SeededGenerator(seed: 0xC4A7)
        var recognised = 0, refused = 0
        let cases = 3000
        for index in 0..<cases {
            let source = index % 4 == 3 ? Self.randomString(&random) : Self.mutated(&random)
            let label = "chat template case \(index): \(source.debugDescription.prefix(200))"
            do {
                let template = try ChatTemplate(source: source)
                recognised += 1
                for count in [0, 1, Self.messages.count] {
                    let rendered = template.render(Array(Self.messages.prefix(count)), addGenerationPrompt: count != 1)
                    if count > 1 { #expect(rendered.contains(template.endOfTurn), "\(label)") }
                }
                if let prompt = template.defaultSystemPrompt {
                    #expect(!prompt.contains("<|im_end|>"), "\(label)")
                    #expect(template.render([]).hasPrefix("<|im_start|>system\n" + prompt), "\(label)")
                }
            } catch let TokenizerError.unknownChatTemplate(prefix) {
                refused += 1
                let flat = source.replacingOccurrences(of: "\n", with: "\\n")
                #expect(prefix == String(flat.prefix(60)), "\(label)")
            } catch {
                Issue.record("\(label): unexpected \(error)")
            }
        }
        print("Chat template fuzz: \(cases) cases, \(recognised) recognised, \(refused) refused")
        #expect(recognised > cases / 10 && refused > cases / 10)
    }

    /// A known template with one to four edits: snippet insertions, deletions, cuts, swaps.
    static func mutated(_ random: inout SeededGenerator) -> String {
        var scalars = Array(seeds[Int.random(in: 0..<seeds.count, using: &random)].unicodeScalars)
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            let position = Int.random(in: 0...scalars.count, using: &random)
            switch Int.random(in: 0...4, using: &random) {
            case 0:
                let snippet = snippets[Int.random(in: 0..<snippets.count, using: &random)]
                scalars.insert(contentsOf: snippet.unicodeScalars, at: position)
            case 1:
                let end = min(scalars.count, position + Int.random(in: 1...12, using: &random))
                scalars.removeSubrange(position..<end)
            case 2:
                scalars.removeSubrange(position...)
            case 3:
                let end = min(scalars.count, position + Int.random(in: 1...40, using: &random))
                scalars.append(contentsOf: scalars[position..<end])
            default:
                if position < scalars.count { scalars[position] = randomScalar(&random) }
            }
        }
        var text = String.UnicodeScalarView()
        text.append(contentsOf: scalars)
        return String(text)
    }

    /// Up to 200 random scalars, or a random run of snippets.
    static func randomString(_ random: inout SeededGenerator) -> String {
        if Bool.random(using: &random) {
            return (0..<Int.random(in: 0...12, using: &random))
                .map { _ in snippets[Int.random(in: 0..<snippets.count, using: &random)] }.joined()
        }
        var text = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...200, using: &random) { text.append(randomScalar(&random)) }
        return String(text)
    }

    static func randomScalar(_ random: inout SeededGenerator) -> Unicode.Scalar {
        let ranges: [ClosedRange<UInt32>] = [0...0x7F, 0x80...0x7FF, 0x300...0x36F, 0x800...0xD7FF, 0xE000...0xFFFF, 0x1_0000...0x10_FFFF]
        let range = ranges[Int.random(in: 0..<ranges.count, using: &random)]
        return Unicode.Scalar(UInt32.random(in: range, using: &random)) ?? "?"
    }
}
