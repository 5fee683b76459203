import DSPyStore
import Foundation

/// What a compile did, as terminal tables: its LM calls per phase
/// (`dspyc inspect runs RUN --phases`) and the candidates the optimizer considered
/// (`dspyc inspect candidates RUN`).
///
/// ```
/// PHASE           CALLS  HITS  CANDIDATES  PROMPT TOK  COMPL TOK  CALL TIME  WALL TIME
/// baseline          200     0           1      41,800        400     12.1 s      6.3 s
/// bootstrap          16     0           0       3,900         64      1.0 s      0.6 s
/// ```
public enum CompileStoryReport {
    /// The phase table of a run (phases in the order they started; calls logged without a
    /// phase show as `(none)`). When a phase recorded work without LM calls (`training`),
    /// the table gains TRAIN TOK, STEPS and FINAL LOSS columns and each job is described
    /// below it, adapter included.
    public static func phases(_ phases: [PhaseStatistics], color: Bool = false) -> String {
        if phases.isEmpty { return "No calls logged for this run.\n" }
        let worked = phases.contains { !$0.work.isEmpty }
        let header = ["PHASE", "CALLS", "HITS", "CANDIDATES", "PROMPT TOK", "COMPL TOK", "CALL TIME", "WALL TIME"]
            + (worked ? ["TRAIN TOK", "STEPS", "FINAL LOSS"] : [])
        var rows = phases.map { p in
            [p.phase ?? "(none)", RunsReport.grouped(p.calls), RunsReport.grouped(p.cacheHits),
             RunsReport.grouped(p.candidates), RunsReport.grouped(p.promptTokens),
             RunsReport.grouped(p.completionTokens), RunsReport.seconds(p.callTime), RunsReport.seconds(p.wallTime)]
                + (!worked ? [] : p.work.isEmpty ? ["", "", ""]
                    : [RunsReport.grouped(p.workTokens), RunsReport.grouped(p.steps), lossText(p.finalLosses)])
        }
        rows.append(["total", RunsReport.grouped(phases.reduce(0) { $0 + $1.calls }),
                     RunsReport.grouped(phases.reduce(0) { $0 + $1.cacheHits }), "",
                     RunsReport.grouped(phases.reduce(0) { $0 + $1.promptTokens }),
                     RunsReport.grouped(phases.reduce(0) { $0 + $1.completionTokens }),
                     RunsReport.seconds(phases.reduce(0) { $0 + $1.callTime }), ""]
                    + (worked ? [RunsReport.grouped(phases.reduce(0) { $0 + $1.workTokens }),
                                 RunsReport.grouped(phases.reduce(0) { $0 + $1.steps }), ""] : []))
        var out = table(header, rows, rightAligned: Set(1..<header.count), color: color)
        for p in phases {
            for work in p.work { out += "\(p.phase ?? "(none)"): \(workText(work))\n" }
        }
        return out
    }

    /// The candidate table of a compile run, then each candidate's decision.
    public static func candidates(_ candidates: [CompileCandidateRecord], color: Bool = false) -> String {
        if candidates.isEmpty { return "No candidates recorded for this run (not a compile, or compiled before candidates were recorded).\n" }
        let ansi = ANSI(enabled: color)
        let splits = scoreSplits(candidates)
        let tuned = candidates.contains { !$0.adapters.isEmpty }
        let header = ["", "CANDIDATE", "ROUND", "DEMOS", "OFFSETS"] + (tuned ? ["ADAPTER"] : []) + splits.map { $0.uppercased() }
        let rows = candidates.map { c in
            [c.chosen ? "*" : "", c.candidate, c.round.map { String($0) } ?? "", demosText(c), offsetsText(c)]
                + (tuned ? [adapterCell(c)] : [])
                + splits.map { split in c.score(on: split).map { String(format: "%.2f", $0) } ?? "" }
        }
        let scoresFrom = tuned ? 6 : 5
        var out = table(header, rows, rightAligned: Set(scoresFrom..<header.count).union([2, 3]), color: color)
        out += "\n"
        for c in candidates {
            for (path, adapter) in c.adapters { out += "\(c.candidate) \(path) adapter: \(adapterText(adapter))\n" }
            for p in c.predictors where !p.instruction.isEmpty && c.candidate != "baseline" {
                if candidates.first(where: { $0.candidate == "baseline" })?.predictors.first(where: { $0.path == p.path })?.instruction == p.instruction { continue }
                out += "\(c.candidate) \(p.path) instruction: \(p.instruction.debugDescription)\n"
            }
            if let decision = c.decision {
                out += (c.chosen ? ansi.bold("chosen  ") : "        ") + "\(c.candidate): \(decision)\n"
            }
        }
        return out
    }

