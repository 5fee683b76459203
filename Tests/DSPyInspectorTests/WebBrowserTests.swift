import DSPyStore
import DSPyTestSupport
import Foundation
import Testing

@testable import DSPyInspector

/// Headless Chromium, run as a subprocess.
///
/// The browser test needs Debian's `chromium` package (`apt-get install -y chromium`),
/// or `DSPYC_CHROMIUM` naming a Chromium or Chrome binary. Without one it fails, saying so.
enum HeadlessChromium {
    static let installHint = """
        Chromium is not installed, and the inspector's browser test needs it. \
        Install Debian's package with `apt-get install -y chromium`, \
        or set DSPYC_CHROMIUM to a Chromium or Chrome executable.
        """

    /// The browser: `$DSPYC_CHROMIUM`, else `chromium`, `chromium-browser` or `google-chrome` on `PATH`.
    static func executable() -> URL? {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["DSPYC_CHROMIUM"], !path.isEmpty {
            return FileManager.default.isExecutableFile(atPath: path) ? URL(fileURLWithPath: path) : nil
        }
        let directories = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for directory in directories {
                let path = directory + "/" + name
                if FileManager.default.isExecutableFile(atPath: path) { return URL(fileURLWithPath: path) }
            }
        }
        return nil
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs the browser headless with `arguments` and a throwaway profile; returns its standard output.
    ///
    /// The wait happens on a thread of its own, not on one of Swift concurrency's: the page
    /// the browser loads is served by this process's cooperative threads, and two browser
    /// suites blocking one each would starve the server on a two-core machine.
    ///
    /// - Throws: ``Failure`` when it exits non-zero or runs past `timeout` (it is then killed).
    static func run(_ browser: URL, _ arguments: [String], timeout: TimeInterval = 90) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try runBlocking(browser, arguments, timeout: timeout) }) }.start()
        }
    }

    /// ``run(_:_:timeout:)``, waiting on the calling thread.
    private static func runBlocking(_ browser: URL, _ arguments: [String], timeout: TimeInterval) throws -> String {
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("dspyc-chromium-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let errorLog = scratch.appendingPathComponent("stderr.txt")
        _ = FileManager.default.createFile(atPath: errorLog.path, contents: nil)

        let process = Process()
        process.executableURL = browser
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
            "--user-data-dir=\(scratch.appendingPathComponent("profile").path)",
        ] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = scratch.path
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: errorLog)
        process.standardInput = FileHandle.nullDevice
        try process.run()

        let timer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        timer.cancel()

        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let log = (try? String(contentsOf: errorLog, encoding: .utf8)) ?? ""
            throw Failure(description: """
                \(browser.path) \(arguments.joined(separator: " ")) failed \
                (\(process.terminationReason == .exit ? "exit status \(process.terminationStatus)" : "killed after \(Int(timeout)) s")):
                \(log.split(separator: "\n").suffix(15).joined(separator: "\n"))
                """)
        }
        return text
    }

    /// The width and height recorded in a PNG file's header.
    static func pngSize(_ url: URL) throws -> (width: Int, height: Int)? {
        let data = try Data(contentsOf: url)
        guard data.count > 24, data.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { return nil }
        func word(_ offset: Int) -> Int {
            data[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
        }
        return (word(16), word(20))
    }
}

@Suite("Inspector web page in a headless browser", .serialized)
struct WebBrowserTests {
    /// Where the screenshots are kept, to look at after the run.
    static let screenshots = Fixtures.packageRoot.appendingPathComponent(".build/inspector-screenshots", isDirectory: true)

    @Test("Chromium renders the runs, the trace tree and a call; logged <script> stays text")
    func dom() async throws {
        guard let browser = HeadlessChromium.executable() else {
            Issue.record(Comment(rawValue: HeadlessChromium.installHint))
            return
        }
        let fixture = try WebFixture()
        defer { fixture.remove() }
        let server = InspectorServer(store: fixture.store, port: 0)
        let base = try await server.start()
        defer { server.stop() }

        let index = try await HeadlessChromium.run(browser, ["--dump-dom", base.absoluteString])
        #expect(index.contains("<title>Runs · dspyc inspector</title>"))
        #expect(index.contains("href=\"/runs/\(fixture.compile.id)\""))
        #expect(index.contains("href=\"/runs/\(fixture.eval.id)\""))

        let run = try await HeadlessChromium.run(browser, ["--dump-dom", base.appendingPathComponent("runs/\(fixture.compile.id)").absoluteString])
        #expect(run.contains(fixture.compile.id))
        #expect(run.contains("id=\"trace-trace-lovely\""))
        #expect(run.contains("<span class=\"path\">classify.predict</span>"))
        #expect(run.contains("<span class=\"path\">explain.predict</span>"))

        let call = try await HeadlessChromium.run(browser, ["--dump-dom", base.appendingPathComponent("calls/\(fixture.hostileCall.id!)").absoluteString])
        #expect(call.contains("<pre>Answer questions about HTML.</pre>"))
        // The browser parsed the logged <script> as text: the serialised DOM
        // escapes it again, and holds no script element.
        #expect(call.contains("What does &lt;script&gt;alert(1)&lt;/script&gt; do?"))
        #expect(!call.contains("<script"))
        #expect(!call.contains("<b>script</b>"))
        #expect(call.contains("It runs &lt;b&gt;script&lt;/b&gt; &amp; \"quotes\" 'too'"))

        let search = try await HeadlessChromium.run(
            browser, ["--dump-dom", try #require(URL(string: "search?q=%3Cscript%3E", relativeTo: base)).absoluteString])
        #expect(search.contains("<mark>&lt;script&gt;</mark>"))
        #expect(!search.contains("<script"))
    }

    @Test("Screenshots of each page at 1280×900 are kept in .build/inspector-screenshots")
    func screenshots() async throws {
        guard let browser = HeadlessChromium.executable() else {
            Issue.record(Comment(rawValue: HeadlessChromium.installHint))
            return
        }
        let fixture = try WebFixture()
        defer { fixture.remove() }
        let server = InspectorServer(store: fixture.store, port: 0)
        let base = try await server.start()
        defer { server.stop() }
        try FileManager.default.createDirectory(at: Self.screenshots, withIntermediateDirectories: true)

        let pages: [(String, String)] = [
            ("runs", "/"),
            ("run", "runs/\(fixture.compile.id)"),
            ("run-problems", "runs/\(fixture.compile.id)?only=problems"),
            ("call", "calls/\(fixture.compileCalls[0].id!)"),
            ("call-escaped", "calls/\(fixture.hostileCall.id!)"),
            ("call-parse-error", "calls/\(fixture.compileCalls[3].id!)"),
            ("search", "search?q=lovely"),
            ("compare", "compare?a=\(fixture.compileCalls[0].id!)&b=\(fixture.compileCalls[2].id!)"),
            ("not-found", "runs/no-such-run"),
        ]
        for (name, path) in pages {
            let file = Self.screenshots.appendingPathComponent("\(name).png")
            try? FileManager.default.removeItem(at: file)
            let url = try #require(URL(string: path, relativeTo: base))
            _ = try await HeadlessChromium.run(browser, ["--screenshot=\(file.path)", "--window-size=1280,900", url.absoluteString])
            let size = try HeadlessChromium.pngSize(file)
            #expect(size?.width == 1280 && size?.height == 900, "\(name).png is \(String(describing: size))")
            let bytes = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
            #expect(bytes > 10_000, "\(name).png has \(bytes) bytes: is the page blank?")
        }
    }
}
