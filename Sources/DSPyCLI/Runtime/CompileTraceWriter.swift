import DSPy
import DSPyStore
import Foundation

/// Turns a compile's trace (the optimizer's candidates, and its phases' work without LM calls)
/// into the store's records, adding the baseline and the compiled program's dev scores.
///
/// The baseline (the program as given) is candidate `baseline`; the dev score of the
/// compiled program goes to the candidate the optimizer chose. An optimizer that records no
/// candidates still leaves one: `compiled`, chosen, with the optimizer's notes as the reason.
struct CompileTraceWriter {
    /// The candidate id the calls of the compiled evaluation are tagged with.
    static func chosenID(_ recorder: CompileTraceRecorder) -> String {
        recorder.candidates.last { $0.chosen }?.id ?? "compiled"
    }

    /// The records to store, in order: baseline first, then the optimizer's candidates.
    static func records(
        runID: String, baselineProgram: any Program, baseline: EvaluationResult, compiled: CompiledProgram,
        score: EvaluationResult, recorder: CompileTraceRecorder
    ) -> [CompileCandidateRecord] {
        var traces = recorder.candidates
        if !traces.contains(where: \.chosen) {
            traces.append(CandidateTrace(
                id: "compiled", round: nil, label: "the optimizer's result", state: compiled.program.dumpState(),
                scores: [], chosen: true,
                decision: compiled.report.notes.isEmpty ? "the optimizer's only result" : compiled.report.notes.joined(separator: "; ")))
        }
        if let index = traces.lastIndex(where: \.chosen) {
            traces[index].scores.append(.init(split: "dev", score: score.score, examples: score.rows.count))
        }
        var records = [CompileCandidateRecord(
            runID: runID, seq: 0, candidate: "baseline", label: "the program as given (zero-shot)",
            program: storedJSON(baselineProgram.dumpState()),
            scores: [.init(split: "dev", score: baseline.score, examples: baseline.rows.count)],
            chosen: false, decision: "the reference the compiled program is compared with")]
        for trace in traces {
            records.append(CompileCandidateRecord(
                runID: runID, seq: records.count, candidate: trace.id, round: trace.round, label: trace.label,
                program: storedJSON(trace.state),
                scores: trace.scores.map { .init(split: $0.split, score: $0.score, examples: $0.examples) },
                chosen: trace.chosen, decision: trace.decision))
        }
        return records
    }

    /// The work the compile's phases recorded without LM calls (training jobs), as store records.
    static func work(runID: String, recorder: CompileTraceRecorder) -> [PhaseWorkRecord] {
        recorder.work.enumerated().map { index, work in
            PhaseWorkRecord(
                runID: runID, seq: index, phase: work.phase.rawValue, candidate: work.candidate, startedAt: work.startedAt,
                wallTime: work.wallSeconds, tokens: work.tokens, steps: work.steps, rows: work.rows,
                finalLoss: work.finalLoss, adapterDigest: work.adapter?.digest, adapterRank: work.adapter?.rank,
                adapterAlpha: work.adapter?.alpha)
        }
    }

    /// A program state as the store's JSON object (empty if it cannot be converted).
    static func storedJSON(_ value: JSONValue) -> [String: StoredJSON] {
        (try? StoredJSON.parse(value.pythonJSON()))?.objectValue ?? [:]
    }
}
