import DSPyStore
import Foundation
import Testing

@testable import DSPyInspector

@Suite("A compile's story in a headless browser", .serialized)
struct CompileStoryBrowserTests {
    @Test("Chromium renders the phase table (training included), the candidates (an adapter included) and the inline SVG; logged <script> stays text")
    func dom() async throws {
        try await withServedFixture { browser, base, fixture in
            let run = try await HeadlessChromium.run(browser, ["--dump-dom", base.appendingPathComponent("runs/\(fixture.run.id)").absoluteString])
            #expect(run.contains("<h2>Phases"))
            #expect(run.contains("<h2>Candidates"))
            #expect(run.contains("★ chosen"))
            #expect(run.contains("<td>training</td>"), "the training phase has a row though it made no LM calls")
            #expect(run.contains("<code>3f9a0c7e5b21</code> rank 2 · alpha 4"), "the fine-tuned candidate shows its adapter")
            #expect(run.contains("<svg"))
            #expect(run.contains("set aside &lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(run.contains("review 0 says &lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!run.contains("<script"))
            #expect(run.contains("<h2>Distributions"))
            #expect(run.contains("<h2>Demos of the chosen program"))
            #expect(run.contains("<details class=\"phase\" id=\"phase-compiled-eval\""))
            let call = try await HeadlessChromium.run(browser, ["--dump-dom", base.appendingPathComponent("calls/\(try fixture.tracedCallID())").absoluteString])
            #expect(call.contains("<span class=\"tk choice\""))
            #expect(call.contains("&lt;script&gt;</span>"))
            #expect(call.contains("<h3>Choice 1: <code>sentiment</code>"))
            #expect(!call.contains("<script"))
        }
    }

    @Test("Screenshots of the compile run page, its charts and a call's token view are kept in .build/inspector-screenshots")
    func screenshots() async throws {
        try await withServedFixture { browser, base, fixture in
            try FileManager.default.createDirectory(at: WebBrowserTests.screenshots, withIntermediateDirectories: true)
            let pages: [(String, String, Int)] = [
                ("compile-run", "runs/\(fixture.run.id)", 10_000),
                ("chart-scores", "runs/\(fixture.run.id)/scores.svg", 2_000),
                ("chart-phases", "runs/\(fixture.run.id)/phases.svg", 2_000),
                ("chart-labels", "runs/\(fixture.run.id)/labels.svg", 2_000),
                ("chart-latency", "runs/\(fixture.run.id)/latency.svg", 2_000),
                ("call-tokens", "calls/\(try fixture.tracedCallID())#tokens", 10_000),
            ]
            for (name, path, least) in pages {
                let file = WebBrowserTests.screenshots.appendingPathComponent("\(name).png")
                try? FileManager.default.removeItem(at: file)
                let url = try #require(URL(string: path, relativeTo: base))
                _ = try await HeadlessChromium.run(browser, ["--screenshot=\(file.path)", "--window-size=1280,1400", url.absoluteString])
                let size = try HeadlessChromium.pngSize(file)
                #expect(size?.width == 1280 && size?.height == 1400, "\(name).png is \(String(describing: size))")
                let bytes = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
                #expect(bytes > least, "\(name).png has \(bytes) bytes: is the page blank?")
            }
        }
    }

    /// Runs `body` with headless chromium and an inspector serving a fresh compile-story
    /// store; a missing browser is a recorded failure.
    private func withServedFixture(
        _ body: (_ browser: URL, _ base: URL, _ fixture: CompileStoryFixture) async throws -> Void
    ) async throws {
        guard let browser = HeadlessChromium.executable() else {
            Issue.record(Comment(rawValue: HeadlessChromium.installHint))
            return
        }
        let fixture = try CompileStoryFixture()
        defer { fixture.remove() }
        let server = InspectorServer(store: fixture.store, port: 0)
        let base = try await server.start()
        defer { server.stop() }
        try await body(browser, base, fixture)
    }
}
