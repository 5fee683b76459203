import Foundation

/// A signature: instructions plus ordered input and output fields.
///
/// This is the dynamic form (DSPy's `Signature` class), built from DSPy's
/// string grammar or from a typed ``Signature`` struct. It is a value: every
/// manipulation returns a new signature, like DSPy's class methods.
///
/// ```swift
/// let qa = try SignatureSpec("context: list[str], question -> answer: int")
/// qa.instructions // "Given the fields `context`, `question`, produce the fields `answer`."
/// ```
public struct SignatureSpec: Sendable, Hashable, CustomStringConvertible {
    /// The input fields, in order.
    public private(set) var inputs: [FieldSpec]
    /// The output fields, in order.
    public private(set) var outputs: [FieldSpec]
    /// The instructions. When none are given they are DSPy's default,
    /// "Given the fields `a`, `b`, produce the fields `c`.", computed from
    /// the fields at creation and kept by later field changes (as in DSPy,
    /// where `prepend`/`append` carry the old instructions over).
    public private(set) var instructions: String
    /// A display name (the typed struct's name, or `StringSignature`).
    public var name: String

    /// Builds a signature from fields; throws on duplicate names or misplaced kinds.
    public init(
        inputs: [FieldSpec], outputs: [FieldSpec], instructions: String? = nil, name: String = "StringSignature"
    ) throws {
        let duplicates = Set(inputs.map(\.name)).intersection(outputs.map(\.name)).sorted()
        guard duplicates.isEmpty else {
            throw DSPyError.invalidSignature(
                "Input and output fields must have distinct names, but found duplicates: '\(duplicates.joined(separator: ", "))'.")
        }
        for side in [inputs, outputs] {
            var seen = Set<String>()
            for field in side where !seen.insert(field.name).inserted {
                throw DSPyError.invalidSignature("Duplicate field name '\(field.name)' in signature.")
            }
        }
        self.inputs = inputs.map { var f = $0; f.kind = .input; return f }
        self.outputs = outputs.map { var f = $0; f.kind = .output; return f }
        self.name = name
        self.instructions = ""
        self.instructions = (instructions?.isEmpty ?? true) ? defaultInstructions : instructions!
    }

    /// Parses DSPy's string grammar (`"question, context: list[str] -> answer: int"`).
    ///
    /// - Throws: ``DSPyError/invalidSignature(_:)`` with DSPy's message for a
    ///   missing or repeated `->`, names that are not identifiers, duplicate
    ///   names; ``DSPyError/unknownType(_:)`` for an unknown type name.
    public init(_ signature: String, instructions: String? = nil, customTypes: [String: FieldType] = [:]) throws {
        let parts = signature.components(separatedBy: "->")
        guard parts.count == 2 else {
            throw DSPyError.invalidSignature(
                "Invalid signature format: '\(signature)', must contain exactly one '->'.")
        }
        let inputs = try SignatureGrammar.parseFields(parts[0], kind: .input, in: signature, customTypes: customTypes)
        let outputs = try SignatureGrammar.parseFields(parts[1], kind: .output, in: signature, customTypes: customTypes)
        try self.init(inputs: inputs, outputs: outputs, instructions: instructions)
    }

    /// All fields: inputs, then outputs.
    public var fields: [FieldSpec] { inputs + outputs }

    /// DSPy's default instructions for the current fields.
    public var defaultInstructions: String {
        let ins = inputs.map { "`\($0.name)`" }.joined(separator: ", ")
        let outs = outputs.map { "`\($0.name)`" }.joined(separator: ", ")
        return "Given the fields \(ins), produce the fields \(outs)."
    }

    /// The `"a, b -> c"` form (DSPy's `.signature`).
    public var signatureString: String {
        inputs.map(\.name).joined(separator: ", ") + " -> " + outputs.map(\.name).joined(separator: ", ")
    }

    public var description: String { "\(name)(\(signatureString)\n    instructions=\(instructions.debugDescription))" }

    /// The field named `name`, input or output.
    public func field(named name: String) -> FieldSpec? { fields.first { $0.name == name } }

    // MARK: Manipulation (each returns a new signature)

    /// Replaces the instructions.
    public func withInstructions(_ instructions: String) -> SignatureSpec {
        var copy = self
        copy.instructions = instructions.isEmpty ? defaultInstructions : instructions
        return copy
    }

    /// Appends to the instructions, separated by a blank line.
    public func appendingInstructions(_ text: String) -> SignatureSpec {
        withInstructions(instructions + "\n\n" + text)
    }

    /// Updates one field's metadata (description, prefix, type, constraints).
    public func withUpdatedField(
        _ name: String, description: String? = nil, prefix: String? = nil, type: FieldType? = nil,
        constraints: String? = nil
    ) -> SignatureSpec {
        var copy = self
        func update(_ f: inout FieldSpec) {
            guard f.name == name else { return }
            if let description { f.description = description }
            if let prefix { f.prefix = prefix }
            if let type { f.type = type }
            if let constraints { f.constraints = constraints }
        }
        for i in copy.inputs.indices { update(&copy.inputs[i]) }
        for i in copy.outputs.indices { update(&copy.outputs[i]) }
        return copy
    }

