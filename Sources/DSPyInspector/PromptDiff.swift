import DSPyStore
import Foundation

/// How the prompts of two runs differ, module by module: a unified line diff of
/// the rendered messages of one call per module from each run.
///
/// For each module path the diff compares, when it can, two calls that got the
/// same input (the same last user message), so what shows is what the runs
/// changed — instructions, demos, format — and not the example. Otherwise it
/// compares each run's first call of that module.
public enum PromptDiff {
    /// One module's comparison.
    public struct ModuleComparison: Sendable, Equatable {
        /// What was found.
        public enum Outcome: Sendable, Equatable {
            /// The compared prompts are identical.
            case identical
            /// They differ; the unified-diff lines (without ANSI colour).
            case different(lines: [String])
            /// Only run A called this module.
            case onlyInA
            /// Only run B called this module.
            case onlyInB
        }

        /// The module path.
        public var modulePath: String
        /// Calls of this module in each run.
        public var callsInA: Int
        public var callsInB: Int
        /// The ids of the two calls compared, if both runs called the module.
        public var comparedCalls: (a: Int64?, b: Int64?)?
        /// Whether the compared calls had the same input.
        public var sameInput: Bool
        /// The result.
        public var outcome: Outcome

        public static func == (lhs: ModuleComparison, rhs: ModuleComparison) -> Bool {
            lhs.modulePath == rhs.modulePath && lhs.callsInA == rhs.callsInA && lhs.callsInB == rhs.callsInB
                && lhs.comparedCalls?.a == rhs.comparedCalls?.a && lhs.comparedCalls?.b == rhs.comparedCalls?.b
                && lhs.sameInput == rhs.sameInput && lhs.outcome == rhs.outcome
        }
    }

    /// Compares the calls of two runs, module by module, in the order modules
    /// first appear (run A's, then those only in run B).
    public static func compare(
        _ callsA: [LoggedCall], _ callsB: [LoggedCall], modulePath: String? = nil
    ) -> [ModuleComparison] {
        let keep: (LoggedCall) -> Bool = { call in
            guard let path = modulePath else { return true }
            return call.modulePath == path || call.modulePath.hasPrefix(path + ".")
        }
        let a = callsA.filter(keep)
        let b = callsB.filter(keep)
        var order: [String] = []
        var seen: Set<String> = []
        for call in a + b where seen.insert(call.modulePath).inserted { order.append(call.modulePath) }

        return order.map { path in
            let inA = a.filter { $0.modulePath == path }
            let inB = b.filter { $0.modulePath == path }
            guard let firstA = inA.first else {
                return ModuleComparison(
                    modulePath: path, callsInA: 0, callsInB: inB.count, comparedCalls: nil, sameInput: false,
                    outcome: .onlyInB)
            }
            guard let firstB = inB.first else {
                return ModuleComparison(
                    modulePath: path, callsInA: inA.count, callsInB: 0, comparedCalls: nil, sameInput: false,
                    outcome: .onlyInA)
            }
            var pair = (firstA, firstB)
            var sameInput = lastUserMessage(firstA) == lastUserMessage(firstB)
            if !sameInput {
                var byInput: [String: LoggedCall] = [:]
                for call in inB {
                    if let input = lastUserMessage(call), byInput[input] == nil { byInput[input] = call }
                }
                if let match = inA.lazy.compactMap({ call in
                    lastUserMessage(call).flatMap { byInput[$0] }.map { (call, $0) }
                }).first {
                    pair = match
                    sameInput = true
                }
            }
            let lines = LineDiff.unified(promptLines(pair.0), promptLines(pair.1), ansi: ANSI(enabled: false))
            return ModuleComparison(
                modulePath: path, callsInA: inA.count, callsInB: inB.count, comparedCalls: (pair.0.id, pair.1.id),
                sameInput: sameInput, outcome: lines.isEmpty ? .identical : .different(lines: lines))
        }
    }

    /// The text of `dspyc inspect diff RUN_A RUN_B [--module PATH]`.
    public static func render(
        runA: RunRecord, callsA: [LoggedCall], runB: RunRecord, callsB: [LoggedCall],
        modulePath: String? = nil, color: Bool = false
    ) -> String {
        let ansi = ANSI(enabled: color)
        let nameA = "run \(runA.id.prefix(8))"
        let nameB = "run \(runB.id.prefix(8))"
        var out = ansi.bold("diff \(describe(runA)) → \(describe(runB))") + "\n"
        if let modulePath { out += "module \(modulePath)\n" }
        let comparisons = compare(callsA, callsB, modulePath: modulePath)
        if comparisons.isEmpty {
            return out + "\nNeither run logged calls" + (modulePath.map { " for module \($0)" } ?? "") + ".\n"
        }
        for comparison in comparisons {
            out += "\n"
            let path = comparison.modulePath
            switch comparison.outcome {
            case .onlyInA:
                out += ansi.yellow("=== \(path): only in \(nameA) (\(calls(comparison.callsInA)))") + "\n"
            case .onlyInB:
                out += ansi.yellow("=== \(path): only in \(nameB) (\(calls(comparison.callsInB)))") + "\n"
            case .identical:
                out += "=== \(path): prompts identical (\(calls(comparison.callsInA)) vs \(calls(comparison.callsInB)))\n"
            case .different(let lines):
                let ids = comparison.comparedCalls
                let how = comparison.sameInput ? "same input" : "different inputs: no shared example"
                out += ansi.bold("=== \(path): prompts differ (\(how))") + "\n"
                out += ansi.bold("--- a/\(path) (\(nameA), call #\(ids?.a.map(String.init) ?? "?"))") + "\n"
                out += ansi.bold("+++ b/\(path) (\(nameB), call #\(ids?.b.map(String.init) ?? "?"))") + "\n"
                for line in lines {
                    switch line.first {
                    case "-": out += ansi.red(line) + "\n"
                    case "+": out += ansi.green(line) + "\n"
                    case "@": out += ansi.cyan(line) + "\n"
                    default: out += line + "\n"
                    }
                }
            }
        }
        let differ = comparisons.filter { if case .different = $0.outcome { true } else { false } }.count
        let identical = comparisons.filter { $0.outcome == .identical }.count
        let single = comparisons.count - differ - identical
        out += "\n\(comparisons.count) module\(comparisons.count == 1 ? "" : "s"): \(differ) differ, "
            + "\(identical) identical, \(single) in one run only\n"
        return out
    }

    /// The rendered messages of a call as diffable lines.
    static func promptLines(_ call: LoggedCall) -> [String] {
        var lines: [String] = []
        for (index, message) in call.messages.enumerated() {
            if index > 0 { lines.append("") }
            lines.append("\(HistoryRenderer.capitalized(message.role)) message:")
            lines += message.content.components(separatedBy: "\n")
        }
        return lines
    }

    static func lastUserMessage(_ call: LoggedCall) -> String? {
        call.messages.last(where: { $0.role == "user" })?.content
    }

    private static func describe(_ run: RunRecord) -> String {
        "run \(run.id.prefix(8)) (" + [run.kind.rawValue, run.program].compactMap { $0 }.joined(separator: ", ") + ")"
    }

    private static func calls(_ count: Int) -> String { count == 1 ? "1 call" : "\(count) calls" }
}
