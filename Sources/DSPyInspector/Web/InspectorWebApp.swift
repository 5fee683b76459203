import DSPyHTTP
import DSPyStore
import Foundation

/// The inspector's web page over a store's request log: `dspyc inspect --serve`.
///
/// A plain value that turns requests into responses, so it can be tested
/// without a socket and served by ``InspectorServer`` (or any ``HTTPServer``):
///
/// | Path | Page |
/// |---|---|
/// | `/` | Runs, newest first, with calls, cache hits, tokens and time; the most recent calls |
/// | | (while a run is running, `/` and its `/runs/{id}` reload every 5 s; `?refresh=0` stops that) |
/// | `/runs/{id}/scores.svg`, `/runs/{id}/phases.svg` | Score per candidate (the chosen one marked) and time per phase, as static SVG; `….json` (or `/api/runs/{id}/scores`) is the data |
/// | `/runs/{id}[?only=problems]` | One run as a trace tree: example (trace id) → module path → calls; only the examples with parse errors or errors. A unique id prefix or `latest` works too |
/// | `/calls/{id}` | One call: every message, the completion, parsed fields or parse error, sampling parameters, constraint, tokens, latency, cache hit |
/// | `/search?q=…[&run=…]` | Calls whose messages or completion contain the text |
/// | `/compare?a=…&b=…` | Two calls side by side: differing facts and parameters, a line diff of each message and of the completions |
/// | `/api/runs`, `/api/runs/{id}`, `/api/calls/{id}`, `/api/search?q=…`, `/api/compare?a=…&b=…` | The same as JSON |
///
/// Pages are rendered on the server with inline CSS and no script or external
/// asset. Every logged text is HTML-escaped, and a `Content-Security-Policy`
/// forbids scripts, so a prompt holding markup shows as text.
///
/// ```swift
/// let app = InspectorWebApp(store: try Store.open())
/// let server = HTTPServer(port: 0) { request in app.handle(request) }
/// ```
public struct InspectorWebApp: Sendable {
    /// What the app serves and to whom.
    public struct Options: Sendable, Equatable {
        /// Host names (without port) the `Host` header may name, or `nil` to accept any.
        ///
        /// The default accepts only loopback names: a page on another site cannot
        /// read the log through DNS rebinding, since its requests carry its own host name.
        public var allowedHosts: Set<String>?
        /// Most runs listed on the front page.
        public var runLimit: Int
        /// Most calls listed by a search.
        public var searchLimit: Int
        /// Most recent calls listed on the front page.
        public var recentCallLimit: Int

        /// Loopback host names: `127.0.0.1`, `localhost`, `::1`.
        public static let loopbackHosts: Set<String> = ["127.0.0.1", "localhost", "::1"]

        public init(
            allowedHosts: Set<String>? = Options.loopbackHosts, runLimit: Int = 200, searchLimit: Int = 200,
            recentCallLimit: Int = 20
        ) {
            self.allowedHosts = allowedHosts
            self.runLimit = runLimit
            self.searchLimit = searchLimit
            self.recentCallLimit = recentCallLimit
        }
    }

    /// The store whose request log is shown.
    public let store: Store
    /// The options.
    public let options: Options

    public init(store: Store, options: Options = Options()) {
        self.store = store
        self.options = options
    }