    /// The candidates as JSON (`--json`, and the web inspector's JSON sibling).
    public static func candidatesJSON(_ candidates: [CompileCandidateRecord]) -> StoredJSON {
        .array(candidates.map { c in
            .object([
                "candidate": .string(c.candidate), "label": .string(c.label),
                "round": c.round.map(StoredJSON.int) ?? .null, "chosen": .bool(c.chosen),
                "decision": c.decision.map(StoredJSON.string) ?? .null,
                "scores": .array(c.scores.map {
                    .object(["split": .string($0.split), "score": .double($0.score), "examples": .int($0.examples)])
                }),
                "predictors": .array(c.predictors.map { p in
                    .object(["path": .string(p.path), "demos": .int(p.demos), "instruction": .string(p.instruction),
                             "offsets": .object(p.offsets.mapValues(StoredJSON.double)),
                             "adapter": c.adapters.first { $0.path == p.path }.map { adapterJSON($0.adapter) } ?? .null])
                }),
            ])
        })
    }

    /// The phases as JSON: one object per phase, durations in seconds. `work` lists the
    /// phase's jobs without LM calls (training: tokens, steps, rows, final loss, adapter);
    /// a phase with work also has their totals (`trained_tokens`, `steps`, `rows`) and the last
    /// job's `final_loss`.
    public static func phasesJSON(_ phases: [PhaseStatistics]) -> StoredJSON {
        .array(phases.map { p in
            var object: [String: StoredJSON] = [
                "phase": p.phase.map(StoredJSON.string) ?? .null, "calls": .int(p.calls), "cache_hits": .int(p.cacheHits),
                "candidates": .int(p.candidates), "prompt_tokens": .int(p.promptTokens),
                "completion_tokens": .int(p.completionTokens), "call_time_s": .double(p.callTime),
                "wall_time_s": .double(p.wallTime), "work": .array(p.work.map(workJSON)),
            ]
            if !p.work.isEmpty {
                object["trained_tokens"] = .int(p.workTokens)
                object["steps"] = .int(p.steps)
                object["rows"] = .int(p.rows)
                object["final_loss"] = p.finalLosses.last.map(StoredJSON.double) ?? .null
            }
            return .object(object)
        })
    }

    /// The splits scores were measured on, in order of first appearance (`dev` last).
    static func scoreSplits(_ candidates: [CompileCandidateRecord]) -> [String] {
        var seen: [String] = []
        for c in candidates { for s in c.scores where !seen.contains(s.split) { seen.append(s.split) } }
        return seen.filter { $0 != "dev" } + (seen.contains("dev") ? ["dev"] : [])
    }

    /// `4` for one predictor; `a:4 b:2` for several.
    static func demosText(_ c: CompileCandidateRecord) -> String {
        let predictors = c.predictors
        if predictors.count == 1 { return String(predictors[0].demos) }
        return predictors.map { "\($0.path):\($0.demos)" }.joined(separator: " ")
    }

    /// `negative -0.41, positive 0.41`, or empty without offsets.
    static func offsetsText(_ c: CompileCandidateRecord) -> String {
        c.predictors.flatMap { p in p.offsets.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.2f", $0.value))" } }
            .joined(separator: ", ")
    }

    private static func table(_ header: [String], _ rows: [[String]], rightAligned: Set<Int>, color: Bool) -> String {
        let ansi = ANSI(enabled: color)
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return rightAligned.contains(column) ? pad + cell : cell + pad
            }
            .joined(separator: "  ")
            .replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        return ([ansi.bold(line(header))] + rows.map(line)).joined(separator: "\n") + "\n"
    }
}
