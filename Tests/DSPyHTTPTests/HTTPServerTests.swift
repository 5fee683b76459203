import DSPyTestSupport
import DSPyHTTP
import Foundation
import Logging
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@Suite("HTTP server on loopback")
struct HTTPServerTests {
    /// A server with small limits; `body` runs while it listens, then it stops gracefully.
    private func withServer(
        _ configure: (inout HTTPServerConfiguration) -> Void = { _ in }, probe: Probe = Probe(),
        _ body: (Int) async throws -> Void
    ) async throws {
        var configuration = HTTPServerConfiguration(port: 0, maxBodySize: 1024)
        configure(&configuration)
        let server = HTTPServer(configuration: configuration) { request in
            switch (request.method, request.path) {
            case ("GET", "/hello"):
                return .text("hello \(request.query["name"] ?? "nobody")")
            case ("POST", "/echo"):
                probe.add("echo")
                return .json(request.body)
            case ("GET", "/stream"):
                return HTTPResponse(headers: [("Content-Type", "text/event-stream")], body: .stream { writer in
                    for index in 1...3 { try writer.write("data: \(index)\n\n") }
                })
            case ("POST", "/slow"):
                // Works until cancelled (the client went away) or 60 s pass.
                probe.add("slow-started")
                do {
                    try await Task.sleep(for: .seconds(60))
                } catch {
                    probe.add("slow-cancelled")
                }
                return .text("done")
            case ("POST", "/short"):
                try? await Task.sleep(for: .milliseconds(300))
                return .text("finished")
            default:
                return .text("not found", status: 404)
            }
        }
        let port = try await server.start()
        do {
            try await body(port)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test("GET, POST and 404 answer over real HTTP, several on one keep-alive connection")
    func requests() async throws {
        try await withServer { port in
            let base = "http://127.0.0.1:\(port)"
            #expect(try await fetch(URLRequest(url: URL(string: "\(base)/hello?name=a%20b")!)) == (200, "hello a b"))
            var post = URLRequest(url: URL(string: "\(base)/echo")!)
            post.httpMethod = "POST"
            post.httpBody = Data(#"{"x":[1,2]}"#.utf8)
            #expect(try await fetch(post) == (200, #"{"x":[1,2]}"#))
            #expect(try await fetch(URLRequest(url: URL(string: "\(base)/missing")!)).0 == 404)
            let answer = try await rawExchange(port: port, """
                GET /hello?name=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /hello?name=2 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n
                """)
            #expect(answer.contains("hello 1") && answer.contains("hello 2"))
        }
    }

    @Test("A streamed body arrives whole, chunk by chunk")
    func streaming() async throws {
        try await withServer { port in
            let (status, body) = try await fetch(URLRequest(url: URL(string: "http://127.0.0.1:\(port)/stream")!))
            #expect(status == 200)
            #expect(body == "data: 1\n\ndata: 2\n\ndata: 3\n\n")
        }
    }

    @Test("A malformed request gets 400; a body over the limit gets 413 naming it")
    func malformedAndTooLarge() async throws {
        try await withServer { port in
            let answer = try await rawExchange(port: port, "NONSENSE\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 400"))
            var post = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/echo")!)
            post.httpMethod = "POST"
            post.httpBody = Data(repeating: 0x41, count: 4096)
            let (status, body) = try await fetch(post)
            #expect(status == 413)
            #expect(body.contains("request body larger than 1024 bytes"))
        }
    }

    @Test("Binding a port in use is a clear error naming the address")
    func portInUse() async throws {
        try await withServer { port in
            let second = HTTPServer(port: port) { _ in .text("") }
            await #expect(throws: HTTPServerError.self) { try await second.start() }
        }
    }

    @Test("Only loopback Host names are answered; another name gets 403")
    func hostCheck() async throws {
        try await withServer { port in
            let evil = try await rawExchange(port: port, "GET /hello HTTP/1.1\r\nHost: evil.example:\(port)\r\nConnection: close\r\n\r\n")
            #expect(evil.hasPrefix("HTTP/1.1 403"))
            #expect(evil.contains("not to 'evil.example:\(port)'"))
            let local = try await rawExchange(port: port, "GET /hello HTTP/1.1\r\nHost: localhost:\(port)\r\nConnection: close\r\n\r\n")
            #expect(local.hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test("A cross-origin text/plain POST is refused before the handler runs; loopback and allowed origins pass")
    func originCheck() async throws {
        let probe = Probe()
        try await withServer({ $0.allowedOrigins = ["https://app.example"] }, probe: probe) { port in
            func post(origin: String) async throws -> String {
                try await rawExchange(port: port, """
                    POST /echo HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nOrigin: \(origin)\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi
                    """)
            }
            let foreign = try await post(origin: "https://evil.example")
            #expect(foreign.hasPrefix("HTTP/1.1 403"))
            #expect(foreign.contains("--allow-origin https://evil.example"))
            #expect(probe["echo"] == 0, "the handler never saw the refused request")
            let loopback = try await post(origin: "http://localhost:3000")
            #expect(loopback.hasPrefix("HTTP/1.1 200"))
            #expect(loopback.lowercased().contains("access-control-allow-origin: http://localhost:3000"))
            let allowed = try await post(origin: "https://app.example")
            #expect(allowed.hasPrefix("HTTP/1.1 200"))
            #expect(probe["echo"] == 2)
            let preflight = try await rawExchange(port: port, """
                OPTIONS /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://app.example\r\nAccess-Control-Request-Method: POST\r\nConnection: close\r\n\r\n
                """)
            #expect(preflight.hasPrefix("HTTP/1.1 204"))
            #expect(preflight.lowercased().contains("access-control-allow-methods: get, post, options"))
        }
    }

    @Test("Clients that never finish their headers are closed after the read timeout; others are still served")
    func slowHeaders() async throws {
        try await withServer({ $0.requestReadTimeout = .seconds(1) }) { port in
            // 50 clients each send half a request and wait; the server must close every one.
            let closed = try await python("""
                import socket, sys, time
                port = int(sys.argv[1])
                socks = []
                for _ in range(50):
                    s = socket.create_connection(("127.0.0.1", port), timeout=15)
                    s.sendall(b"GET /hello HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nX-Slow: ")
                    socks.append(s)
                closed = 0
                for s in socks:
                    try:
                        while s.recv(4096): pass
                        closed += 1
                    except socket.timeout:
                        pass
                print(closed)
                """, [String(port)])
            #expect(closed.trimmingCharacters(in: .whitespacesAndNewlines) == "50")
            #expect(try await fetch(URLRequest(url: URL(string: "http://127.0.0.1:\(port)/hello")!)).0 == 200)
        }
    }

    @Test("Past the connection limit newcomers wait; once the others close they are served")
    func connectionLimit() async throws {
        try await withServer({ $0.maxConnections = 8 }) { port in
            let output = try await python("""
                import socket, sys, time
                port = int(sys.argv[1])
                held = [socket.create_connection(("127.0.0.1", port), timeout=15) for _ in range(8)]
                time.sleep(0.3)
                late = socket.create_connection(("127.0.0.1", port), timeout=15)
                late.sendall(b"GET /hello?name=late HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nConnection: close\\r\\n\\r\\n")
                late.settimeout(1.0)
                try:
                    early = late.recv(4096)
                except socket.timeout:
                    early = b""
                for s in held: s.close()
                late.settimeout(15)
                out = early
                while True:
                    b = late.recv(4096)
                    if not b: break
                    out += b
                print("waited" if early == b"" else "not-waited")
                print("served" if b"hello late" in out else "not-served")
                """, [String(port)])
            #expect(output.split(separator: "\n").map(String.init) == ["waited", "served"])
        }
    }

    @Test("A client that disconnects cancels its request's work")
    func disconnectCancels() async throws {
        let probe = Probe()
        try await withServer(probe: probe) { port in
            // The client hangs up only once the handler has started (a marker file says so),
            // so the test does not depend on how fast a loaded machine schedules the handler.
            let marker = FileManager.default.temporaryDirectory.appendingPathComponent("dspyc-disconnect-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: marker) }
            async let client = python("""
                import os, socket, sys, time
                s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=15)
                s.sendall(b"POST /slow HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nContent-Length: 2\\r\\n\\r\\n{}")
                deadline = time.time() + 20
                while not os.path.exists(sys.argv[2]) and time.time() < deadline:
                    time.sleep(0.05)
                s.close()
                """, [String(port), marker.path])
            #expect(try await probe.wait(for: "slow-started"), "the handler started")
            FileManager.default.createFile(atPath: marker.path, contents: Data())
            _ = try await client
            #expect(try await probe.wait(for: "slow-cancelled"), "the handler's task was cancelled")
        }
    }

    @Test("stop() lets a request in flight finish, then refuses new connections")
    func gracefulShutdown() async throws {
        let server = HTTPServer(configuration: HTTPServerConfiguration(port: 0)) { _ in
            try? await Task.sleep(for: .milliseconds(500))
            return .text("finished")
        }
        let port = try await server.start()
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/short")!)
        request.httpMethod = "POST"
        request.httpBody = Data("{}".utf8)
        let inFlight = Task { try await fetch(request) }
        try await Task.sleep(for: .milliseconds(150))
        await server.stop()
        #expect(try await inFlight.value == (200, "finished"))
        var again = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/short")!)
        again.timeoutInterval = 5
        await #expect(throws: (any Error).self) { _ = try await fetch(again) }
    }

    @Test("Each request is logged through swift-log with method, target and status")
    func requestLog() async throws {
        let lines = CapturingLogHandler.Lines()
        try await withServer({ $0.logger = Logger(label: "test") { _ in CapturingLogHandler(lines: lines) } }) { port in
            _ = try await fetch(URLRequest(url: URL(string: "http://127.0.0.1:\(port)/hello?name=x")!))
            _ = try await fetch(URLRequest(url: URL(string: "http://127.0.0.1:\(port)/missing")!))
        }
        #expect(lines.all.contains { $0.hasPrefix("info GET /hello?name=x 200 ") })
        #expect(lines.all.contains { $0.hasPrefix("info GET /missing 404 ") })
    }
}
