/// A small recognizer for the GBNF subset `GBNFGrammar` writes (rules, string literals with
/// escapes, character classes with ranges and negation, groups, `|`, `*`, `+`, `?`), so tests
/// can check which texts a grammar accepts without a llama.cpp server.
///
/// Matching is by sets of end positions (every way to match, no backtracking order), so
/// ambiguous grammars such as the text rule work. Left recursion is not supported.
struct GBNFRecognizer {
    indirect enum Node {
        case literal([Unicode.Scalar])
        case charClass(negated: Bool, ranges: [ClosedRange<UInt32>])
        case rule(String)
        case sequence([Node])
        case choice([Node])
        case repeated(Node, min: Int, unbounded: Bool)  // *, +, ?
    }

    struct ParseError: Error, CustomStringConvertible { var description: String }

    private(set) var rules: [String: Node] = [:]

    init(_ grammar: String) throws {
        for line in grammar.split(separator: "\n") where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let parts = line.components(separatedBy: " ::= ")
            guard parts.count >= 2 else { throw ParseError(description: "no ::= in '\(line)'") }
            var parser = Parser(Array(parts.dropFirst().joined(separator: " ::= ").unicodeScalars))
            rules[parts[0].trimmingCharacters(in: .whitespaces)] = try parser.alternatives()
            guard parser.atEnd else { throw ParseError(description: "trailing text in '\(line)'") }
        }
        for name in Self.references(of: Node.choice(Array(rules.values))) where rules[name] == nil {
            throw ParseError(description: "undefined rule '\(name)'")
        }
    }

    static func references(of node: Node) -> [String] {
        switch node {
        case .rule(let name): return [name]
        case .sequence(let nodes), .choice(let nodes): return nodes.flatMap(references)
        case .repeated(let inner, _, _): return references(of: inner)
        default: return []
        }
    }

    /// Whether `root` matches all of `text`.
    func accepts(_ text: String) -> Bool {
        let input = Array(text.unicodeScalars)
        guard let root = rules["root"] else { return false }
        return ends(root, from: [0], in: input).contains(input.count)
    }

    private func ends(_ node: Node, from starts: Set<Int>, in input: [Unicode.Scalar]) -> Set<Int> {
        switch node {
        case .literal(let scalars):
            return Set(starts.compactMap { start in
                start + scalars.count <= input.count && Array(input[start..<(start + scalars.count)]) == scalars ? start + scalars.count : nil
            })
        case .charClass(let negated, let ranges):
            return Set(starts.compactMap { start in
                guard start < input.count else { return nil }
                return ranges.contains { $0.contains(input[start].value) } != negated ? start + 1 : nil
            })
        case .rule(let name):
            return rules[name].map { ends($0, from: starts, in: input) } ?? []
        case .sequence(let nodes):
            return nodes.reduce(starts) { ends($1, from: $0, in: input) }
        case .choice(let nodes):
            return nodes.reduce(into: Set<Int>()) { $0.formUnion(ends($1, from: starts, in: input)) }
        case .repeated(let inner, let min, let unbounded):
            var current = starts
            for _ in 0..<min { current = ends(inner, from: current, in: input) }
            var all = current
            var frontier = current
            while !frontier.isEmpty {
                frontier = ends(inner, from: frontier, in: input).subtracting(all)
                all.formUnion(frontier)
                if !unbounded { break }
            }
            return all
        }
    }

    private struct Parser {
        let s: [Unicode.Scalar]
        var i = 0
        init(_ s: [Unicode.Scalar]) { self.s = s }
        var atEnd: Bool { s[min(i, s.count)...].allSatisfy { $0 == " " || $0 == "\t" } }

        mutating func spaces() { while i < s.count, s[i] == " " || s[i] == "\t" { i += 1 } }

        mutating func alternatives() throws -> Node {
            var options = [try sequence()]
            spaces()
            while i < s.count, s[i] == "|" {
                i += 1
                options.append(try sequence())
                spaces()
            }
            return options.count == 1 ? options[0] : .choice(options)
        }

        mutating func sequence() throws -> Node {
            var items: [Node] = []
            while true {
                spaces()
                guard i < s.count, s[i] != "|", s[i] != ")" else { break }
                var item = try atom()
                if i < s.count, "*+?".unicodeScalars.contains(s[i]) {
                    item = .repeated(item, min: s[i] == "+" ? 1 : 0, unbounded: s[i] != "?")
                    i += 1
                }
                items.append(item)
            }
            return .sequence(items)
        }

        mutating func atom() throws -> Node {
            switch s[i] {
            case "\"":
                i += 1
                var out: [Unicode.Scalar] = []
                while i < s.count, s[i] != "\"" { out.append(try character()) }
                guard i < s.count else { throw ParseError(description: "unterminated literal") }
                i += 1
                return .literal(out)
            case "[":
                i += 1
                let negated = i < s.count && s[i] == "^"
                if negated { i += 1 }
                var ranges: [ClosedRange<UInt32>] = []
                while i < s.count, s[i] != "]" {
                    let low = try character()
                    if i + 1 < s.count, s[i] == "-", s[i + 1] != "]" {
                        i += 1
                        ranges.append(low.value...(try character()).value)
                    } else {
                        ranges.append(low.value...low.value)
                    }
                }
                guard i < s.count else { throw ParseError(description: "unterminated class") }
                i += 1
                return .charClass(negated: negated, ranges: ranges)
            case "(":
                i += 1
                let inner = try alternatives()
                guard i < s.count, s[i] == ")" else { throw ParseError(description: "unclosed group") }
                i += 1
                return inner
            default:
                var name = ""
                while i < s.count, s[i].properties.isAlphabetic || ("0"..."9").contains(s[i]) || s[i] == "-" || s[i] == "_" {
                    name.unicodeScalars.append(s[i])
                    i += 1
                }
                guard !name.isEmpty else { throw ParseError(description: "unexpected '\(s[i])' at \(i)") }
                return .rule(name)
            }
        }

        mutating func character() throws -> Unicode.Scalar {
            let c = s[i]
            i += 1
            guard c == "\\", i < s.count else { return c }
            let e = s[i]
            i += 1
            switch e {
            case "n": return "\n"
            case "r": return "\r"
            case "t": return "\t"
            case "x":
                guard i + 2 <= s.count, let v = UInt32(String(String.UnicodeScalarView(s[i..<(i + 2)])), radix: 16),
                      let scalar = Unicode.Scalar(v) else { throw ParseError(description: "bad \\x escape") }
                i += 2
                return scalar
            default: return e
            }
        }
    }
}
