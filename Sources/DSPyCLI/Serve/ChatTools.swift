import DSPy
import DSPyEngine
import Foundation

/// A function the model may call: one entry of a chat request's `tools`.
///
/// `parameters` is the JSON schema of the call's arguments as the client sent it (shown
/// to the model in the prompt); ``schema`` is the part the constrained decoder enforces
/// (every declared property present, in `required`-first order, types, enums, lengths —
/// see ``DSPyEngine/JSONSchema/init(jsonSchema:)``), so generated arguments always
/// validate against `parameters`.
struct ChatTool: Equatable {
    var name: String
    var description: String?
    /// The arguments' JSON schema as sent (an object schema).
    var parameters: JSONValue
    /// What the decoder enforces for the arguments.
    var schema: JSONSchema

    /// The most tools one request may declare (each adds to the prompt and to the choice of the first step).
    static let maximumCount = 64

    /// The tool as the prompt lists it: `{"name": …, "description": …, "parameters": …}`.
    var promptJSON: JSONValue {
        var object = JSONObject()
        object["name"] = .string(name)
        if let description { object["description"] = .string(description) }
        object["parameters"] = parameters
        return .object(object)
    }
}

/// `tool_choice`: whether, and which, tool the completion must call.
enum ToolChoice: Equatable {
    /// Plain text; the tools are not offered.
    case none
    /// The model chooses between a text answer and one tool call.
    case auto
    /// The completion is a call of one of the tools.
    case required
    /// The completion is a call of this tool.
    case function(String)
}

extension OpenAIChatRequest {
    /// Reads `tools` and `tool_choice` (the default choice is `auto` when tools are given).
    ///
    /// - Throws: ``OpenAIRequestError`` naming the field at fault: a tool that is not
    ///   `{"type": "function", "function": {"name", "description"?, "parameters"?}}`, a name
    ///   that is not 1–64 letters, digits, `_` or `-`, a repeated name, a `parameters` schema
    ///   that is not an object schema or cannot be enforced, a `tool_choice` that is not
    ///   none/auto/required or `{"type": "function", "function": {"name"}}` naming a tool.
    static func tools(_ fields: JSONObject) throws(OpenAIRequestError) -> (tools: [ChatTool], choice: ToolChoice) {
        var tools: [ChatTool] = []
        switch fields["tools"] {
        case nil: break
        case .array(let items)?:
            guard items.count <= ChatTool.maximumCount else {
                throw OpenAIRequestError(message: "'tools' may list at most \(ChatTool.maximumCount) tools, got \(items.count)")
            }
            for (index, item) in items.enumerated() {
                let tool = try Self.tool(item, at: "tools[\(index)]")
                guard !tools.contains(where: { $0.name == tool.name }) else {
                    throw OpenAIRequestError(message: "tools[\(index)].function.name '\(tool.name)' is declared twice")
                }
                tools.append(tool)
            }
        default: throw OpenAIRequestError(message: "'tools' must be a list of {\"type\": \"function\", \"function\": {...}}")
        }
        var choice: ToolChoice = tools.isEmpty ? .none : .auto
        switch fields["tool_choice"] {
        case nil: break
        case .string(let name)?:
            switch name {
            case "none": choice = .none
            case "auto": choice = .auto
            case "required": choice = .required
            default: throw OpenAIRequestError(message: "'tool_choice' must be none, auto, required or {\"type\": \"function\", \"function\": {\"name\": …}}, got '\(name)'")
            }
        case .object(let object)?:
            guard object["type"]?.stringValue == "function", let name = object["function"]?["name"]?.stringValue else {
                throw OpenAIRequestError(message: "'tool_choice' as an object must be {\"type\": \"function\", \"function\": {\"name\": …}}")
            }
            guard tools.contains(where: { $0.name == name }) else {
                throw OpenAIRequestError(message: "'tool_choice.function.name' '\(name)' is not one of the 'tools'")
            }
            choice = .function(name)
        default:
            throw OpenAIRequestError(message: "'tool_choice' must be none, auto, required or {\"type\": \"function\", \"function\": {\"name\": …}}")
        }
        if tools.isEmpty {
            guard choice != .required else {
                throw OpenAIRequestError(message: "'tool_choice' is 'required' but 'tools' lists no tool")
            }
            choice = .none
        }
        return (tools, choice)
    }

    /// One `tools` entry.
    private static func tool(_ value: JSONValue, at path: String) throws(OpenAIRequestError) -> ChatTool {
        guard case .object(let wrapper) = value else { throw OpenAIRequestError(message: "\(path) must be an object") }
        guard wrapper["type"]?.stringValue == "function" else {
            throw OpenAIRequestError(message: "\(path).type must be 'function'")
        }
        guard case .object(let function)? = wrapper["function"] else {
            throw OpenAIRequestError(message: "\(path).function must be an object with a name")
        }
        guard let name = function["name"]?.stringValue, (1...64).contains(name.utf8.count),
              name.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-") })
        else {
            throw OpenAIRequestError(message: "\(path).function.name must be 1 to 64 letters, digits, '_' or '-'")
        }
        var description: String?
        switch function["description"] {
        case nil, .null?: break
        case .string(let text)?: description = text
        default: throw OpenAIRequestError(message: "\(path).function.description must be a string")
        }
        let parameters: JSONValue
        switch function["parameters"] {
        case nil, .null?: parameters = ["type": "object", "properties": .object(JSONObject())]
        case .object(let schema)?:
            guard schema["type"] == nil || schema["type"]?.stringValue == "object" else {
                throw OpenAIRequestError(message: "\(path).function.parameters must be an object schema (\"type\": \"object\")")
            }
            parameters = .object(schema)
        default: throw OpenAIRequestError(message: "\(path).function.parameters must be a JSON schema object")
        }
        return ChatTool(name: name, description: description, parameters: parameters,
                        schema: try argumentSchema(parameters, at: "\(path).function.parameters"))
    }

    /// The enforceable schema of a tool's arguments: an object without properties takes no
    /// arguments (`{}`) unless it allows additional ones.
    private static func argumentSchema(_ parameters: JSONValue, at path: String) throws(OpenAIRequestError) -> JSONSchema {
        let properties = parameters["properties"]?.objectValue ?? JSONObject()
        let additional = parameters["additionalProperties"]
        if properties.isEmpty && (additional == nil || additional == .bool(false)) { return .object([]) }
        do { return try JSONSchema(jsonSchema: parameters.pythonJSON()) } catch {
            throw OpenAIRequestError(message: "\(path) cannot be enforced: \(error)")
        }
    }
}
