import DSPyUtilities
import Foundation
import Testing
@testable import DSPyCLI

private let signature = "text -> sentiment: Literal['positive', 'negative']"
private let rowsA = [
    #"{"text": "I love this, what a wonderful day", "sentiment": "positive"}"#,
    #"{"text": "Great news, I am so happy", "sentiment": "positive"}"#,
    #"{"text": "This is awful, I hate it", "sentiment": "negative"}"#,
    #"{"text": "Terrible service and a rude waiter", "sentiment": "negative"}"#,
]
private let rowsB = [
    #"{"text": "The concert was amazing", "sentiment": "positive"}"#,
    #"{"text": "The app keeps crashing", "sentiment": "negative"}"#,
    #"{"text": "Lovely people and great food", "sentiment": "positive"}"#,
]

/// Runs `dspyc arguments` to the end with standard output and standard error apart.
private func finished(_ dspyc: DSPyCRunner, _ arguments: [String], _ label: String) async throws -> DSPyCProcess {
    let process = try DSPyCProcess(dspyc, arguments, label: label)
    await process.finish()
    return process
}

/// The number of demos in an exported (single-predictor) state.
private func demoCount(_ exported: String) throws -> Int {
    let object = try JSONSerialization.jsonObject(with: Data(exported.utf8)) as? [String: Any]
    let demos = try #require(object?["demos"] as? [Any], "no demos in \(exported)")
    return demos.count
}

/// The command between the first pair of backticks in `text`.
private func quotedCommand(in text: String) throws -> String {
    let parts = text.components(separatedBy: "`")
    return try #require(parts.count >= 3 ? parts[1] : nil, "no `command` in \(text)")
}

@Suite("Ad-hoc programs are identified by their signature and data", .serialized)
struct AdHocProgramIdentityTests {
    @Test("run, eval and export use the compile made on the data they name, and the latest without data")
    func compileChosenByData() async throws {
        let dspyc = try DSPyCRunner()
        defer { dspyc.remove() }
        let a = try dspyc.write("a.jsonl", rowsA)
        let b = try dspyc.write("b.jsonl", rowsB)
        let onA = ["--signature", signature, "--trainset", a, "--devset", a]
        let onB = ["--signature", signature, "--trainset", b, "--devset", b]
        let compileA = ["compile"] + onA + ["--optimizer", "labeled", "--threads", "1", "--json"]
        #expect(try await finished(dspyc, compileA, "compile-a").status == 0)
        let compileB = try await finished(dspyc, ["compile"] + onB + ["--optimizer", "labeled", "--set", "k=1", "--threads", "1"], "compile-b")
        #expect(compileB.status == 0, "\(compileB.stderr)")

        // Each data set finds its own compile, although B's is the later one.
        let exportA = try await finished(dspyc, ["export"] + onA, "export-a")
        #expect(exportA.status == 0, "\(exportA.stderr)")
        #expect(try demoCount(exportA.stdout) == 4)
        #expect(try demoCount(try await finished(dspyc, ["export"] + onB, "export-b").stdout) == 1)
        let runA = try await finished(dspyc, ["run"] + onA + ["--input", "text=What a lovely day", "--threads", "1"], "run-a")
        #expect(runA.status == 0, "\(runA.stderr)")
        let inspect = try dspyc.run(["inspect", "--last", "1"])
        #expect(inspect.output.components(separatedBy: "User message:").count - 1 == 5, "four demos, then the input: \(inspect.output)")

        // Without data: the latest compile (B), saying which data it was compiled on.
        let latest = try await finished(dspyc, ["export", "--signature", signature], "export-latest")
        #expect(latest.status == 0, "\(latest.stderr)")
        #expect(try demoCount(latest.stdout) == 1)
        #expect(latest.stderr.contains("compiled on --trainset \(b)"), "\(latest.stderr)")
        let evalLatest = try await finished(dspyc, ["eval", "--signature", signature, "--threads", "1"], "eval-latest")
        #expect(evalLatest.status == 0, "\(evalLatest.stderr)")
        #expect(evalLatest.stdout.contains("on 3 examples"), "B's dev set: \(evalLatest.stdout)")

        // Data that were never compiled together: an error naming the compiles there are.
        let mixed = try await finished(dspyc, ["export", "--signature", signature, "--trainset", a, "--devset", b], "export-mixed")
        #expect(mixed.status != 0)
        #expect(mixed.stderr.contains("has not been compiled on these data"), "\(mixed.stderr)")
        #expect(mixed.stderr.contains("--trainset \(a) --devset \(a)") && mixed.stderr.contains("--trainset \(b) --devset \(b)"),
                "\(mixed.stderr)")
        #expect(try await finished(dspyc, ["export"] + onA + ["--metric", "f1"], "export-f1").status != 0)

