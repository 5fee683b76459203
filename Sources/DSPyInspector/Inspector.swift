import DSPyStore
import Foundation

/// `dspyc inspect`: reads the request log and returns text to print.
///
/// Every method returns a `String`; the CLI prints it. Colour is the caller's
/// decision (on when stdout is a terminal and `NO_COLOR` is unset). Run ids may
/// be given in full, as a unique prefix, or as `latest`.
///
/// ```swift
/// let inspector = Inspector(store: try Store.open())
/// print(try inspector.history(CallQuery(program: "sentiment", limit: 3), color: isatty(1) != 0), terminator: "")
/// print(try inspector.runs(), terminator: "")
/// print(try inspector.diff("1a2b", "latest", modulePath: "classify"), terminator: "")
/// print(try inspector.export(CallQuery(runID: "latest"), format: .jsonl), terminator: "")
/// ```
///
/// ## Topics
///
/// - ``history(_:color:details:timeZone:)``
/// - ``runs(program:limit:color:timeZone:)``
/// - ``runsJSON(program:limit:)``
/// - ``diff(_:_:modulePath:color:)``
/// - ``export(_:format:includeContent:)``
/// - ``export(_:format:includeContent:to:)``
public struct Inspector: Sendable {
    /// The store read from.
    public let store: Store

    public init(store: Store) {
        self.store = store
    }

    /// The last calls matching `query`, in DSPy's `inspect_history` layout.
    ///
    /// - Parameters:
    ///   - query: Filters; `query.limit` is *n* (DSPy's default is 1). `query.runID`
    ///     may be a prefix or `latest`.
    ///   - color: ANSI colours.
    ///   - details: Add dspyc's facts (run, module, tokens, latency, cache hit, errors).
    /// - Returns: The text, or a one-line note when nothing matches.
    public func history(
        _ query: CallQuery = CallQuery(limit: 1), color: Bool = false, details: Bool = false,
        timeZone: TimeZone = .current
    ) throws -> String {
        let calls = try store.calls(try resolved(query))
        if calls.isEmpty { return "No logged LM calls match.\n" }
        return HistoryRenderer.render(
            calls, options: HistoryRenderer.Options(color: color, details: details, timeZone: timeZone))
    }

    /// The runs summary table (calls, cache hits, tokens, time per run), most recent first.
    public func runs(
        program: String? = nil, limit: Int? = 20, color: Bool = false, timeZone: TimeZone = .current
    ) throws -> String {
        RunsReport.render(try store.runStatistics(program: program, limit: limit), color: color, timeZone: timeZone)
    }

    /// The runs summary as JSON (see ``RunsReport/json(_:)``).
    public func runsJSON(program: String? = nil, limit: Int? = 20) throws -> String {
        RunsReport.json(try store.runStatistics(program: program, limit: limit))
    }

    /// How the prompts of two runs differ, per module (see ``PromptDiff``).
    ///
    /// - Throws: ``StoreError/unknownRun(_:)`` / ``StoreError/ambiguousRun(prefix:matches:)``.
    public func diff(_ runA: String, _ runB: String, modulePath: String? = nil, color: Bool = false) throws -> String {
        let a = try store.resolveRun(runA)
        let b = try store.resolveRun(runB)
        return PromptDiff.render(
            runA: a, callsA: try store.calls(CallQuery(runID: a.id)),
            runB: b, callsB: try store.calls(CallQuery(runID: b.id)),
            modulePath: modulePath, color: color)
    }

    /// The calls matching `query` as OpenTelemetry-named JSON or JSONL (see ``OTelExport``).
    public func export(
        _ query: CallQuery = CallQuery(), format: OTelExport.Format = .jsonl, includeContent: Bool = true
    ) throws -> String {
        var out = ""
        try export(query, format: format, includeContent: includeContent) { out += $0 }
        return out
    }

    /// Streams the export to `output` one span at a time (for large logs: the
    /// CLI passes a function that writes to stdout).
    public func export(
        _ query: CallQuery, format: OTelExport.Format, includeContent: Bool = true,
        to output: @escaping (String) -> Void
    ) throws {
        let store = self.store
        var writer = OTelExport.Writer(
            format: format, includeContent: includeContent, runs: { try? store.run(id: $0) }, output: output)
        try store.forEachCall(try resolved(query)) { writer.write($0) }
        writer.finish()
    }

    private func resolved(_ query: CallQuery) throws -> CallQuery {
        var query = query
        if let run = query.runID { query.runID = try store.resolveRun(run).id }
        return query
    }
}
