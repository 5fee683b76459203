import DSPy
import Foundation

/// Recognises a chat request rendered by a DSPy adapter and recovers the output structure
/// the adapter will parse, for `dspyc serve --dspy-structured`.
///
/// DSPy's ChatAdapter, JSONAdapter and XMLAdapter (3.x, and dspyc's own, which render the
/// same bytes) open with a system message of this shape:
///
///     Your input fields are:
///     1. `text` (str): …
///     Your output fields are:
///     1. `sentiment` (Literal['positive', 'negative']): …
///     2. `stars` (int): …
///     All interactions will be structured in the following way, with the appropriate values filled in.
///     …
///     [[ ## sentiment ## ]]
///     {sentiment}        # note: the value you produce must exactly match (no extra characters) one of: positive; negative
///     …
///
/// The output fields come from the numbered list (names, and types where Python's annotation
/// parses: `str`, `int`, `float`, `bool`, `Literal[…]`, `list[…]`, `dict[…]`, `Optional[…]`);
/// the style from the structure section (`[[ ## name ## ]]` headers, a JSON object skeleton,
/// or `<name>` tags); types that do not parse (enums, pydantic models) from each output's
/// note (`must be one of: a; b`, `must adhere to the JSON schema: {…}`).
///
/// Cost: a few scans of the system message. Anything that does not fit is not DSPy-shaped
/// (`nil`), and the request is served unconstrained.
enum DSPyRequestStructure {
    static let inputsTitle = "Your input fields are:\n"
    static let outputsTitle = "\nYour output fields are:\n"
    static let structureTitle = "\nAll interactions will be structured in the following way, with the appropriate values filled in."
    static let jsonSkeletonTitle = "Outputs will be a JSON object with the following fields.\n\n"
    static let objectiveTitle = "\nIn adhering to this structure, your objective is: "
    static let notePrefix = "        # note: the value you produce "

    /// The output structure of a DSPy adapter's system message, or `nil`.
    static func recognise(systemMessage text: String) -> OutputStructure? {
        guard text.hasPrefix(inputsTitle), let outputs = text.range(of: outputsTitle),
              let structure = text.range(of: structureTitle, range: outputs.upperBound..<text.endIndex)
        else { return nil }
        let declared = fieldList(String(text[outputs.upperBound..<structure.lowerBound]))
        guard !declared.isEmpty else { return nil }
        let layout = String(text[structure.upperBound...])
        let style: OutputStructure.Style
        let notes: [String]
        if let skeleton = layout.range(of: jsonSkeletonTitle) {
            style = .jsonObject
            let rest = layout[skeleton.upperBound...]
            let end = rest.range(of: objectiveTitle)?.lowerBound ?? rest.endIndex
            guard let object = (try? JSONValue.parse(String(rest[..<end])))?.objectValue else { return nil }
            guard let found = try? declared.map({ field throws -> String in
                guard let placeholder = object[field.name]?.stringValue, placeholder.hasPrefix("{\(field.name)}") else {
                    throw DSPyError.invalidSignature(field.name)
                }
                return String(placeholder.dropFirst(field.name.count + 2))
            }) else { return nil }
            notes = found
        } else if layout.contains("\n[[ ## completed ## ]]") {
            style = .chatHeaders
            guard let found = placeholderNotes(declared.map(\.name), in: layout, open: { "[[ ## \($0) ## ]]\n{\($0)}" })
            else { return nil }
            notes = found
        } else {
            style = .xmlTags
            guard let found = placeholderNotes(declared.map(\.name), in: layout, open: { "<\($0)>\n{\($0)}" }) else { return nil }
            notes = found
        }
        let fields = zip(declared, notes).map { field, note in FieldSpec.output(field.name, fieldType(field.type, note: note)) }
        guard let signature = try? SignatureSpec(inputs: [], outputs: fields) else { return nil }
        return OutputStructure(style: style, signature: signature)
    }

    /// The numbered `1. \`name\` (type): description` entries of a field list, in order.
    static func fieldList(_ text: String) -> [(name: String, type: String)] {
        var fields: [(name: String, type: String)] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let expected = "\(fields.count + 1). `"
            guard line.hasPrefix(expected) else { continue }
            let rest = line.dropFirst(expected.count)
            guard let close = rest.firstIndex(of: "`"), rest[close...].hasPrefix("` ("),
                  let type = balancedParenthesis(rest[rest.index(close, offsetBy: 3)...])
            else { continue }
            let name = String(rest[..<close])
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { continue }
            fields.append((name, type))
        }
        return fields
    }

    /// The text up to the `)` that closes an annotation (brackets and quotes respected).
    private static func balancedParenthesis(_ text: Substring) -> String? {
        var depth = 0
        var quote: Character?
        var escaped = false
        for index in text.indices {
            let c = text[index]
            if let open = quote {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == open { quote = nil }
                continue
            }
            switch c {
            case "'", "\"": quote = c
            case "[", "(": depth += 1
            case "]": depth -= 1
            case ")":
                if depth == 0 { return String(text[..<index]) }
                depth -= 1
            default: break
            }
        }
        return nil
    }

    /// Each field's note: the rest of the line after its placeholder, or `nil` when one is missing.
    private static func placeholderNotes(_ names: [String], in layout: String, open: (String) -> String) -> [String]? {
        var notes: [String] = []
        for name in names {
            guard let found = layout.range(of: "\n" + open(name)) else { return nil }
            let rest = layout[found.upperBound...]
            notes.append(String(rest.prefix { $0 != "\n" }))
        }
        return notes
    }

    /// A field's type: the annotation when it parses, else what its note says.
    static func fieldType(_ annotation: String, note: String) -> FieldType {
        if let type = try? FieldType.parse(annotation), type != .history { return type }
        guard note.hasPrefix(notePrefix) else { return .string }
        let says = note.dropFirst(notePrefix.count)
        func values(after prefix: String) -> [JSONValue] {
            says.dropFirst(prefix.count).components(separatedBy: "; ").map(JSONValue.string)
        }
        if says == "must be True or False" { return .bool }
        if says == "must be a single int value" { return .int }
        if says == "must be a single float value" { return .float }
        for prefix in ["must be one of: ", "must exactly match (no extra characters) one of: "] where says.hasPrefix(prefix) {
            return .literal(values(after: prefix))
        }
        let schemaPrefix = "must adhere to the JSON schema: "
        if says.hasPrefix(schemaPrefix), let schema = try? JSONValue.parse(String(says.dropFirst(schemaPrefix.count))) {
            return .object(name: annotation, schema: schema)
        }
        return .string
    }
}
