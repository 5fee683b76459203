import Foundation
import GRDB
import Testing
@testable import DSPyStore

@Suite("Compile phases and candidates in the store")
struct StorePhaseTests {
    @Test("A database written with the v1 schema opens, keeps every call and run, and gains phases")
    func migratesAV1Database() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("store.sqlite").path
            // A file as dspyc wrote it before phases existed: only migration v1, rows by raw SQL.
            do {
                let queue = try DatabaseQueue(path: path)
                try Store.migrator.migrate(queue, upTo: "v1")
                try queue.write { db in
                    try db.execute(sql: """
                        INSERT INTO run (id, kind, program, started_at, finished_at, status, summary)
                        VALUES ('old-run', 'compile', 'sentiment', '2026-11-01 10:00:00.000', '2026-11-01 10:01:00.000',
                                'succeeded', '{"dev":75}');
                        INSERT INTO call (run_id, run_kind, program, module_path, adapter, model, messages, completion,
                                          sampling, prompt_tokens, completion_tokens, latency, timestamp, trace_id)
                        VALUES ('old-run', 'compile', 'sentiment', 'predict', 'ChatAdapter', 'm',
                                '[{"content":"hello <script>","role":"user"}]', 'positive', '{"temperature":0}',
                                120, 3, 0.5, '2026-11-01 10:00:01.000', 't1');
                        INSERT INTO compiled_program (fingerprint, program, state, scores, metadata, run_id, saved_at)
                        VALUES ('f00d', 'sentiment', '{}', '{"dev":75}', '{}', 'old-run', '2026-11-01 10:01:00.000');
                        """)
                }
            }
            let store = try Store(path: path)
            let calls = try store.calls(CallQuery(runID: "old-run"))
            #expect(calls.count == 1)
            let call = try #require(calls.first)
            #expect(call.messages == [.init(role: "user", content: "hello <script>")])
            #expect(call.completion == "positive")
            #expect(call.promptTokens == 120)
            #expect(call.traceID == "t1")
            #expect(call.phase == nil)
            #expect(call.candidate == nil)
            #expect(try store.run(id: "old-run")?.summary == ["dev": 75])
            #expect(try store.compiledProgram(fingerprint: "f00d")?.runID == "old-run")
            let phases = try store.phaseStatistics(runID: "old-run")
            #expect(phases.map(\.phase) == [nil])
            #expect(phases.first?.calls == 1)
            #expect(try store.candidates(runID: "old-run").isEmpty)
            #expect(try store.phaseWork(runID: "old-run").isEmpty)

