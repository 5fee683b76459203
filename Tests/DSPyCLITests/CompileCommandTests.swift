import DSPyTestSupport
import Foundation
import Testing

private let positive = [
    #"{"text": "I love this, what a wonderful day", "sentiment": "positive"}"#,
    #"{"text": "Great news, I am so happy", "sentiment": "positive"}"#,
    #"{"text": "This is awful, I hate it", "sentiment": "negative"}"#,
    #"{"text": "Terrible service and a rude waiter", "sentiment": "negative"}"#,
]
private let signature = "text -> sentiment: Literal['positive', 'negative']"
/// 24 examples for compiles that run long enough to interrupt or read alongside.
private let numberedRows = (0..<24).map { index in
    #"{"text": "example number \#(index) is \#(index % 2 == 0 ? "great" : "awful")", "sentiment": "\#(index % 2 == 0 ? "positive" : "negative")"}"#
}

/// Text collected from a running process (or a note that it finished).
private final class ProgressText: @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""
    func append(_ data: Data) { lock.withLock { text += String(decoding: data, as: UTF8.self) } }
    func contains(_ part: String) -> Bool { lock.withLock { text.contains(part) } }
}

@Suite("dspyc compile, run, eval and their bad inputs", .serialized)
struct CompileCommandTests {
    @Test("An ad-hoc compile prints a summary; the identical second compile is a cache hit")
    func compileThenCacheHit() throws {
        let dspyc = try DSPyCRunner()
        defer { dspyc.remove() }
        let train = try dspyc.write("train.jsonl", positive)
        let dev = try dspyc.write("dev.jsonl", positive)
        let arguments = ["compile", "--signature", signature, "--trainset", train, "--devset", dev,
                         "--optimizer", "labeled", "--set", "k=2", "--threads", "1", "--json"]
        let first = try dspyc.run(arguments)
        #expect(first.status == 0, "\(first.output)")
        #expect(first.output.contains("\"cached\" : false"))
        #expect(first.output.contains("\"lmCalls\" : 8"), "4 baseline + 4 compiled dev calls")
        let second = try dspyc.run(arguments)
        #expect(second.status == 0)
        #expect(second.output.contains("\"cached\" : true"))
        // The run and eval commands use the stored state, and every call was logged.
        let run = try dspyc.run(["run", "--signature", signature, "--trainset", train, "--devset", dev,
                                 "--input", "text=What a lovely day", "--threads", "1", "--json"])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("\"sentiment\": \"positive\"") || run.output.contains("\"sentiment\": \"negative\""))
        let inspect = try dspyc.run(["inspect", "--last", "1"])
        #expect(inspect.output.contains("[[ ## text ## ]]\nWhat a lovely day"))
        let runs = try dspyc.run(["inspect", "runs", "--json"])
        #expect(runs.output.contains("\"compile\""))
    }

    @Test("KNN compiles with the engine's own embeddings, and the compiled program runs")
    func knnUsesEngineEmbeddings() throws {
        let dspyc = try DSPyCRunner()
        defer { dspyc.remove() }
        let train = try dspyc.write("train.jsonl", positive)
        let dev = try dspyc.write("dev.jsonl", Array(positive.prefix(2)))
        let compile = try dspyc.run(["compile", "--signature", signature, "--trainset", train, "--devset", dev,
                                     "--optimizer", "knn", "--set", "k=2", "--seed", "3", "--threads", "1", "--json"])
        #expect(compile.status == 0, "\(compile.output)")
        #expect(compile.output.contains("\"optimizer\" : \"knn\""), "\(compile.output)")
        // The seed is stored with the summary, so `run` rebuilds the program with it.
        #expect(compile.output.contains("\"seed\" : 3"), "\(compile.output)")
        let run = try dspyc.run(["run", "--signature", signature, "--trainset", train, "--devset", dev,
                                 "--input", "text=What a lovely day",
                                 "--threads", "1", "--json"])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("\"sentiment\": \"positive\"") || run.output.contains("\"sentiment\": \"negative\""))
        // The stored state has no demos; `run` rebuilt the KNN program, so the prompt shows neighbours.
        let inspect = try dspyc.run(["inspect", "--last", "1"])
        #expect(inspect.output.contains("[[ ## text ## ]]\nWhat a lovely day"), "\(inspect.output)")
        #expect(inspect.output.components(separatedBy: "User message:").count - 1 == 3, "two demos, then the input: \(inspect.output)")
    }

    @Test("Ctrl-C in the middle of a compile corrupts nothing, and the rerun reuses the calls already made")
    func interruptedCompile() async throws {
        let dspyc = try DSPyCRunner()
        defer { dspyc.remove() }
        let train = try dspyc.write("train.jsonl", Array(numberedRows.prefix(8)))
        let dev = try dspyc.write("dev.jsonl", numberedRows)
        let arguments = ["compile", "--signature", signature, "--trainset", train, "--devset", dev,
                         "--optimizer", "labeled", "--threads", "1", "--concurrency", "1", "--json"]
        let process = Process()
        process.executableURL = DSPyCRunner.executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["DSPYC_HOME": dspyc.home.path]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        let progress = Pipe()
        process.standardError = progress
        let seen = ProgressText()
        progress.fileHandleForReading.readabilityHandler = { seen.append($0.availableData) }
        try process.run()
        // Interrupt once the progress bar shows scored examples (however loaded the machine is).
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline, process.isRunning, !seen.contains("25%") {
            try await Task.sleep(for: .milliseconds(50))
        }
        process.interrupt()
        process.waitUntilExit()
        progress.fileHandleForReading.readabilityHandler = nil
        #expect(process.terminationStatus != 0)
        let rerun = try dspyc.run(arguments)
        #expect(rerun.status == 0, "\(rerun.output)")
        #expect(rerun.output.contains("\"cached\" : false"))
        let hits = rerun.output.split(separator: "\n").first { $0.contains("\"cacheHits\"") }
        #expect(hits != nil && !hits!.contains(": 0,"), "the rerun should reuse cached calls: \(rerun.output)")
    }

    @Test("Another dspyc reading the store while a compile runs costs the compile nothing")
    func concurrentReaders() async throws {
        let dspyc = try DSPyCRunner()
        defer { dspyc.remove() }
        let train = try dspyc.write("train.jsonl", Array(numberedRows.prefix(8)))
        let dev = try dspyc.write("dev.jsonl", numberedRows)
        let finished = ProgressText()
        let compile = Task.detached {
            defer { finished.append(Data("finished".utf8)) }
            return try dspyc.run(["compile", "--signature", signature, "--trainset", train, "--devset", dev,
                                  "--optimizer", "labeled", "--threads", "1", "--concurrency", "1", "--json"])
        }
        // Readers open and close the database over and over (each close used to reset the WAL
        // under the compile once the compile had dropped its own lock by opening the file twice).
        while !finished.contains("finished") {
            _ = try dspyc.run(["inspect", "--last", "1"])
            try await Task.sleep(for: .milliseconds(100))
        }
        let result = try await compile.value
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("\"errors\" : 0"), "\(result.output)")
        #expect(result.output.range(of: #""errors" : [1-9]"#, options: .regularExpression) == nil, "\(result.output)")
    }

    @Test("An unknown program is an error that lists the available ones")
    func unknownProgram() throws {
        let dspyc = try DSPyCRunner()
        defer { dspyc.remove() }
        let result = try dspyc.run(["compile", "no-such-program"])
        #expect(result.status != 0)
        #expect(result.output.contains("no-such-program"))
        #expect(result.output.contains("sentiment"))
    }

    @Test("A malformed JSONL line is reported with its file and line")
    func malformedJSONL() throws {
        let dspyc = try DSPyCRunner()
        defer { dspyc.remove() }
        let train = try dspyc.write("train.jsonl", [positive[0], "{not json", positive[1]])
        let result = try dspyc.run(["compile", "--signature", signature, "--trainset", train, "--devset", train])
        #expect(result.status != 0)
        #expect(result.output.contains("train.jsonl"))
        #expect(result.output.contains("line 2") || result.output.contains(":2"), "\(result.output)")
    }

    @Test("A signature field missing from the data is reported with file and line")
    func missingField() throws {
        let dspyc = try DSPyCRunner()
        defer { dspyc.remove() }
        let train = try dspyc.write("train.jsonl", [#"{"body": "hello", "sentiment": "positive"}"#])
        let result = try dspyc.run(["compile", "--signature", signature, "--trainset", train, "--devset", train])
        #expect(result.status != 0)
        #expect(result.output.contains("train.jsonl:1:") && result.output.contains("`text`"), "\(result.output)")
    }

    @Test("Unknown metrics and optimizers are errors that list the known ones")
    func unknownMetricAndOptimizer() throws {
        let dspyc = try DSPyCRunner()
        defer { dspyc.remove() }
        let train = try dspyc.write("train.jsonl", positive)
        let metric = try dspyc.run(["compile", "--signature", signature, "--trainset", train, "--devset", train,
                                    "--metric", "accuracy"])
        #expect(metric.status != 0)
        #expect(metric.output.contains("accuracy") && metric.output.contains("exact-match"), "\(metric.output)")
        let optimizer = try dspyc.run(["compile", "--signature", signature, "--trainset", train, "--devset", train,
                                       "--optimizer", "gradient-descent"])
        #expect(optimizer.status != 0)
        #expect(optimizer.output.contains("gradient-descent") && optimizer.output.contains("bootstrap"), "\(optimizer.output)")
    }

    @Test("dspyc prompt renders DSPy's messages without a model")
    func prompt() throws {
        let dspyc = try DSPyCRunner()
        defer { dspyc.remove() }
        let result = try dspyc.run(["prompt", "--signature", "question -> answer", "--input", "question=Why?", "--json"])
        #expect(result.status == 0)
        #expect(result.output.contains("\"role\": \"system\""))
        #expect(result.output.contains("[[ ## question ## ]]\\nWhy?"))
    }
}
