import Foundation

/// Text descriptions of a program for feedback prompts (SIMBA's `append_a_rule`, ``Refine``).
///
/// DSPy 3.4.1 puts two texts about the program into its `OfferFeedback` prompts:
/// `program_code`, the Python source of the program's class (`inspect.getsource`), and
/// `modules_defn`, a listing of every predictor's fields and instructions
/// (`simba_utils.inspect_modules`). A compiled Swift program has no source text at run time,
/// so ``sourceSubstitute(_:)`` sends an honest structural description in its place: the
/// program's Swift type, its module tree with each node's type, and each predictor's signature
/// and instructions. ``moduleDefinitions(_:)`` reproduces DSPy's `inspect_modules` byte for
/// byte (checked against `Tests/DSPyTests/Fixtures/offer_feedback.json`).
///
/// Cost: no model calls; linear in the number of modules.
public enum ProgramDescription {
    /// What dspyc sends where DSPy sends `inspect.getsource(program.__class__)`.
    ///
    /// ```text
    /// // Swift program `Sentiment` (dspyc). Its source is not available at run time;
    /// // this describes its structure: modules, predictors, signatures, instructions.
    /// module tree:
    ///   classify: Predict
    /// predictors:
    ///   classify = Predict("text -> sentiment: Literal['positive', 'negative']")
    ///     instructions: "Classify the sentiment."
    /// ```
    public static func sourceSubstitute(_ program: any Module) -> String {
        var lines = [
            "// Swift program `\(typeName(program))` (dspyc). Its source is not available at run time;",
            "// this describes its structure: modules, predictors, signatures, instructions.",
            "module tree:",
        ]
        if program is Predict {
            lines.append("  self: Predict")
        } else {
            for (name, module) in program.namedSubModules() {
                let depth = name.filter { $0 == "." }.count
                lines.append(String(repeating: "  ", count: depth + 1) + "\(name): \(typeName(module))")
            }
        }
        lines.append("predictors:")
        for (name, predictor) in program.namedPredictors() {
            let signature = predictor.signature
            lines.append("  \(name) = Predict(\(JSONValue.pythonJSONString(signature.signatureString)))")
            lines.append("    instructions: \(JSONValue.pythonJSONString(signature.instructions))")
            if !predictor.demos.isEmpty { lines.append("    demos: \(predictor.demos.count)") }
        }
        return lines.joined(separator: "\n")
    }

    /// DSPy's `inspect_modules(program)`: an 80-dash rule, then per predictor `Module {name}`, its
    /// input and output field descriptions and `Original Instructions:`, tab-indented, each block
    /// closed by the rule.
    public static func moduleDefinitions(_ program: any Module) -> String {
        let separator = String(repeating: "-", count: 80)
        var output = [separator]
        for (name, predictor) in program.namedPredictors() {
            let signature = predictor.signature
            let instructions = ([""] + pythonSplitLines(dedent(signature.instructions))).joined(separator: "\n\t\t")
            output.append("Module \(name)")
            output.append("\n\tInput Fields:")
            output.append(([""] + pythonSplitLines(AdapterText.fieldDescriptions(signature.inputs))).joined(separator: "\n\t\t"))
            output.append("\tOutput Fields:")
            output.append(([""] + pythonSplitLines(AdapterText.fieldDescriptions(signature.outputs))).joined(separator: "\n\t\t"))
            output.append("\tOriginal Instructions: \(instructions)")
            output.append(separator)
        }
        return output.map { stripNewlines($0) }.joined(separator: "\n")
    }

    /// A value as DSPy's feedback prompts carry it: strings unchanged, anything else as
    /// `orjson.dumps(value, option=OPT_INDENT_2)` (2-space JSON, non-ASCII kept). Floats use
    /// Python's `repr` digits (`1.0`, `0.5`); orjson writes exponents without padding (`1e-5`
    /// where Python writes `1e-05`), a difference only for scores below 1e-4.
    public static func feedbackText(_ value: JSONValue) -> String {
        if case .string(let s) = value { return s }
        return value.pythonJSON(indent: 2)
    }

    static func typeName(_ module: any Module) -> String { String(describing: type(of: module)) }

    /// Python's `str.splitlines()` (no line ends kept, no trailing empty line).
    static func pythonSplitLines(_ text: String) -> [String] {
        var lines: [String] = []
        var current = ""
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            if scalar == "\n", previousWasCR { previousWasCR = false; continue }
            previousWasCR = scalar == "\r"
            switch scalar.value {
            case 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029:
                lines.append(current)
                current = ""
            default:
                current.unicodeScalars.append(scalar)
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// `textwrap.dedent`: removes the whitespace prefix common to every non-blank line;
    /// whitespace-only lines become empty.
    static func dedent(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let margins = lines.filter { !$0.allSatisfy { $0 == " " || $0 == "\t" } }
            .map { String($0.prefix { $0 == " " || $0 == "\t" }) }
        var common = margins.first ?? ""
        for m in margins.dropFirst() {
            while !m.hasPrefix(common) { common.removeLast() }
        }
        return lines.map { line in
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { return "" }
            return String(line.dropFirst(common.count))
        }.joined(separator: "\n")
    }

    private static func stripNewlines(_ s: String) -> String {
        var scalars = Array(s.unicodeScalars)
        while scalars.first == "\n" { scalars.removeFirst() }
        while scalars.last == "\n" { scalars.removeLast() }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }
}
