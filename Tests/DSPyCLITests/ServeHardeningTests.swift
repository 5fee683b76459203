import DSPyTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

#if canImport(Glibc)
import Glibc
#endif

/// A real `dspyc serve` process on loopback, attacked as the issue describes: descriptor
/// exhaustion under a low `ulimit -n`, abandoned streams, huge `n`, cross-origin posts,
/// SIGTERM. Clients are small Python scripts on raw sockets with bounded timeouts.
@Suite("dspyc serve under hostile clients, as a process", .serialized)
struct ServeHardeningTests {
    /// A running `dspyc serve --port 0` (optionally under `ulimit -n`) and its port.
    final class Server {
        let runner: DSPyCRunner
        let process: DSPyCProcess
        let port: Int

        init(fileLimit: Int? = nil, extra: [String] = []) async throws {
            runner = try DSPyCRunner()
            let command = ([DSPyCRunner.executable.path, "serve", "--port", "0"] + extra)
                .map { "'\($0)'" }.joined(separator: " ")
            let limit = fileLimit.map { "ulimit -n \($0) && " } ?? ""
            process = try DSPyCProcess(runner, ["-c", "\(limit)exec \(command)"], label: "serve", executable: "/bin/bash")
            var found: Int?
            let prefix = "dspyc serve: http://127.0.0.1:"
            for _ in 0..<3000 where found == nil && process.isRunning {
                if let line = process.stdout.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) {
                    found = Int(line.dropFirst(prefix.count).prefix { $0.isNumber })
                    if found == nil { break }
                } else {
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            guard let found else {
                await process.stop()
                throw ProbeError("dspyc serve did not announce a port; stderr: \(process.stderr)")
            }
            port = found
        }

        func stop() async {
            await process.stop()
            runner.remove()
        }

        /// `GET /health` as parsed JSON.
        func health() async throws -> [String: Any] {
            let (data, _) = try await URLSession(configuration: .ephemeral).data(
                from: URL(string: "http://127.0.0.1:\(port)/health")!)
            return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        }
    }

    private func withServer(fileLimit: Int? = nil, _ body: (Server) async throws -> Void) async throws {
        let server = try await Server(fileLimit: fileLimit)
        do { try await body(server) } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test("Under ulimit -n 256, 300 connections do not stop the listener: afterwards it still answers")
    func descriptorExhaustion() async throws {
        try await withServer(fileLimit: 256) { server in
            let output = try await python("""
                import socket, sys, time
                port = int(sys.argv[1])
                held = []
                for _ in range(300):
                    s = socket.create_connection(("127.0.0.1", port), timeout=10)
                    held.append(s)
                time.sleep(2)
                for s in held: s.close()
                time.sleep(0.5)
                s = socket.create_connection(("127.0.0.1", port), timeout=30)
                s.sendall(b"GET /health HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nConnection: close\\r\\n\\r\\n")
                out = b""
                while True:
                    b = s.recv(4096)
                    if not b: break
                    out += b
                print(out.split(b"\\r\\n")[0].decode())
                """, [String(server.port)])
            #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "HTTP/1.1 200 OK")
            #expect(server.process.isRunning)
        }
    }

    @Test("A client that abandons a stream stops its generation: /health counts it cancelled")
    func abandonedStreamIsCancelled() async throws {
        try await withServer { server in
            let output = try await python("""
                import socket, sys, json
                port = int(sys.argv[1])
                body = json.dumps({"messages": [{"role": "user", "content": "Count from 1 to 2000, one number per line."}],
                                   "max_tokens": 1500, "temperature": 0, "stream": True}).encode()
                s = socket.create_connection(("127.0.0.1", port), timeout=60)
                s.sendall(b"POST /v1/chat/completions HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nContent-Type: application/json\\r\\nContent-Length: "
                          + str(len(body)).encode() + b"\\r\\n\\r\\n" + body)
                seen = b""
                while seen.count(b"data: ") < 4:
                    b = s.recv(4096)
                    if not b: break
                    seen += b
                s.close()
                print(seen.count(b"data: "))
                """, [String(server.port)])
            #expect((Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) >= 4, "the stream had started")
            var health: [String: Any] = [:]
            for _ in 0..<500 {
                health = try await server.health()
                if health["generations_cancelled"] as? Int == 1 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(health["generations_cancelled"] as? Int == 1, "\(health)")
            #expect(health["generations_in_flight"] as? Int == 0)
            #expect(health["generations_completed"] as? Int == 0)
        }
    }

    @Test("n above the cap, a cross-origin text/plain POST and a foreign Host are refused before any generation")
    func refusals() async throws {
        try await withServer { server in
            let output = try await python("""
                import socket, sys
                port = int(sys.argv[1])
                def send(headers, body):
                    s = socket.create_connection(("127.0.0.1", port), timeout=30)
                    s.sendall(("POST /v1/chat/completions HTTP/1.1\\r\\n" + headers + "Content-Length: %d\\r\\nConnection: close\\r\\n\\r\\n" % len(body)).encode() + body.encode())
                    out = b""
                    while True:
                        b = s.recv(4096)
                        if not b: break
                        out += b
                    return out.decode()
                big_n = send("Host: 127.0.0.1\\r\\nContent-Type: application/json\\r\\n", '{"messages":[{"role":"user","content":"Hi"}],"n":100000}')
                cross = send("Host: 127.0.0.1\\r\\nOrigin: https://evil.example\\r\\nContent-Type: text/plain\\r\\n", '{"messages":[{"role":"user","content":"Hi"}]}')
                rebound = send("Host: evil.example\\r\\nContent-Type: application/json\\r\\n", '{"messages":[{"role":"user","content":"Hi"}]}')
                for r in (big_n, cross, rebound):
                    print(r.split("\\r\\n")[0] + " | " + r.split("\\r\\n\\r\\n", 1)[-1])
                """, [String(server.port)])
            let lines = output.split(separator: "\n").map(String.init)
            try #require(lines.count == 3, "\(output)")
            #expect(lines[0].hasPrefix("HTTP/1.1 400") && lines[0].contains("'n' must be between 1 and 16"))
            #expect(lines[1].hasPrefix("HTTP/1.1 403") && lines[1].contains("https://evil.example"))
            #expect(lines[2].hasPrefix("HTTP/1.1 403"))
            let health = try await server.health()
            #expect(health["generations_completed"] as? Int == 0 && health["generations_cancelled"] as? Int == 0)
        }
    }

    @Test("SIGTERM shuts the server down gracefully: it exits by itself with status 0")
    func sigterm() async throws {
        let server = try await Server()
        defer { server.runner.remove() }
        #expect(try await server.health()["status"] as? String == "ok")
        _ = Glibc.kill(server.process.process.processIdentifier, SIGTERM)
        for _ in 0..<1000 where server.process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        let exited = !server.process.isRunning
        if !exited { await server.process.stop() } else { await server.process.finish() }
        #expect(exited, "dspyc serve ended within 20 s of SIGTERM")
        #expect(server.process.status == 0 && !server.process.wasKilled)
    }

    @Test("A non-loopback --host is refused without --allow-remote, with a message that names the flag")
    func remoteBindNeedsFlag() throws {
        let runner = try DSPyCRunner()
        defer { runner.remove() }
        let refused = try runner.run(["serve", "--host", "0.0.0.0", "--port", "0"])
        #expect(refused.status != 0)
        #expect(refused.output.contains("--host 0.0.0.0 is not a loopback address") && refused.output.contains("--allow-remote"))
    }
}

