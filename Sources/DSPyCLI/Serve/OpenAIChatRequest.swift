import DSPy
import DSPyEngine
import Foundation

/// A decoded, checked body of OpenAI's `POST /v1/chat/completions`.
///
/// ``decode(_:)`` reads the fields dspyc's engine uses (`messages` (see
/// ``ChatHistory``), `temperature`, `top_p`, `top_k`, `seed`, `max_tokens` or
/// `max_completion_tokens`, `stop`, `n`, `stream`, `response_format`, `logprobs`,
/// `tools`, `tool_choice`) and ignores the rest, as
/// OpenAI-compatible servers do; a field given as `null` counts as absent.
/// Every other problem — a body that is not a JSON object, a field of the
/// wrong type, a value out of range — is an ``OpenAIRequestError`` naming the
/// field, which the server answers with a 400. Cost: one JSON parse of the body.
struct OpenAIChatRequest: Equatable {
    /// The most completions one request may ask for: each is a whole generation, so a
    /// larger `n` would let one request occupy the engine for minutes.
    static let maximumChoices = 16

    var messages: [DSPyEngine.ChatMessage]
    var parameters: DSPyEngine.SamplingParameters
    /// Server-sent events instead of one JSON response.
    var stream: Bool
    /// How many completions (`n`), 1 to ``maximumChoices``.
    var choices: Int
    /// `response_format`: free text (nil), any JSON object, or JSON following a schema.
    var responseFormat: ResponseFormat?
    /// `logprobs`: whether each choice carries its tokens' log-probabilities.
    var logprobs = false
    /// `top_logprobs`: how many alternatives each token lists (0 to 20).
    var topLogprobs = 0
    /// `stream_options.include_usage`: a last streamed chunk with the token counts.
    var includeUsage = false
    /// `tools`: the functions the model may call.
    var tools: [ChatTool] = []
    /// `tool_choice` (`none` when no tools are given).
    var toolChoice = ToolChoice.none

    /// What `response_format` asks the output to be.
    enum ResponseFormat: Equatable {
        /// `{"type": "json_object"}`: some JSON object.
        case jsonObject
        /// `{"type": "json_schema", "json_schema": {"schema": …}}`: the schema as JSON text.
        case jsonSchema(String)
    }

    /// Decodes and checks a request body.
    ///
    /// - Throws: ``OpenAIRequestError`` naming the field at fault.
    static func decode(_ body: Data) throws(OpenAIRequestError) -> OpenAIChatRequest {
        try decode(fields: object(body))
    }

    /// A request body's JSON object, or an error saying why it is not one.
    static func object(_ body: Data) throws(OpenAIRequestError) -> JSONObject {
        guard let text = String(validating: body, as: UTF8.self) else {
            throw OpenAIRequestError(message: "the request body is not UTF-8 text")
        }
        let parsed: JSONValue
        do { parsed = try JSONValue.parse(text) } catch {
            throw OpenAIRequestError(message: "the request body is not valid JSON (\(error))")
        }
        guard case .object(let fields) = parsed else {
            throw OpenAIRequestError(message: "the request body is not a JSON object")
        }
        return fields
    }

