import ArgumentParser
import DSPy

/// Reads `--input name=value` options: list and dict values as JSON, the rest as text.
enum InputValues {
    static func parse(_ inputs: [String]) throws -> JSONObject {
        var fields = JSONObject()
        for input in inputs {
            let parts = input.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { throw ValidationError("--input takes name=value, got '\(input)'") }
            let text = String(parts[1])
            let isJSON = text.hasPrefix("[") || text.hasPrefix("{")
            fields[String(parts[0])] = isJSON ? (try? JSONValue.parse(text)) ?? .string(text) : .string(text)
        }
        return fields
    }
}