    /// Sets (or clears, with `nil`) the calibration offsets of a choice output.
    public func withChoiceOffsets(_ name: String, _ offsets: [String: Double]?) -> SignatureSpec {
        var copy = self
        for i in copy.outputs.indices where copy.outputs[i].name == name { copy.outputs[i].choiceOffsets = offsets }
        return copy
    }

    /// Inserts a field among the inputs or outputs (by its kind); negative indices count from the end (`-1` appends).
    public func inserting(_ field: FieldSpec, at index: Int) throws -> SignatureSpec {
        var list = field.kind == .input ? inputs : outputs
        var i = index
        if i < 0 { i += list.count + 1 }
        guard i >= 0, i <= list.count else {
            throw DSPyError.invalidSignature(
                "Invalid index to insert: \(i), index must be in the range of [\(list.count - 1), \(list.count)] for \(field.kind.rawValue) fields, but received: \(i).")
        }
        list.insert(field, at: i)
        return try SignatureSpec(
            inputs: field.kind == .input ? list : inputs, outputs: field.kind == .output ? list : outputs,
            instructions: instructions, name: name)
    }

    /// Inserts a field first in its section.
    public func prepending(_ field: FieldSpec) throws -> SignatureSpec { try inserting(field, at: 0) }

    /// Inserts a field last in its section.
    public func appending(_ field: FieldSpec) throws -> SignatureSpec { try inserting(field, at: -1) }

    /// Removes a field; a missing name is a no-op.
    public func deleting(_ name: String) -> SignatureSpec {
        var copy = self
        copy.inputs.removeAll { $0.name == name }
        copy.outputs.removeAll { $0.name == name }
        return copy
    }

    /// DSPy's `equals`: same instructions and the same field metadata.
    public func equals(_ other: SignatureSpec) -> Bool {
        instructions == other.instructions && fields == other.fields
    }
}

/// The parameter-list half of the string grammar.
enum SignatureGrammar {
    static let pythonKeywords: Set<String> = [
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
        "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in",
        "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
    ]

    static func parseFields(
        _ text: String, kind: FieldKind, in signature: String, customTypes: [String: FieldType]
    ) throws -> [FieldSpec] {
        var fields: [FieldSpec] = []
        for raw in splitTopLevel(text) {
            let param = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if param.isEmpty {
                if splitTopLevel(text).count == 1 { continue }
                throw DSPyError.invalidSignature("Invalid signature '\(signature)': empty field name.")
            }
            var nameAndType = param
            if let eq = topLevelIndex(of: "=", in: param) { nameAndType = String(param[..<eq]) }
            var name = nameAndType
            var type = FieldType.string
            var undefined = true
            if let colon = topLevelIndex(of: ":", in: nameAndType) {
                name = String(nameAndType[..<colon])
                let annotation = nameAndType[nameAndType.index(after: colon)...]
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                guard !annotation.isEmpty else {
                    throw DSPyError.invalidSignature("Invalid signature '\(signature)': field '\(name.trimmed)' has an empty type.")
                }
                type = try FieldType.parse(annotation, customTypes: customTypes)
                undefined = false
            }
            name = name.trimmed
            guard isIdentifier(name) else {
                throw DSPyError.invalidSignature(
                    "Invalid signature '\(signature)': field name '\(name)' is not a valid Python identifier.")
            }
            // DSPy silently de-duplicates "a, a -> b"; dspyc reports it (a deliberate difference).
            if fields.contains(where: { $0.name == name }) {
                throw DSPyError.invalidSignature("Invalid signature '\(signature)': duplicate field name '\(name)'.")
            }
            fields.append(FieldSpec(name: name, kind: kind, type: type, isTypeUndefined: undefined && kind == .input))
        }
        return fields
    }

    static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.first, first.isLetter || first == "_" else { return false }
        return s.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } && !pythonKeywords.contains(s)
    }

    static func splitTopLevel(_ text: String) -> [String] {
        var parts: [String] = [], current = "", depth = 0
        var quote: Character? = nil
        for ch in text {
            if let q = quote {
                if ch == q { quote = nil }
            } else if ch == "'" || ch == "\"" {
                quote = ch
            } else if ch == "[" || ch == "(" {
                depth += 1
            } else if ch == "]" || ch == ")" {
                depth -= 1
            } else if ch == "," && depth == 0 {
                parts.append(current); current = ""; continue
            }
            current.append(ch)
        }
        parts.append(current)
        return parts
    }

    static func topLevelIndex(of target: Character, in text: String) -> String.Index? {
        var depth = 0
        var quote: Character? = nil
        for i in text.indices {
            let ch = text[i]
            if let q = quote { if ch == q { quote = nil }; continue }
            if ch == "'" || ch == "\"" { quote = ch } else if ch == "[" || ch == "(" { depth += 1 } else if ch == "]" || ch == ")" { depth -= 1 } else if ch == target && depth == 0 { return i }
        }
        return nil
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
