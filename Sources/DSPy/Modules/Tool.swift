import Foundation

/// A Swift async function a ``ReAct`` agent can call.
///
/// The model sees the name, the description and the argument schema the way
/// DSPy describes tools: `(1) get_weather, whose description is
/// <desc>Get the weather.</desc>. It takes arguments {'city': {'type': 'string'}}.`
///
/// ```swift
/// struct WeatherArgs: Codable { var city: String }
/// let weather = Tool("get_weather", description: "Get the weather for a city.", arguments: WeatherArgs.self) { args in
///     "The weather in \(args.city) is sunny."
/// }
/// ```
public struct Tool: Sendable {
    public let name: String
    public let description: String
    /// The argument schemas by name, in order (DSPy's `tool.args`).
    public let arguments: JSONObject
    private let body: @Sendable (JSONObject) async throws -> JSONValue

    /// A tool taking loosely typed arguments.
    public init(_ name: String, description: String, arguments: JSONObject = JSONObject(),
                _ body: @escaping @Sendable (JSONObject) async throws -> JSONValue) {
        self.name = name
        self.description = description
        self.arguments = arguments
        self.body = body
    }

    /// A tool whose arguments are decoded into `Args`; its schema is derived from `Args`.
    public init<Args: Decodable & Sendable, Result: Encodable & Sendable>(
        _ name: String, description: String, arguments: Args.Type,
        _ body: @escaping @Sendable (Args) async throws -> Result
    ) {
        var properties = JSONObject()
        for (key, schema) in SchemaSniffer.schema(for: Args.self)["properties"]?.objectValue ?? JSONObject() {
            var s = schema.objectValue ?? JSONObject()
            s["title"] = nil
            properties[key] = .object(s)
        }
        self.init(name, description: description, arguments: properties) { raw in
            let data = Data(JSONValue.object(raw).pythonJSON().utf8)
            let args: Args
            do { args = try JSONDecoder().decode(Args.self, from: data) } catch {
                throw DSPyError.tool(name: name, message: "invalid arguments \(JSONValue.object(raw).pythonJSON()): \(error)")
            }
            let result = try await body(args)
            if let s = result as? String { return .string(s) }
            return try JSONValue.parse(String(decoding: try JSONEncoder().encode(result), as: UTF8.self))
        }
    }

    /// Runs the tool; unknown argument names are an error, as in DSPy.
    public func callAsFunction(_ arguments: JSONObject) async throws -> JSONValue {
        if !self.arguments.isEmpty || name == "finish" {
            for key in arguments.keys where !self.arguments.contains(key) {
                throw DSPyError.tool(name: name, message: "Arg \(key) is not in the tool's args.")
            }
        }
        return try await body(arguments)
    }

    /// DSPy's `str(tool)`.
    public var promptDescription: String {
        let desc = description.isEmpty ? "." : ", whose description is <desc>\(description)</desc>.".replacingOccurrences(of: "\n", with: "  ")
        return "\(name)\(desc) It takes arguments \(JSONValue.object(arguments).pythonRepr)."
    }
}
