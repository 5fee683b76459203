import DSPyEngine
import DSPyTestSupport
import Foundation
import Testing

@testable import DSPyCLI

/// Mutated `POST /v1/chat/completions` bodies through ``OpenAIChatRequest/decode(_:)``, as `dspyc serve` decodes them.
///
/// Cases are valid bodies changed byte by byte, or field by field (a field
/// replaced by a value of another type or out of range, removed, or nested
/// deep). A case passes when it decodes to a request the engine accepts
/// (sampling parameters valid, 1 to 128 choices, at least one message), or is
/// refused with an ``OpenAIRequestError`` and a message, which the server
/// answers with a 400.
@Suite("Fuzzing OpenAI request bodies")
struct FuzzOpenAIRequestTests {
    static let seeds: [String] = [
        #"{"model": "smollm2", "messages": [{"role": "user", "content": "Hi"}]}"#,
        #"{"model": "m", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Name three colours."}], "temperature": 0, "max_tokens": 24, "stream": true}"#,
        #"{"messages": [{"role": "user", "content": "é😀\n"}, {"role": "assistant", "content": ""}], "top_p": 0.9, "top_k": 40, "seed": 7, "stop": ["\n\n"], "n": 2}"#,
    ]

    static let fields = ["messages", "temperature", "top_p", "top_k", "seed", "max_tokens", "max_completion_tokens", "stop", "n", "stream"]

    /// Values of every JSON type, and numbers at and past every limit.
    static let values = [
        "null", "true", "false", "0", "1", "-1", "2", "0.5", "1.5", "-0.0", "128", "129", "1e300", "-1e300", "1e999", "NaN",
        "Infinity", "-Infinity", "9223372036854775807", "9223372036854775808", "-9223372036854775809", "4294967296",
        "\"\"", "\"x\"", "\"\\ud800\"", "[]", "[\"\"]", "[\"a\", 1]", "{}", "[{\"role\": \"user\"}]",
        "[{\"role\": \"user\", \"content\": \"\\udc00\"}]", "[{\"role\": \"tool\", \"content\": \"x\"}]", "[null]",
    ]

    static let snippets = ["\"", "{", "}", "[", "]", ",", ":", "\\u", "\\ud800", "1e999", "null", "\"n\": 1000000"]

    /// A seed with one field replaced, removed or wrapped in deep nesting.
    static func fieldMutation(_ random: inout SeededRandom) -> [UInt8] {
        let seed = random.pick(seeds)
        let field = random.pick(fields)
        var value = random.pick(values)
        if random.oneIn(8) {
            let depth = random.pick([10, 511, 513, 20_000])
            value = String(repeating: "[", count: depth) + value + String(repeating: "]", count: depth)
        }
        let body = random.oneIn(6)
            ? seed.replacingOccurrences(of: "\"\(field)\":", with: "\"unused_\(field)\":")
            : String(seed.dropLast()) + ", \"\(field)\": \(value)}"
        return Array(body.utf8)
    }

    @Test("Mutated request bodies decode to a request the engine accepts, or are refused with a message")
    func fuzzRequests() {
        var random = SeededRandom(seed: 0x5EED_0004)
        let total = 2_000
        var accepted = 0, refused = 0
        for index in 0..<total {
            let bytes = index % 2 == 0
                ? Self.fieldMutation(&random)
                : FuzzMutation.mutate(Array(random.pick(Self.seeds).utf8), snippets: Self.snippets, random: &random)
            do throws(OpenAIRequestError) {
                let request = try OpenAIChatRequest.decode(Data(bytes))
                #expect(!request.messages.isEmpty, "case \(index)")
                #expect((1...OpenAIChatRequest.maximumChoices).contains(request.choices), "case \(index)")
                #expect(throws: Never.self, "case \(index)") { try request.parameters.validate() }
                accepted += 1
            } catch {
                #expect(!error.message.isEmpty, "case \(index)")
                refused += 1
            }
        }
        print("FuzzOpenAIRequest: \(total) cases, \(accepted) accepted, \(refused) refused with OpenAIRequestError")
        #expect(accepted + refused == total)
        #expect(accepted > 0 && refused > 0)
    }
}