    /// Decodes and checks a request's fields (see ``decode(_:)``).
    static func decode(fields original: JSONObject) throws(OpenAIRequestError) -> OpenAIChatRequest {
        var fields = original
        for (key, value) in original where value.isNull { fields[key] = nil }
        let messages = try ChatHistory.decode(fields["messages"])

        var parameters = DSPyEngine.SamplingParameters(temperature: Float(try number("temperature", in: fields) ?? 0.8))
        if let topP = try number("top_p", in: fields) { parameters.topP = Float(topP) }
        if let topK = try integer("top_k", in: fields) { parameters.topK = topK }
        if let seed = try integer("seed", in: fields) { parameters.seed = UInt32(truncatingIfNeeded: seed) }
        let maxCompletionTokens = try integer("max_completion_tokens", in: fields)
        parameters.maxTokens = try integer("max_tokens", in: fields) ?? maxCompletionTokens
        switch fields["stop"] {
        case nil: break
        case .string(let stop)?: parameters.stop = [stop]
        case .array(let stop)?:
            parameters.stop = try stop.enumerated().map { index, item throws(OpenAIRequestError) in
                guard let text = item.stringValue else { throw OpenAIRequestError(message: "stop[\(index)] must be a string") }
                return text
            }
        default: throw OpenAIRequestError(message: "'stop' must be a string or a list of strings")
        }
        do { try parameters.validate() } catch {
            throw OpenAIRequestError(message: "invalid sampling parameters: \(error)")
        }

        let choices = try integer("n", in: fields) ?? 1
        guard (1...maximumChoices).contains(choices) else {
            throw OpenAIRequestError(message: "'n' must be between 1 and \(maximumChoices) (this server's limit: each choice is a whole generation), got \(choices)")
        }
        var stream = false
        if let value = fields["stream"] {
            guard case .bool(let flag) = value else { throw OpenAIRequestError(message: "'stream' must be true or false") }
            stream = flag
        }
        var request = OpenAIChatRequest(messages: messages, parameters: parameters, stream: stream, choices: choices)
        request.responseFormat = try responseFormat(fields["response_format"])
        (request.tools, request.toolChoice) = try tools(fields)
        if request.toolChoice != .none, request.responseFormat != nil {
            throw OpenAIRequestError(message: "'response_format' cannot be combined with 'tools' unless 'tool_choice' is 'none'")
        }
        if let value = fields["logprobs"] {
            guard case .bool(let flag) = value else { throw OpenAIRequestError(message: "'logprobs' must be true or false") }
            request.logprobs = flag
        }
        if let top = try integer("top_logprobs", in: fields) {
            guard (0...20).contains(top) else { throw OpenAIRequestError(message: "'top_logprobs' must be between 0 and 20, got \(top)") }
            guard request.logprobs else { throw OpenAIRequestError(message: "'top_logprobs' needs 'logprobs': true") }
            request.topLogprobs = top
        }
        // The engine records the chosen token's log-probability whenever it keeps any.
        if request.logprobs { request.parameters.logprobs = max(1, request.topLogprobs) }
        switch fields["stream_options"] {
        case nil: break
        case .object(let options)?:
            if let include = options["include_usage"], !include.isNull {
                guard case .bool(let flag) = include else {
                    throw OpenAIRequestError(message: "'stream_options.include_usage' must be true or false")
                }
                request.includeUsage = flag
            }
        default: throw OpenAIRequestError(message: "'stream_options' must be an object")
        }
        return request
    }

    /// Reads `response_format`: `text`, `json_object`, or `json_schema` with its `schema`.
    private static func responseFormat(_ value: JSONValue?) throws(OpenAIRequestError) -> ResponseFormat? {
        guard let value else { return nil }
        guard case .object(let format) = value, let type = format["type"]?.stringValue else {
            throw OpenAIRequestError(message: "'response_format' must be an object with a 'type' (text, json_object or json_schema)")
        }
        switch type {
        case "text": return nil
        case "json_object": return .jsonObject
        case "json_schema":
            guard case .object(let wrapper)? = format["json_schema"], let schema = wrapper["schema"], case .object = schema else {
                throw OpenAIRequestError(message: "'response_format.json_schema.schema' must be a JSON schema object")
            }
            return .jsonSchema(schema.pythonJSON())
        default:
            throw OpenAIRequestError(message: "'response_format.type' must be text, json_object or json_schema, got '\(type)'")
        }
    }

    /// A number field, or `nil` when absent.
    private static func number(_ name: String, in fields: JSONObject) throws(OpenAIRequestError) -> Double? {
        switch fields[name] {
        case nil: return nil
        case .int(let i)?: return Double(i)
        case .double(let d)?: return d
        default: throw OpenAIRequestError(message: "'\(name)' must be a number")
        }
    }

    /// An integer field (a whole number within `Int`'s range), or `nil` when absent.
    private static func integer(_ name: String, in fields: JSONObject) throws(OpenAIRequestError) -> Int? {
        switch fields[name] {
        case nil: return nil
        case .int(let i)?: return i
        case .double(let d)?:
            guard let exact = Int(exactly: d) else { throw OpenAIRequestError(message: "'\(name)' must be an integer, got \(d)") }
            return exact
        default: throw OpenAIRequestError(message: "'\(name)' must be an integer")
        }
    }
}

/// A request the server refuses with a 400 and this message.
struct OpenAIRequestError: Error, Equatable {
    var message: String
}
