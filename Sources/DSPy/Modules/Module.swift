import Foundation

/// A node of an LM program: a class whose stored properties hold predictors and sub-modules.
///
/// Like DSPy's `Module`, the tree is discovered from the object itself
/// (by reflection over stored properties): names are property paths, so the
/// ``Predict`` inside a ``ChainOfThought`` stored in `gen` is `gen.predict`;
/// arrays add `[i]` and dictionaries `['key']`. Shared references are listed
/// once.
///
/// ```swift
/// final class RAG: Module {
///     let gen = ChainOfThought(try! SignatureSpec("context, question -> answer"))
///     func deepCopy() -> RAG { RAG(copying: self) }
/// }
/// rag.namedPredictors().map(\.name) // ["gen.predict"]
/// ```
public protocol Module: AnyObject, Sendable {
    /// A copy with its own predictors (same structure, same state). Optimizers copy before they change demos.
    func deepCopy() -> Self
}

extension Module {
    /// Every predictor with its path, in declaration order.
    public func namedPredictors() -> [(name: String, predictor: Predict)] {
        if let p = self as? Predict { return [("self", p)] }
        var seen = Set<ObjectIdentifier>()
        var result: [(String, Predict)] = []
        ModuleWalker.walk(self, prefix: "", seen: &seen) { name, value in
            if let p = value as? Predict { result.append((name, p)) }
        }
        return result
    }

    /// Every predictor, in order.
    public func predictors() -> [Predict] { namedPredictors().map(\.predictor) }

    /// Every sub-module (predictors included) with its path, breadth-first by declaration.
    public func namedSubModules() -> [(name: String, module: any Module)] {
        var seen = Set<ObjectIdentifier>()
        var result: [(String, any Module)] = []
        ModuleWalker.walk(self, prefix: "", seen: &seen) { name, value in result.append((name, value)) }
        return result
    }

    /// A deep copy with every predictor reset (no demos, no per-predictor LM).
    public func resetCopy() -> Self {
        let copy = deepCopy()
        for p in copy.predictors() { p.reset() }
        return copy
    }

    /// Sets the LM of every predictor.
    public func setLM(_ lm: (any LanguageModel)?) {
        for p in predictors() { p.lm = lm }
    }

    /// Names each predictor with its path so call logs can say which one ran.
    public func assignPaths(prefix: String = "") {
        for (name, p) in namedPredictors() { p.path = prefix + name }
    }
}

enum ModuleWalker {
    static func walk(
        _ module: any Module, prefix: String, seen: inout Set<ObjectIdentifier>,
        visit: (String, any Module) -> Void
    ) {
        var mirror: Mirror? = Mirror(reflecting: module)
        var children: [(String, Any)] = []
        while let m = mirror {
            children = m.children.compactMap { c in c.label.map { ($0, c.value) } } + children
            mirror = m.superclassMirror
        }
        var nested: [(String, any Module)] = []
        for (label, value) in children where !label.hasPrefix("$__lazy") {
            collect(value, name: prefix + label, into: &nested)
        }
        for (name, child) in nested {
            guard seen.insert(ObjectIdentifier(child)).inserted else { continue }
            visit(name, child)
            if !(child is Predict) { walk(child, prefix: name + ".", seen: &seen, visit: visit) }
        }
    }

    static func collect(_ value: Any, name: String, into out: inout [(String, any Module)]) {
        if let m = value as? any Module { out.append((name, m)); return }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            if let some = mirror.children.first { collect(some.value, name: name, into: &out) }
        case .collection, .tuple:
            for (i, c) in mirror.children.enumerated() { collect(c.value, name: "\(name)[\(i)]", into: &out) }
        case .dictionary:
            var pairs: [(String, Any)] = []
            for c in mirror.children {
                let kv = Array(Mirror(reflecting: c.value).children)
                if kv.count == 2, let key = kv[0].value as? String { pairs.append((key, kv[1].value)) }
            }
            for (key, v) in pairs.sorted(by: { $0.0 < $1.0 }) { collect(v, name: "\(name)['\(key)']", into: &out) }
        default: break
        }
    }
}
