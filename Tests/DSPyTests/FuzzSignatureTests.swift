import DSPy
import DSPyTestSupport
import Testing

/// Random signature strings through ``SignatureSpec/init(_:instructions:customTypes:)``.
///
/// Strings are built from the grammar's own pieces — names (valid, keywords,
/// non-identifiers), `:`, `,`, `->`, `=`, and type annotations nested at
/// random (`list[...]`, `dict[str, ...]`, `Optional[...]`, `Literal[...]`,
/// unions) — then sometimes cut or spliced with stray pieces, or nested past
/// the depth limit. A case passes when it gives a signature whose types read
/// back from their Python names and whose prompt renders, or throws
/// ``DSPyError/invalidSignature(_:)`` or ``DSPyError/unknownType(_:)`` with a message.
@Suite("Fuzzing signature strings")
struct FuzzSignatureTests {
    static let names = ["question", "context", "answer", "a", "b_2", "_x", "résumé", "text", "label", "score"]
    static let badNames = ["class", "None", "1st", "a-b", "", " ", "a b"]
    static let scalars = ["str", "int", "float", "bool", "Any", "dict", "list", "object", "History", "typing.List[str]"]
    static let badScalars = ["NoneType", "None", "Unknown", "datetime", "list[]", "dict[str]"]
    static let stray = ["->", ",", ":", "[", "]", "(", ")", "'", "\"", "|", "=", " ", "\\", "\u{0}", "é", "->->", "[[", "]]", "Literal["]

    /// A random type annotation, at most `depth` brackets deep.
    static func annotation(_ random: inout SeededRandom, depth: Int) -> String {
        guard depth > 0, !random.oneIn(3) else { return random.oneIn(20) ? random.pick(badScalars) : random.pick(scalars) }
        let inner = annotation(&random, depth: depth - 1)
        switch random.below(8) {
        case 0: return "list[\(inner)]"
        case 1: return "dict[str, \(inner)]"
        case 2: return "Optional[\(inner)]"
        case 3: return "\(inner) | None"
        case 4: return "Union[\(inner), \(annotation(&random, depth: depth - 1))]"
        case 5:
            let values = (0..<random.within(1...4)).map { _ in random.pick(["'a'", "\"b c\"", "1", "-2", "True", "None", "'\\''", "2.5", "x"]) }
            return "Literal[\(values.joined(separator: ", "))]"
        case 6: return random.oneIn(4) ? "tuple[\(inner), ...]" : "Sequence[\(inner)]"
        default: return "\(inner) | \(annotation(&random, depth: depth - 1))"
        }
    }

    /// A comma-separated field list.
    static func fields(_ random: inout SeededRandom) -> String {
        (0..<random.within(0...4)).map { _ in
            let name = random.oneIn(16) ? random.pick(badNames) : random.pick(names)
            switch random.below(4) {
            case 0: return name
            case 1: return "\(name) = \(random.pick(["1", "'x'", "None"]))"
            default: return "\(name): \(annotation(&random, depth: 4))"
            }
        }.joined(separator: random.pick([", ", ",", " , "]))
    }

    /// One signature string: grammatical, spliced with stray pieces, or nested past every limit.
    static func signature(_ random: inout SeededRandom) -> String {
        let arrow = random.oneIn(10) ? random.pick([" => ", "", "->->"]) : random.pick([" -> ", "->", "  ->\n"])
        var text = fields(&random) + arrow + fields(&random)
        switch random.below(10) {
        case 0...2:
            for _ in 0..<random.within(1...3) {
                let at = text.index(text.startIndex, offsetBy: random.below(text.count + 1))
                text.insert(contentsOf: random.pick(stray), at: at)
            }
        case 4:
            if !text.isEmpty { text = String(text.prefix(random.below(text.count))) }
        case 5:
            let depth = random.pick([50, 99, 100, 101, 2_000])
            text = "q -> a: " + String(repeating: "list[", count: depth) + "str" + String(repeating: "]", count: depth)
        case 6:
            text = "q -> a: " + Array(repeating: random.pick(["int", "None", "str"]), count: random.pick([3, 500, 3_000])).joined(separator: " | ")
        default: break
        }
        return text
    }

    @Test("Random signature strings give a usable signature or a DSPyError with a message")
    func fuzzSignatures() throws {
        var random = SeededRandom(seed: 0x5EED_0003)
        let total = 3_000
        var accepted = 0, refused = 0
        for index in 0..<total {
            let text = Self.signature(&random)
            do {
                let spec = try SignatureSpec(text)
                for field in spec.fields {
                    // Every accepted type reads back from its Python name to itself.
                    let name = field.type.pythonName
                    do { #expect(try FieldType.parse(name) == field.type, "case \(index): \(name)") } catch {
                        Issue.record("case \(index): the type name \(name) of \(text.debugDescription) does not parse: \(error)")
                    }
                }
                let messages = ChatAdapter().format(spec, demos: [], inputs: [:])
                #expect(!messages.isEmpty)
                _ = JSONAdapter().format(spec, demos: [], inputs: [:])
                accepted += 1
            } catch let error as DSPyError {
                switch error {
                case .invalidSignature(let message), .unknownType(let message):
                    #expect(!message.isEmpty, "case \(index)")
                default: Issue.record("case \(index): unexpected DSPyError case \(error)")
                }
                refused += 1
            } catch {
                Issue.record("case \(index): unexpected error \(type(of: error)): \(error)")
            }
        }
        print("FuzzSignature: \(total) cases, \(accepted) accepted, \(refused) refused with DSPyError")
        #expect(accepted + refused == total)
        #expect(accepted > 0 && refused > 0)
    }

    @Test("Brackets nested deeper than 100 levels are refused with a message; 100 levels parse")
    func nestingLimit() throws {
        func nested(_ depth: Int) -> String {
            "q -> a: " + String(repeating: "list[", count: depth) + "str" + String(repeating: "]", count: depth)
        }
        var type = try #require(try SignatureSpec(nested(100)).outputs.first?.type)
        var depth = 0
        while case .list(let inner) = type { type = inner; depth += 1 }
        #expect(depth == 100 && type == .string)
        #expect {
            try SignatureSpec(nested(101))
        } throws: { error in
            (error as? DSPyError)?.description.hasSuffix("brackets nested deeper than 100 levels.") == true
        }
        #expect(throws: DSPyError.self) { try SignatureSpec(nested(100_000)) }
    }

    @Test("Long unions stay flat, and repeated trailing Nones make one Optional as in Python")
    func longUnions() throws {
        let many = try SignatureSpec("q -> a: " + Array(repeating: "int | str", count: 20_000).joined(separator: " | "))
        guard case .union(let members)? = many.outputs.first?.type else { Issue.record("not a union"); return }
        #expect(members.count == 40_000)
        let nones = try SignatureSpec("q -> a: int" + String(repeating: " | None", count: 20_000))
        #expect(nones.outputs.first?.type == .optional(.int))
    }
}