        // Compiling A again is answered from the store and makes A's compile the latest.
        let again = try await finished(dspyc, compileA, "compile-a-again")
        #expect(again.stdout.contains("\"cached\" : true"), "\(again.stdout)")
        #expect(try demoCount(try await finished(dspyc, ["export", "--signature", signature], "export-latest-2").stdout) == 4)
    }

    @Test("A program never compiled suggests a compile command that runs as printed")
    func runnableCompileHint() async throws {
        let dspyc = try DSPyCRunner()
        defer { dspyc.remove() }
        let folder = dspyc.home.appendingPathComponent("it's my data")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let data = folder.appendingPathComponent("train $1.jsonl")
        try Data((rowsA.joined(separator: "\n") + "\n").utf8).write(to: data)
        let flags = ["--signature", signature, "--trainset", data.path, "--devset", data.path, "--metric", "exact_match"]

        let eval = try await finished(dspyc, ["eval"] + flags + ["--threads", "1"], "eval")
        #expect(eval.status != 0)
        let command = try quotedCommand(in: eval.stderr)
        #expect(command.hasPrefix("dspyc compile --signature "), "\(command)")
        #expect(!command.contains("ad-hoc:"), "\(command)")
        // The command runs as printed in a POSIX shell (with `dspyc` on the PATH), and then eval works.
        var environment = ProcessInfo.processInfo.environment
        environment["DSPYC_HOME"] = dspyc.home.path
        environment["PATH"] = DSPyCRunner.executable.deletingLastPathComponent().path + ":" + (environment["PATH"] ?? "")
        let compile = try Subprocess.run("/bin/sh", ["-c", command + " --optimizer labeled --threads 1"], environment: environment)
        #expect(compile.status == 0, "\(command)\n\(compile.output)")
        #expect(try await finished(dspyc, ["eval"] + flags + ["--threads", "1"], "eval-again").status == 0)

        // With no data at all the command shows where the files go; a registered program's is its name.
        let bare = try await finished(dspyc, ["export", "--signature", "question -> answer"], "export-bare")
        #expect(bare.status != 0)
        #expect(try quotedCommand(in: bare.stderr)
                == "dspyc compile --signature 'question -> answer' --trainset TRAIN.jsonl --devset DEV.jsonl")
        let registered = try await finished(dspyc, ["export", "sentiment"], "export-registered")
        #expect(try quotedCommand(in: registered.stderr) == "dspyc compile sentiment")
    }

    @Test("Shell quoting gives back every word unchanged through /bin/sh")
    func shellQuoting() throws {
        let words = [
            "plain", "text -> answer", signature, "it's", #"say "hi""#, "$HOME", "a'b$c", "back\\slash", "!bang",
            "", "tab\there", "new\nline", "ünïcödé ✓", "--trainset=x", "*.jsonl", "~/x", "a;b|c&d", "`cmd`",
        ]
        for word in words {
            let quoted = Shell.quote(word)
            let echoed = try Subprocess.run("/bin/sh", ["-c", "printf '%s' " + quoted])
            #expect(echoed.status == 0)
            #expect(echoed.output == word, "\(word) quoted as \(quoted)")
        }
        #expect(Shell.quote(signature) == #""text -> sentiment: Literal['positive', 'negative']""#)
        #expect(Shell.quote("data/train.jsonl") == "data/train.jsonl")
    }
}