    /// Answers one request. Never throws: a store error becomes a 500 page naming it.
    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        let isAPI = request.path == "/api" || request.path.hasPrefix("/api/")
        if let host = request.headers["host"], let allowed = options.allowedHosts,
            !allowed.contains(Self.hostName(host))
        {
            return failure(
                WebFailure(status: 403, title: "Forbidden", message: "The inspector answers only requests addressed to \(allowed.sorted().joined(separator: ", ")), not to “\(host)”."),
                api: isAPI)
        }
        guard request.method == "GET" else {
            return failure(
                WebFailure(status: 405, title: "Method not allowed", message: "The inspector is read-only: only GET requests are answered, not \(request.method)."),
                api: isAPI)
        }
        do {
            return try route(request, api: isAPI)
        } catch let failure as WebFailure {
            return self.failure(failure, api: isAPI)
        } catch {
            return failure(
                WebFailure(status: 500, title: "The store could not be read", message: String(describing: error)),
                api: isAPI)
        }
    }

    private func route(_ request: HTTPRequest, api: Bool) throws -> HTTPResponse {
        let path = api ? String(request.path.dropFirst("/api".count)) : request.path
        let segments = path.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: true).map(String.init)
        switch (segments.first, segments.count) {
        case (nil, _) where !api:
            return html(try indexPage(live: request.query["refresh"] != "0"))
        case ("runs", 1) where api:
            return try json(runsJSON())
        case ("runs", 2) where segments[1].contains("/"):
            let parts = segments[1].split(separator: "/", maxSplits: 1).map(String.init)
            return try chartResponse(try resolveRun(parts[0]), parts.count > 1 ? parts[1] : "", api: api)
        case ("runs", 2):
            let run = try resolveRun(segments[1])
            let problemsOnly = request.query["only"] == "problems"
            return api ? try json(runJSON(run, problemsOnly: problemsOnly)) : html(try runPage(run, problemsOnly: problemsOnly, live: request.query["refresh"] != "0"))
        case ("calls", 2):
            let call = try loadCall(segments[1])
            return api ? try json(call) : html(try callPage(call))
        case ("search", 1):
            let query = request.query["q"]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            let runID = request.query["run"].flatMap { $0.isEmpty ? nil : $0 }
            let run = try runID.map { try resolveRun($0) }
            return api ? try json(searchJSON(query, run: run)) : html(try searchPage(query, run: run))
        case ("compare", 1):
            let (a, b) = try comparedCalls(request.query)
            return api ? try json(compareJSON(a, b)) : html(comparePage(a, b))
        case ("favicon.ico", 1) where !api:
            return HTTPResponse(status: 204)
        default:
            throw WebFailure(
                status: 404, title: "Not found",
                message: "There is no inspector page at \(request.path). The pages are /, /runs/{id}, /calls/{id}, /search?q=… and /compare?a=…&b=…, and their JSON twins under /api/.")
        }
    }

    /// Seconds between reloads of a page that shows a running run.
    static let refreshInterval = 5

    // MARK: Lookups

    func resolveRun(_ idOrPrefix: String) throws -> RunRecord {
        do {
            return try store.resolveRun(idOrPrefix)
        } catch StoreError.unknownRun {
            throw WebFailure(
                status: 404, title: "Run not found",
                message: "No run with id “\(idOrPrefix)” in \(store.path).")
        } catch StoreError.ambiguousRun(let prefix, let matches) {
            throw WebFailure(
                status: 404, title: "Ambiguous run id",
                message: "“\(prefix)” is the start of several run ids (\(matches.joined(separator: ", "))); give more characters.")
        }
    }

    func loadCall(_ text: String) throws -> LoggedCall {
        let digits = text.hasPrefix("#") ? String(text.dropFirst()) : text
        guard let id = Int64(digits) else {
            throw WebFailure(
                status: 404, title: "Call not found",
                message: "“\(text)” is not a call id: call ids are whole numbers, as in /calls/42.")
        }
        guard let call = try store.call(id: id) else {
            throw WebFailure(
                status: 404, title: "Call not found",
                message: "No call with id \(id) in \(store.path).")
        }
        return call
    }

    func searchResults(_ query: String, run: RunRecord?) throws -> (calls: [LoggedCall], total: Int) {
        guard !query.isEmpty else { return ([], 0) }
        let filter = CallQuery(runID: run?.id, text: query, limit: options.searchLimit)
        let calls = try store.calls(filter)
        let total = calls.count < options.searchLimit ? calls.count : try store.callCount(filter)
        return (calls.reversed(), total)
    }

    // MARK: Responses

    static let securityHeaders: [(String, String)] = [
        ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
    ]

    func html(_ page: HTML, status: Int = 200) -> HTTPResponse {
        HTTPResponse(
            status: status,
            headers: [("Content-Type", "text/html; charset=utf-8")] + Self.securityHeaders,
            body: .data(Data(page.description.utf8)))
    }

    func json<Value: Encodable>(_ value: Value, status: Int = 200) throws -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return HTTPResponse(
            status: status,
            headers: [("Content-Type", "application/json; charset=utf-8")] + Self.securityHeaders,
            body: .data(try encoder.encode(value)))
    }

    func failure(_ failure: WebFailure, api: Bool) -> HTTPResponse {
        if api, let response = try? json(["error": failure.message, "status": String(failure.status)], status: failure.status) {
            return response
        }
        return html(errorPage(failure), status: failure.status)
    }

    /// `127.0.0.1:8080` → `127.0.0.1`, `[::1]:80` → `::1`.
    static func hostName(_ header: String) -> String {
        let host = header.lowercased()
        if host.hasPrefix("["), let end = host.firstIndex(of: "]") {
            return String(host[host.index(after: host.startIndex)..<end])
        }
        if let colon = host.lastIndex(of: ":") { return String(host[..<colon]) }
        return host
    }
}

/// A request the inspector answers with an error page.
struct WebFailure: Error, Sendable {
    var status: Int
    var title: String
    var message: String
}
