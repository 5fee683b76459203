import DSPy
import Foundation

/// Reads the adapter fixtures rendered by DSPy 3.4.1 (`Fixtures/make_fixtures.py`).
enum GoldenFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func cases(_ file: String) throws -> [JSONObject] {
        let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
        return try JSONValue.parse(text)["cases"]?.arrayValue?.compactMap(\.objectValue) ?? []
    }

    /// Rebuilds a case's signature from its portable description.
    static func signature(_ description: JSONValue?) throws -> SignatureSpec {
        guard let d = description?.objectValue, let string = d["string"]?.stringValue else {
            throw DSPyError.state("fixture without a signature")
        }
        var spec = try SignatureSpec(string, instructions: d["instructions"]?.stringValue)
        for (name, desc) in d["descs"]?.objectValue ?? JSONObject() {
            spec = spec.withUpdatedField(name, description: desc.stringValue)
        }
        for (name, c) in d["constraints"]?.objectValue ?? JSONObject() {
            spec = spec.withUpdatedField(name, constraints: c.stringValue)
        }
        return spec
    }

    static func adapter(_ name: JSONValue?) -> any Adapter {
        switch name?.stringValue {
        case "json": return JSONAdapter()
        case "xml": return XMLAdapter()
        default: return ChatAdapter()
        }
    }

    static func names(_ file: String) -> [String] {
        ((try? cases(file)) ?? []).compactMap { $0["name"]?.stringValue }
    }

    static func named(_ file: String, _ name: String) throws -> JSONObject {
        guard let c = try cases(file).first(where: { $0["name"]?.stringValue == name }) else {
            throw DSPyError.state("no fixture \(name)")
        }
        return c
    }
}

/// A first difference between two strings, for readable failures.
func firstDifference(_ a: String, _ b: String) -> String {
    let x = Array(a), y = Array(b)
    var i = 0
    while i < min(x.count, y.count), x[i] == y[i] { i += 1 }
    let ctx = { (s: [Character]) in String(s[max(0, i - 30)..<min(s.count, i + 30)]).debugDescription }
    return "differs at \(i): got \(ctx(x)) expected \(ctx(y))"
}
