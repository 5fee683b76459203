import Foundation

/// The `Host` and `Origin` checks an ``HTTPServer`` makes before its handler runs.
///
/// - `Host`: when ``HTTPServerConfiguration/allowedHosts`` is set, the header's host name
///   must be in it (a missing `Host` passes: HTTP/1.0 clients omit it, and browsers
///   always send one).
/// - `Origin`: a request that carries one (every browser POST does, and every
///   cross-origin request) must come from a loopback origin (`http://127.0.0.1:3000`,
///   `http://localhost`, `http://[::1]:8080`) or one listed in
///   ``HTTPServerConfiguration/allowedOrigins`` (`"*"` lists all). `Origin: null`
///   (sandboxed frames, `file:` pages) is refused unless `"null"` or `"*"` is listed.
struct RequestPolicy: Sendable {
    var allowedHosts: Set<String>?
    var allowedOrigins: [String]

    /// Why a request is refused, as a status and a message; `nil` when it may go on.
    func refusal(host: String?, origin: String?) -> (status: Int, message: String)? {
        if let allowed = allowedHosts, let host, !allowed.contains(Self.hostName(host)) {
            return (403, "this server answers only requests addressed to \(allowed.sorted().joined(separator: ", ")), not to '\(host)'")
        }
        if let origin, !allowsOrigin(origin) {
            return (403, "requests from the web origin '\(origin)' are refused: only loopback origins are accepted (start the server with --allow-origin \(origin) to accept this one)")
        }
        return nil
    }

    /// Whether a request from `origin` may be served (and be told so in CORS headers).
    func allowsOrigin(_ origin: String) -> Bool {
        let trimmed = origin.trimmingCharacters(in: .whitespaces)
        if allowedOrigins.contains("*") { return true }
        if allowedOrigins.contains(where: { Self.normalized($0) == Self.normalized(trimmed) }) { return true }
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host
        else { return false }
        return HTTPServerConfiguration.isLoopback(host)
    }

    /// `127.0.0.1:8080` → `127.0.0.1`, `[::1]:80` → `::1`, `LocalHost` → `localhost`.
    static func hostName(_ header: String) -> String {
        let host = header.lowercased().trimmingCharacters(in: .whitespaces)
        if host.hasPrefix("["), let end = host.firstIndex(of: "]") {
            return String(host[host.index(after: host.startIndex)..<end])
        }
        if let colon = host.lastIndex(of: ":") { return String(host[..<colon]) }
        return host
    }

    /// An origin compared without case and without a trailing slash.
    private static func normalized(_ origin: String) -> String {
        var text = origin.lowercased().trimmingCharacters(in: .whitespaces)
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }
}
