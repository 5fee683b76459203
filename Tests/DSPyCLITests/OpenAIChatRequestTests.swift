import DSPyEngine
import Foundation
import Testing

@testable import DSPyCLI

/// Decoding `POST /v1/chat/completions` bodies, without a server or a model.
@Suite("Decoding OpenAI chat requests")
struct OpenAIChatRequestTests {
    func decode(_ body: String) throws(OpenAIRequestError) -> OpenAIChatRequest {
        try OpenAIChatRequest.decode(Data(body.utf8))
    }

    /// The message `body` is refused with.
    func refusal(_ body: String) -> String? {
        do throws(OpenAIRequestError) { _ = try decode(body); return nil } catch { return error.message }
    }

    @Test("A full request decodes every field the engine uses; null counts as absent")
    func fullRequest() throws {
        let request = try decode(#"""
            {"model": "x", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
             "temperature": 0, "top_p": 0.5, "top_k": 7, "seed": -1, "max_tokens": null, "max_completion_tokens": 12,
             "stop": ["\n\n", "END"], "n": 3, "stream": false, "logit_bias": {"1": 2}}
            """#)
        #expect(request.messages == [ChatMessage(role: .system, content: "Be brief."), ChatMessage(role: .user, content: "Hi")])
        #expect(request.parameters.temperature == 0 && request.parameters.topP == 0.5 && request.parameters.topK == 7)
        #expect(request.parameters.seed == UInt32.max)
        #expect(request.parameters.maxTokens == 12)
        #expect(request.parameters.stop == ["\n\n", "END"])
        #expect(request.choices == 3 && !request.stream)
    }

    @Test("Defaults: temperature 0.8, one choice, no stream, no token limit")
    func defaults() throws {
        let request = try decode(#"{"messages": [{"role": "user", "content": "Hi"}], "stop": "x", "max_tokens": 5.0}"#)
        #expect(request.parameters.temperature == 0.8 && request.choices == 1 && !request.stream)
        #expect(request.parameters.stop == ["x"] && request.parameters.maxTokens == 5)
    }

    @Test("Each malformed field is refused with a message naming it", arguments: [
        ("[1]", "the request body is not a JSON object"),
        (#"{"messages": []}"#, "'messages' must be a non-empty list of {role, content}"),
        (#"{"messages": ["hi"]}"#, "messages[0] must be an object with role and content"),
        (#"{"messages": [{"role": "wizard", "content": "Hi"}]}"#, "messages[0].role must be system, user, assistant or tool"),
        (#"{"messages": [{"role": "user", "content": ["a"]}]}"#, "messages[0].content must be a string"),
        (#"{"messages": [{"role": "user", "content": "Hi"}], "temperature": "hot"}"#, "'temperature' must be a number"),
        (#"{"messages": [{"role": "user", "content": "Hi"}], "top_k": 1.5}"#, "'top_k' must be an integer, got 1.5"),
        (#"{"messages": [{"role": "user", "content": "Hi"}], "seed": 1e300}"#, "'seed' must be an integer, got 1e+300"),
        (#"{"messages": [{"role": "user", "content": "Hi"}], "n": 0}"#, "'n' must be between 1 and 16 (this server's limit: each choice is a whole generation), got 0"),
        (#"{"messages": [{"role": "user", "content": "Hi"}], "n": 100000000000}"#, "'n' must be between 1 and 16 (this server's limit: each choice is a whole generation), got 100000000000"),
        (#"{"messages": [{"role": "user", "content": "Hi"}], "stream": 1}"#, "'stream' must be true or false"),
        (#"{"messages": [{"role": "user", "content": "Hi"}], "stop": [1]}"#, "stop[0] must be a string"),
        (#"{"messages": [{"role": "user", "content": "Hi"}], "stop": {}}"#, "'stop' must be a string or a list of strings"),
    ])
    func malformedFields(body: String, message: String) {
        #expect(refusal(body) == message)
    }

    @Test("Out-of-range sampling values are refused as a bad request, not left for the engine to fail on", arguments: [
        #"{"messages": [{"role": "user", "content": "Hi"}], "temperature": 1e300}"#,
        #"{"messages": [{"role": "user", "content": "Hi"}], "temperature": NaN}"#,
        #"{"messages": [{"role": "user", "content": "Hi"}], "top_p": 2}"#,
        #"{"messages": [{"role": "user", "content": "Hi"}], "max_tokens": -1}"#,
        #"{"messages": [{"role": "user", "content": "Hi"}], "stop": ""}"#,
    ])
    func outOfRange(body: String) {
        #expect(refusal(body)?.hasPrefix("invalid sampling parameters: ") == true)
    }

    @Test("A body that is not UTF-8 or not JSON is refused, and a lone surrogate in content becomes U+FFFD")
    func encodingAndSurrogates() throws {
        #expect(throws: OpenAIRequestError(message: "the request body is not UTF-8 text")) {
            try OpenAIChatRequest.decode(Data([0x7B, 0xFF, 0x7D]))
        }
        #expect(refusal("{\"messages\": ")?.hasPrefix("the request body is not valid JSON (invalid JSON: ") == true)
        let request = try decode(#"{"messages": [{"role": "user", "content": "\ud800\u0041"}]}"#)
        #expect(request.messages.first?.content == "\u{FFFD}A")
    }
}
