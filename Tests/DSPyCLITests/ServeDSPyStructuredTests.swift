import DSPy
import DSPyEngine
import DSPyHTTP
import DSPyTestSupport
import Foundation
import Testing

@testable import DSPyCLI

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `dspyc serve --dspy-structured` over real HTTP on loopback: DSPy adapter requests, rendered
/// here by dspyc's own adapters (byte for byte what Python DSPy sends), come back in the
/// adapter's format with values of the declared types.
@Suite("dspyc serve --dspy-structured: DSPy requests decoded under their structure", .serialized)
struct ServeDSPyStructuredTests {
    static let signature = Result {
        try SignatureSpec("review -> sentiment: Literal['positive', 'negative', 'neutral'], stars: int")
    }
    static let reviews = [
        "The pasta was cold and the waiter ignored us.", "Wonderful staff, I will come back!",
        "It was fine, nothing special.", "Terrible. Never again.", "Best pizza in town, great value.",
        "The room was clean but noisy at night.",
    ]

    /// POSTs `messages` as a chat completion; returns the status, the first choice's text and the raw body.
    private func complete(_ base: URL, _ messages: [DSPy.ChatMessage], temperature: Double = 0, seed: Int = 0)
        async throws -> (Int, String?, String)
    {
        var request = URLRequest(url: base.appendingPathComponent("chat/completions"))
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: [
            "messages": messages.map { ["role": $0.role.rawValue, "content": $0.content] },
            "temperature": temperature, "seed": seed, "max_tokens": 120,
        ] as [String: Any])
        let (data, response) = try await URLSession(configuration: .ephemeral).data(for: request)
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        let text = ((object["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
        return ((response as? HTTPURLResponse)?.statusCode ?? -1, text, String(decoding: data, as: UTF8.self))
    }

    /// Checks a parsed prediction holds an allowed sentiment and an integer.
    private func expectValues(_ values: JSONObject, _ context: String) {
        #expect(["positive", "negative", "neutral"].contains(values["sentiment"]?.stringValue ?? ""), "\(context)")
        #expect(values["stars"]?.intValue != nil, "\(context)")
    }

    @Test("ChatAdapter and JSONAdapter requests parse with zero format failures, values in the allowed set")
    func structured() async throws {
        let signature = try Self.signature.get()
        try await ServeTests.withServer(dspyStructured: true) { base, _ in
            var failures: [String] = []
            for (index, review) in Self.reviews.enumerated() {
                for (adapter, temperature) in [(ChatAdapter() as any Adapter, 0.0), (ChatAdapter(), 0.9), (JSONAdapter(), 0.0)] {
                    let messages = adapter.format(signature, demos: [], inputs: ["review": .string(review)])
                    let (status, text, raw) = try await complete(base, messages, temperature: temperature, seed: index)
                    #expect(status == 200, "\(raw)")
                    let completion = try #require(text, "\(raw)")
                    do {
                        expectValues(try adapter.parse(signature, completion: completion), "\(adapter.name): \(completion)")
                    } catch {
                        failures.append("\(adapter.name) @\(temperature): \(completion)")
                    }
                }
            }
            #expect(failures.isEmpty, "format failures: \(failures)")
        }
    }

    @Test("Without the flag, and for requests that are not DSPy-shaped, the completion is the engine's unconstrained one")
    func unconstrained() async throws {
        let signature = try Self.signature.get()
        let dspy = ChatAdapter().format(signature, demos: [], inputs: ["review": .string(Self.reviews[0])])
        let plain: [DSPy.ChatMessage] = [.system("You are a helpful assistant."), .user("Name three colours.")]
        func direct(_ model: TextModel, _ messages: [DSPy.ChatMessage]) async throws -> String {
            try await model.generate(
                prompt: try model.encodeChat(messages.map {
                    DSPyEngine.ChatMessage(role: DSPyEngine.ChatMessage.Role(rawValue: $0.role.rawValue) ?? .user, content: $0.content)
                }),
                parameters: DSPyEngine.SamplingParameters(temperature: 0, maxTokens: 120)
            ).text
        }
        try await ServeTests.withServer(dspyStructured: false) { base, model in
            let (status, text, raw) = try await complete(base, dspy)
            #expect(status == 200, "\(raw)")
            #expect(text == (try await direct(model, dspy)))
        }
        try await ServeTests.withServer(dspyStructured: true) { base, model in
            let (status, text, raw) = try await complete(base, plain)
            #expect(status == 200, "\(raw)")
            #expect(text == (try await direct(model, plain)))
            let (_, structured, _) = try await complete(base, dspy)
            #expect(structured?.hasPrefix("[[ ## sentiment ## ]]\n") == true, "\(structured ?? "nil")")
            #expect(structured?.hasSuffix("[[ ## completed ## ]]") == true, "\(structured ?? "nil")")
        }
    }
}
