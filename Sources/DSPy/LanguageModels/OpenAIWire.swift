import Foundation

/// The bodies ``OpenAICompatibleLM`` sends and reads: OpenAI's chat completions
/// wire format, as `Codable` types, with the two non-OpenAI fields that llama.cpp's
/// server and llama-cpp-python's server accept (`grammar`, and `top_k`/`min_p` through
/// ``ChatCompletionRequest/extra``).
///
/// Decoding is lenient where servers differ (every response field but `choices` is
/// optional), strict where the client depends on it (a body without `choices` is an error).
public enum OpenAIWire {
    /// One chat message on the wire.
    public struct Message: Codable, Sendable, Hashable {
        public var role: String
        public var content: String?
    }

    /// `response_format`: `{"type": "json_schema", "json_schema": {"name", "schema", "strict"}}`
    /// or `{"type": "json_object"}`.
    public struct ResponseFormat: Codable, Sendable, Hashable {
        public struct Schema: Codable, Sendable, Hashable {
            public var name: String
            public var schema: JSONValue
            public var strict: Bool
        }
        public var type: String
        public var jsonSchema: Schema?

        enum CodingKeys: String, CodingKey {
            case type
            case jsonSchema = "json_schema"
        }

        /// A `json_schema` format for `schema`, named `name`.
        public static func jsonSchema(_ schema: JSONValue, name: String = "dspy_output") -> ResponseFormat {
            ResponseFormat(type: "json_schema", jsonSchema: Schema(name: name, schema: schema, strict: true))
        }
    }

    /// `stream_options`.
    public struct StreamOptions: Codable, Sendable, Hashable {
        public var includeUsage: Bool
        enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
    }

    /// The body of `POST /chat/completions`.
    public struct ChatCompletionRequest: Encodable, Sendable {
        public var model: String
        public var messages: [Message]
        public var n: Int?
        public var temperature: Double?
        public var maxTokens: Int?
        public var topP: Double?
        public var seed: Int?
        public var stop: [String]?
        public var stream: Bool?
        public var streamOptions: StreamOptions?
        public var responseFormat: ResponseFormat?
        /// A GBNF grammar (llama.cpp's server and llama-cpp-python's server; not OpenAI).
        public var grammar: String?
        public var logprobs: Bool?
        public var topLogprobs: Int?
        /// Other options by their wire names (`top_k`, `min_p`, `repeat_penalty`…), sent as given.
        public var extra: JSONObject = JSONObject()

        enum CodingKeys: String, CodingKey {
            case model, messages, n, temperature, seed, stop, stream, grammar, logprobs
            case maxTokens = "max_tokens", topP = "top_p", streamOptions = "stream_options"
            case responseFormat = "response_format", topLogprobs = "top_logprobs"
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(model, forKey: .model)
            try container.encode(messages, forKey: .messages)
            try container.encodeIfPresent(n, forKey: .n)
            try container.encodeIfPresent(temperature, forKey: .temperature)
            try container.encodeIfPresent(maxTokens, forKey: .maxTokens)
            try container.encodeIfPresent(topP, forKey: .topP)
            try container.encodeIfPresent(seed, forKey: .seed)
            try container.encodeIfPresent(stop, forKey: .stop)
            try container.encodeIfPresent(stream, forKey: .stream)
            try container.encodeIfPresent(streamOptions, forKey: .streamOptions)
            try container.encodeIfPresent(responseFormat, forKey: .responseFormat)
            try container.encodeIfPresent(grammar, forKey: .grammar)
            try container.encodeIfPresent(logprobs, forKey: .logprobs)
            try container.encodeIfPresent(topLogprobs, forKey: .topLogprobs)
            var dynamic = encoder.container(keyedBy: AnyKey.self)
            for (key, value) in extra where CodingKeys(stringValue: key) == nil {
                try dynamic.encode(value, forKey: AnyKey(key))
            }
        }
    }

    /// One token's log-probability, with the most likely alternatives at its position.
    public struct TokenLogprob: Codable, Sendable, Hashable {
        public struct Alternative: Codable, Sendable, Hashable {
            public var token: String
            public var logprob: Double
        }
        public var token: String
        public var logprob: Double
        public var topLogprobs: [Alternative]?
        enum CodingKeys: String, CodingKey {
            case token, logprob
            case topLogprobs = "top_logprobs"
        }
    }

    /// A choice's `logprobs`: one entry per generated token.
    public struct Logprobs: Codable, Sendable, Hashable {
        public var content: [TokenLogprob]?
    }

    /// Token counts.
    public struct Usage: Codable, Sendable, Hashable {
        public var promptTokens: Int?
        public var completionTokens: Int?
        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens", completionTokens = "completion_tokens"
        }
    }

    /// One completion of a response.
    public struct Choice: Codable, Sendable, Hashable {
        public var index: Int?
        public var message: Message?
        public var finishReason: String?
        public var logprobs: Logprobs?
        enum CodingKeys: String, CodingKey {
            case index, message, logprobs
            case finishReason = "finish_reason"
        }
    }

    /// The body of a successful `POST /chat/completions`.
    public struct ChatCompletionResponse: Codable, Sendable, Hashable {
        public var model: String?
        public var choices: [Choice]
        public var usage: Usage?
    }

    /// One server-sent event of a streamed completion.
    public struct ChatCompletionChunk: Codable, Sendable, Hashable {
        public struct Delta: Codable, Sendable, Hashable {
            public var content: String?
        }
        public struct ChunkChoice: Codable, Sendable, Hashable {
            public var index: Int?
            public var delta: Delta?
            public var finishReason: String?
            public var logprobs: Logprobs?
            enum CodingKeys: String, CodingKey {
                case index, delta, logprobs
                case finishReason = "finish_reason"
            }
        }
        public var model: String?
        public var choices: [ChunkChoice]?
        public var usage: Usage?
    }

    /// An error answer: `{"error": {"message": …}}`.
    public struct ErrorResponse: Codable, Sendable, Hashable {
        public struct Detail: Codable, Sendable, Hashable {
            public var message: String?
        }
        public var error: Detail?
    }

    /// A coding key for ``ChatCompletionRequest/extra``'s names.
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