            // The migrated file takes new calls with phases, next to the old one.
            var tagged = sampleCall(run: "old-run")
            tagged.phase = "bootstrap"
            tagged.candidate = "seed 1"
            try store.log(tagged)
            #expect(try store.calls(CallQuery(runID: "old-run")).last?.phase == "bootstrap")
            #expect(try store.phaseStatistics(runID: "old-run").map(\.phase) == [nil, "bootstrap"])
        }
    }

    @Test("Phase totals count calls, hits, candidates, tokens and time per phase in the order phases started")
    func phaseTotals() throws {
        let store = try Store.inMemory()
        let run = try store.beginRun(kind: .compile, program: "sentiment")
        func call(_ phase: String, _ candidate: String?, at seconds: TimeInterval, hit: Bool = false) -> LoggedCall {
            var call = sampleCall(run: run.id, at: seconds, cacheHit: hit)
            call.phase = phase
            call.candidate = candidate
            return call
        }
        try store.log([
            call("baseline", "baseline", at: 1_800_000_000),
            call("baseline", "baseline", at: 1_800_000_001, hit: true),
            call("candidate-eval", "seed 1", at: 1_800_000_010),
            call("candidate-eval", "seed 2", at: 1_800_000_020),
            call("calibration", "seed 2", at: 1_800_000_021),
        ])
        let phases = try store.phaseStatistics(runID: run.id)
        #expect(phases.map(\.phase) == ["baseline", "candidate-eval", "calibration"])
        let baseline = phases[0], candidates = phases[1]
        #expect(baseline.calls == 2)
        #expect(baseline.cacheHits == 1)
        #expect(baseline.promptTokens == 120)  // the hit adds no tokens
        #expect(candidates.candidates == 2)
        #expect(abs(candidates.callTime - 0.5) < 1e-9)
        #expect(abs(candidates.wallTime - 10.25) < 1e-3)  // first start to last end
        #expect(candidates.firstCall == Date(timeIntervalSince1970: 1_800_000_010))
    }

    @Test("Candidates are saved with their run, replaced as a whole, and read back with their predictors")
    func candidatesRoundTrip() throws {
        let store = try Store.inMemory()
        let run = try store.beginRun(kind: .compile, program: "sentiment")
        let state: [String: StoredJSON] = [
            "predict": .object([
                "demos": .array([.object(["text": "good", "sentiment": "positive"])]),
                "signature": .object([
                    "instructions": "Classify.",
                    "fields": .array([.object(["prefix": "Sentiment:", "choice_offsets": .object(["positive": 0.5, "negative": -0.5])])]),
                ]),
            ]),
        ]
        let first = CompileCandidateRecord(
            runID: "ignored", seq: 9, candidate: "demos", round: 1, label: "4 demos", program: state,
            scores: [.init(split: "held-out train", score: 70, examples: 96), .init(split: "dev", score: 72.5, examples: 200)],
            chosen: true, decision: "demos win")
        try store.saveCandidates([CompileCandidateRecord(runID: run.id, seq: 0, candidate: "old", label: "old")], runID: run.id)
        try store.saveCandidates([first, CompileCandidateRecord(runID: run.id, seq: 0, candidate: "zero-shot", label: "zero")],
                                 runID: run.id)
        let read = try store.candidates(runID: run.id)
        #expect(read.map(\.candidate) == ["demos", "zero-shot"])
        #expect(read.map(\.seq) == [0, 1])
        #expect(read[0].runID == run.id)
        #expect(read[0].scores == first.scores)
        #expect(read[0].program == state)
        #expect(read[0].score(on: "dev") == 72.5)
        #expect(read[0].chosen)
        #expect(read[0].decision == "demos win")
        let predictor = try #require(read[0].predictors.first)
        #expect(predictor.path == "predict")
        #expect(predictor.demos == 1)
        #expect(predictor.instruction == "Classify.")
        #expect(predictor.offsets == ["positive": 0.5, "negative": -0.5])
        try store.deleteRun(run.id)
        #expect(try store.candidates(runID: run.id).isEmpty)
    }

    @Test("A training job is saved with its run, replaced as a whole, and becomes a phase row of its own, placed by its start")
    func phaseWorkRoundTrip() throws {
        let store = try Store.inMemory()
        let run = try store.beginRun(kind: .compile, program: "sentiment")
        func call(_ phase: String, at seconds: TimeInterval) -> LoggedCall {
            var call = sampleCall(run: run.id, at: seconds)
            call.phase = phase
            return call
        }
        try store.log([call("bootstrap", at: 1_800_000_000), call("compiled-eval", at: 1_800_000_100)])
        let start = Date(timeIntervalSince1970: 1_800_000_010)
        let job = PhaseWorkRecord(
            runID: "ignored", seq: 7, phase: "training", candidate: "finetune", startedAt: start, wallTime: 42.5,
            tokens: 812, steps: 4, rows: 4, finalLoss: 0.6931, adapterDigest: String(repeating: "ab", count: 32),
            adapterRank: 2, adapterAlpha: 4)
        try store.savePhaseWork([PhaseWorkRecord(runID: run.id, seq: 0, phase: "old", startedAt: start, wallTime: 1)], runID: run.id)
        try store.savePhaseWork([job], runID: run.id)
        var stored = job
        stored.runID = run.id
        stored.seq = 0
        #expect(try store.phaseWork(runID: run.id) == [stored])

        let phases = try store.phaseStatistics(runID: run.id)
        #expect(phases.map(\.phase) == ["bootstrap", "training", "compiled-eval"])
        let training = phases[1]
        #expect(training.calls == 0 && training.promptTokens == 0)
        #expect(training.wallTime == 42.5)
        #expect(training.firstCall == start)
        #expect(training.work == [stored])
        #expect(training.workTokens == 812 && training.steps == 4 && training.rows == 4)
        #expect(training.finalLosses == [0.6931])

        // Work in a phase that also made calls joins its row, and its wall time spans both.
        var alongside = stored
        alongside.phase = "bootstrap"
        alongside.startedAt = Date(timeIntervalSince1970: 1_800_000_001)
        alongside.wallTime = 4
        try store.savePhaseWork([alongside], runID: run.id)
        let merged = try store.phaseStatistics(runID: run.id)
        #expect(merged.map(\.phase) == ["bootstrap", "compiled-eval"])
        #expect(merged[0].calls == 1 && merged[0].steps == 4)
        #expect(abs(merged[0].wallTime - 5) < 1e-3, "the call's start to the work's end")

        try store.deleteRun(run.id)
        #expect(try store.phaseWork(runID: run.id).isEmpty)
    }
}
