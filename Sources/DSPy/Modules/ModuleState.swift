import Foundation

/// Saving and loading program state in DSPy's JSON shape (reference §3.10).
///
/// A program's state is `{ "<predictor path>": <predictor state>, …,
/// "metadata": {…} }`; a predictor's state is
/// `{"traces": [], "train": [], "demos": [...], "signature": {"instructions", "fields": [{"prefix", "description"}…]}, "lm": null}`.
/// Only instructions, prefixes/descriptions and demos are saved — types and
/// structure come from the code, so loading needs the same program built in
/// code; fields are matched by position, predictors by path. Loading is
/// all-or-nothing: everything is checked before anything changes.
extension Predict {
    /// This predictor's state.
    public func dumpState() -> JSONValue {
        let (signature, demos) = (self.signature, self.demos)
        return [
            "traces": [], "train": [],
            "demos": .array(demos.map { .object($0.fields) }),
            "signature": [
                "instructions": .string(signature.instructions),
                "fields": .array(signature.fields.map { field in
                    var o: JSONObject = ["prefix": .string(field.prefix), "description": .string(field.description)]
                    if let offsets = field.choiceOffsets {
                        // dspyc's extension; DSPy reads only prefix and description.
                        o["choice_offsets"] = .object(JSONObject(offsets.sorted { $0.key < $1.key }.map { ($0.key, .double($0.value)) }))
                    }
                    return .object(o)
                }),
            ],
            "lm": .null,
        ]
    }

    /// Applies a saved state (demos, instructions, prefixes, descriptions).
    public func loadState(_ state: JSONValue) throws {
        let (signature, demos) = try Predict.decodeState(state, onto: self.signature)
        self.signature = signature
        self.demos = demos
    }

    static func decodeState(_ state: JSONValue, onto signature: SignatureSpec) throws -> (SignatureSpec, [Example]) {
        guard let object = state.objectValue else { throw DSPyError.state("a predictor state must be an object") }
        var demos: [Example] = []
        for (i, demo) in (object["demos"]?.arrayValue ?? []).enumerated() {
            guard let fields = demo.objectValue else { throw DSPyError.state("demo \(i) is not an object") }
            demos.append(Example(fields))
        }
        var spec = signature
        if let sig = object["signature"]?.objectValue {
            if let instructions = sig["instructions"]?.stringValue { spec = spec.withInstructions(instructions) }
            for (field, saved) in zip(signature.fields, sig["fields"]?.arrayValue ?? []) {
                spec = spec.withUpdatedField(field.name, description: saved["description"]?.stringValue,
                                             prefix: saved["prefix"]?.stringValue)
                if let offsets = saved["choice_offsets"]?.objectValue {
                    var table: [String: Double] = [:]
                    for (k, v) in offsets { table[k] = v.doubleValue }
                    spec = spec.withChoiceOffsets(field.name, table)
                }
            }
        }
        return (spec, demos)
    }
}

extension Module {
    /// The program's state by predictor path (a bare ``Predict`` gives its own state).
    public func dumpState() -> JSONValue {
        if let p = self as? Predict { return p.dumpState() }
        return .object(JSONObject(namedPredictors().map { ($0.name, $0.predictor.dumpState()) }))
    }

    /// Loads a state produced by ``dumpState()`` (or by DSPy's `save`); all-or-nothing.
    ///
    /// - Throws: ``DSPyError/state(_:)`` naming a missing predictor path or a malformed entry.
    public func loadState(_ state: JSONValue) throws {
        if let p = self as? Predict { try p.loadState(state); return }
        guard let object = state.objectValue else { throw DSPyError.state("the program state must be an object") }
        var updates: [(Predict, SignatureSpec, [Example])] = []
        for (name, predictor) in namedPredictors() {
            guard let entry = object[name] else { throw DSPyError.state("no saved state for predictor '\(name)'") }
            let (signature, demos) = try Predict.decodeState(entry, onto: predictor.signature)
            updates.append((predictor, signature, demos))
        }
        for (predictor, signature, demos) in updates {
            predictor.signature = signature
            predictor.demos = demos
        }
    }

    /// Writes the state as DSPy's `save("prog.json")` does (2-space indented JSON with metadata).
    public func save(to url: URL) throws {
        try Data((savedStateJSON() + "\n").utf8).write(to: url, options: .atomic)
    }

    /// The text ``save(to:)`` writes: the state with DSPy's metadata, 2-space indented.
    public func savedStateJSON() -> String {
        var object = dumpState().objectValue ?? JSONObject()
        object["metadata"] = ["dependency_versions": ["dspy": "3.4.1"], "dspyc": "0.1.0"]
        return JSONValue.object(object).pythonJSON(indent: 2)
    }

    /// Reads a state file written by ``save(to:)`` or by DSPy.
    ///
    /// - Throws: ``DSPyError/state(_:)`` naming the file when it cannot be read or is not JSON.
    public func load(from url: URL) throws {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            let exists = FileManager.default.fileExists(atPath: url.path)
            throw DSPyError.state("cannot read \(url.path): \(exists ? "not UTF-8 text" : "no such file")")
        }
        var state: JSONValue
        do { state = try JSONValue.parse(text) } catch {
            throw DSPyError.state("\(url.path): \(error)")
        }
        if case .object(var o) = state { o["metadata"] = nil; state = .object(o) }
        try loadState(state)
    }
}
