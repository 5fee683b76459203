import DSPyTestSupport
import DSPyUtilities
import Foundation
import Testing

/// `dspyc run`, `eval`, `compile` and `bench` with `--endpoint`, against a real `dspyc serve`
/// on loopback: the CLI's model calls go over HTTP, the API key stays out of every output
/// and the store, and the compile fingerprint names the endpoint's model.
@Suite("dspyc with --endpoint against dspyc serve", .serialized)
struct RemoteCLITests {
    static let signature = "text -> sentiment: Literal['positive', 'negative']"
    static let rows = [
        #"{"text": "I love this, what a wonderful day", "sentiment": "positive"}"#,
        #"{"text": "This is awful, I hate it", "sentiment": "negative"}"#,
        #"{"text": "Great news, I am so happy", "sentiment": "positive"}"#,
        #"{"text": "Terrible service and a rude waiter", "sentiment": "negative"}"#,
    ]
    static let key = "sk-remote-cli-test-4711"

    /// Runs `dspyc arguments` in `client`'s home with the API key in the environment.
    private func run(_ client: DSPyCRunner, _ arguments: [String]) throws -> (status: Int32, output: String) {
        var environment = ProcessInfo.processInfo.environment
        environment["DSPYC_HOME"] = client.home.path
        environment["DSPYC_API_KEY"] = Self.key
        let result = try Subprocess.run(DSPyCRunner.executable.path, arguments, environment: environment)
        return (result.status, result.output)
    }

    /// Runs `body` with a served model's `--endpoint` arguments and a client home of its own.
    private func withServe(_ body: (_ endpoint: [String], _ client: DSPyCRunner, _ port: Int) async throws -> Void) async throws {
        let server = try await ServeHardeningTests.Server(extra: ["--threads", "1"])
        let client = try DSPyCRunner()
        let endpoint = ["--endpoint", "http://127.0.0.1:\(server.port)/v1", "--model", "smollm2-135m-instruct"]
        do { try await body(endpoint, client, server.port) } catch {
            await server.stop()
            client.remove()
            throw error
        }
        await server.stop()
        client.remove()
    }

    /// Whether `text` occurs in any file under `directory`.
    private func anyFile(under directory: URL, contains text: String) -> Bool {
        let files = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)?.allObjects as? [URL] ?? []
        return files.contains { url in
            guard url.pathExtension != "gguf", let data = try? Data(contentsOf: url) else { return false }
            return data.range(of: Data(text.utf8)) != nil
        }
    }

    @Test("run --endpoint gets a prediction from the served model (JSONAdapter, schema enforced by the server) and streams")
    func runRemote() async throws {
        try await withServe { endpoint, client, _ in
            let json = try run(client, ["run", "--signature", Self.signature, "--input", "text=What a lovely day",
                                        "--adapter", "json", "--json"] + endpoint)
            #expect(json.status == 0, "\(json.output)")
            #expect(json.output.contains(#""sentiment": "positive""#) || json.output.contains(#""sentiment": "negative""#),
                    "\(json.output)")
            #expect(json.output.contains("openai/smollm2-135m-instruct@127.0.0.1:"), "usage is named by the endpoint's model")
            let streamed = try run(client, ["run", "--signature", Self.signature, "--input", "text=Rain again, how dull",
                                            "--adapter", "json", "--stream"] + endpoint)
            #expect(streamed.status == 0, "\(streamed.output)")
            #expect(streamed.output.contains("sentiment"), "\(streamed.output)")
            #expect(!anyFile(under: client.home, contains: Self.key))
            #expect(!json.output.contains(Self.key) && !streamed.output.contains(Self.key))
        }
    }

    @Test("compile --endpoint with log-prob choice scoring compiles, names the endpoint's model, and repeats from the cache")
    func compileRemote() async throws {
        try await withServe { endpoint, client, port in
            let train = try client.write("train.jsonl", Self.rows)
            let dev = try client.write("dev.jsonl", Array(Self.rows.prefix(2)))
            let arguments = ["compile", "--signature", Self.signature, "--trainset", train, "--devset", dev,
                             "--optimizer", "labeled", "--choice-logprobs", "5", "--json"] + endpoint
            let first = try run(client, arguments)
            #expect(first.status == 0, "\(first.output)")
            #expect(first.output.contains(#""model" : "openai\/smollm2-135m-instruct@127.0.0.1:\#(port)+logprobs=5""#)
                    || first.output.contains(#""model" : "openai/smollm2-135m-instruct@127.0.0.1:\#(port)+logprobs=5""#),
                    "\(first.output)")
            #expect(first.output.contains(#""cached" : false"#), "\(first.output)")
            let second = try run(client, arguments)
            #expect(second.status == 0, "\(second.output)")
            #expect(second.output.contains(#""cached" : true"#), "the fingerprint names the remote model: \(second.output)")
            let eval = try run(client, ["eval", "--signature", Self.signature, "--trainset", train, "--devset", dev,
                                        "--choice-logprobs", "5"] + endpoint)
            #expect(eval.status == 0, "\(eval.output)")
            #expect(eval.output.contains("on 2 examples"), "\(eval.output)")
            #expect(!anyFile(under: client.home, contains: Self.key))
            #expect(!(first.output + second.output + eval.output).contains(Self.key))
        }
    }

    @Test("bench --endpoint reports requests/s and tokens/s for 1 and 2 concurrent clients")
    func benchRemote() async throws {
        try await withServe { endpoint, client, _ in
            let bench = try run(client, ["bench", "--clients", "1,2", "--requests", "1", "--generate", "8", "--json"] + endpoint)
            #expect(bench.status == 0, "\(bench.output)")
            #expect(bench.output.contains(#""clients" : 2"#) && bench.output.contains("completionTokensPerSecond"), "\(bench.output)")
        }
    }

    @Test("A bad --endpoint is refused before any model work, naming the flag")
    func badEndpoint() throws {
        let client = try DSPyCRunner()
        defer { client.remove() }
        let result = try run(client, ["run", "--signature", Self.signature, "--input", "text=x", "--endpoint", "ftp://x"])
        #expect(result.status != 0)
        #expect(result.output.contains("--endpoint 'ftp://x' is not an http(s) URL"), "\(result.output)")
    }
}
