import Foundation

/// Loading examples from JSON Lines files.
///
/// One JSON object per line; blank lines are skipped. A line that is not a
/// JSON object is an error naming the file and the 1-based line.
public enum JSONL {
    /// Reads `url` and returns one example per line, with `inputKeys` set when given.
    ///
    /// - Throws: ``DSPyError/dataset(file:line:message:)``.
    public static func load(_ url: URL, inputKeys: [String]? = nil) throws -> [Example] {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw DSPyError.dataset(file: url.path, line: 0, message: "cannot read file (\(error.localizedDescription))")
        }
        return try parse(text, file: url.path, inputKeys: inputKeys)
    }

    /// Parses JSONL text; `file` names it in errors.
    public static func parse(_ text: String, file: String = "<memory>", inputKeys: [String]? = nil) throws -> [Example] {
        var examples: [Example] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            let value: JSONValue
            do { value = try JSONValue.parse(trimmed) } catch {
                throw DSPyError.dataset(file: file, line: index + 1, message: "invalid JSON: \(error)")
            }
            guard case .object(let object) = value else {
                throw DSPyError.dataset(file: file, line: index + 1, message: "expected a JSON object, got \(value.pythonJSON().prefix(40))")
            }
            if let inputKeys {
                let missing = inputKeys.filter { !object.contains($0) }
                if !missing.isEmpty {
                    throw DSPyError.dataset(file: file, line: index + 1,
                        message: "missing input key\(missing.count == 1 ? "" : "s") \(missing.map { "`\($0)`" }.joined(separator: ", "))")
                }
            }
            examples.append(Example(object, inputKeys: inputKeys))
        }
        return examples
    }
}
