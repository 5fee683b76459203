import DSPyHTTP
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

private func fetch(_ request: URLRequest) async throws -> (Int, String) {
    let (data, response) = try await URLSession.shared.data(for: request)
    return ((response as? HTTPURLResponse)?.statusCode ?? -1, String(decoding: data, as: UTF8.self))
}

/// Sends raw bytes to the server and returns everything it answers.
private func rawExchange(port: Int, _ text: String) throws -> String {
    let result = try Subprocess(["python3", "-c", """
        import socket, sys
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
        s.sendall(sys.argv[2].encode())
        out = b""
        while True:
            b = s.recv(65536)
            if not b: break
            out += b
        sys.stdout.write(out.decode())
        """, String(port), text])
    return result
}

private func Subprocess(_ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

@Suite("HTTP server on loopback")
struct HTTPServerTests {
    private func makeServer() throws -> (HTTPServer, Int) {
        let server = HTTPServer { request in
            switch (request.method, request.path) {
            case ("GET", "/hello"):
                return .text("hello \(request.query["name"] ?? "nobody")")
            case ("POST", "/echo"):
                return .json(request.body)
            case ("GET", "/stream"):
                return HTTPResponse(headers: [("Content-Type", "text/event-stream")], body: .stream { writer in
                    for index in 1...3 { try writer.write("data: \(index)\n\n") }
                })
            default:
                return .text("not found", status: 404)
            }
        }
        return (server, try server.start())
    }

    @Test("GET, POST and 404 answer over real HTTP")
    func requests() async throws {
        let (server, port) = try makeServer()
        defer { server.stop() }
        let base = "http://127.0.0.1:\(port)"
        #expect(try await fetch(URLRequest(url: URL(string: "\(base)/hello?name=a%20b")!)) == (200, "hello a b"))
        var post = URLRequest(url: URL(string: "\(base)/echo")!)
        post.httpMethod = "POST"
        post.httpBody = Data(#"{"x":[1,2]}"#.utf8)
        #expect(try await fetch(post) == (200, #"{"x":[1,2]}"#))
        #expect(try await fetch(URLRequest(url: URL(string: "\(base)/missing")!)).0 == 404)
        // Several requests reuse one keep-alive connection without mixing bodies.
        for index in 0..<5 {
            #expect(try await fetch(URLRequest(url: URL(string: "\(base)/hello?name=\(index)")!)).1 == "hello \(index)")
        }
    }

    @Test("A streamed body arrives whole, chunk by chunk")
    func streaming() async throws {
        let (server, port) = try makeServer()
        defer { server.stop() }
        let (status, body) = try await fetch(URLRequest(url: URL(string: "http://127.0.0.1:\(port)/stream")!))
        #expect(status == 200)
        #expect(body == "data: 1\n\ndata: 2\n\ndata: 3\n\n")
    }

    @Test("A malformed request gets 400 and a reason")
    func malformed() throws {
        let (server, port) = try makeServer()
        defer { server.stop() }
        let answer = try rawExchange(port: port, "NONSENSE\r\n\r\n")
        #expect(answer.hasPrefix("HTTP/1.1 400"))
        #expect(answer.contains("malformed HTTP request: bad request line"))
    }

    @Test("Binding a port in use is a clear error naming the address")
    func portInUse() throws {
        let (server, port) = try makeServer()
        defer { server.stop() }
        let second = HTTPServer(port: port) { _ in .text("") }
        #expect(throws: HTTPServerError.self) { try second.start() }
    }
}
