@testable import DSPy

/// Runs `body` inside an `optimize` phase with `lm`, a fresh call log and a fresh
/// compile-trace recorder; returns the compiled program, the logged calls and the
/// candidates the optimizer recorded.
func traced(_ lm: any LanguageModel, _ body: () async throws -> CompiledProgram) async throws
    -> (CompiledProgram, [CallRecord], [CandidateTrace])
{
    let log = MemoryCallLog()
    let recorder = CompileTraceRecorder()
    let compiled = try await DSPySettings.with(DSPySettings(lm: lm, callLog: log)) {
        try await CompileTrace.recording(recorder) { try await CompileContext.phase(.optimize) { try await body() } }
    }
    return (compiled, log.records, recorder.candidates)
}
