import ArgumentParser
import DSPyEngine
import Foundation

/// `dspyc bench`: the engine's speed, like llama-bench, optionally beside llama.cpp's.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure prompt processing, generation, batched decoding, the prefix cache and memory.",
        discussion: """
            Figures are tokens per second, best of three after a warm-up. With --reference, \
            llama.cpp (through the given Python's llama-cpp-python) is measured on the same GGUF \
            in the same run and dspyc's figures are printed as ratios of its. With --endpoint, \
            a remote model is measured from outside instead: requests/s and completion tokens/s \
            for each --clients count (e.g. 1,8: 8 concurrent clients' aggregate against one's).
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var remote: RemoteModelOptions

    @Option(help: "Prompt tokens for prompt processing (pp).")
    var prompt = 512
    @Option(help: "Generated tokens for generation (tg).")
    var generate = 128
    @Option(help: "Sequences decoded together for the batched figure.")
    var batch = 8
    @Option(help: "Cached prefix length for the prefix-cache figure.")
    var prefix = 400
    @Option(help: "A Python with llama-cpp-python, to measure llama.cpp in the same run.")
    var reference: String?
    @Flag(help: "Print the figures as one JSON object.")
    var json = false
    @Option(help: "With --endpoint: concurrent client counts to measure, comma-separated.")
    var clients = "1,8"
    @Option(help: "With --endpoint: requests each client sends.")
    var requests = 4
    @OptionGroup var loraOptions: LoRAOptions
    @Option(help: "Measure LoRA training instead: forward + backward tokens/s on sequences of this many tokens.")
    var trainTokens: Int?

    func run() async throws {
        if remote.isRemote { return try await runRemote() }
        let model = try modelOptions.load()
        if let trainTokens { return try await runTraining(model: model, tokens: trainTokens) }
        var benchmark = EngineBenchmark()
        benchmark.promptTokens = prompt
        benchmark.generatedTokens = generate
        benchmark.batchSequences = batch
        benchmark.prefixTokens = prefix
        benchmark.adapter = try await loraOptions.load(into: model)
        let report = try await benchmark.run(on: model) { Log.status("bench: " + $0) }
        var llama: LlamaCppReference.Figures?
        if let reference {
            Log.status("bench: llama.cpp reference (\(reference))")
            llama = try LlamaCppReference.measure(
                python: reference, model: try modelOptions.resolveModelURL(), threads: report.threads,
                promptTokens: prompt, generatedTokens: generate)
        }
        let llamaFraction = llama.flatMap { llama in
            report.int8Peak?.fraction(tokensPerSecond: llama.promptTokensPerSecond,
                                      multiplyAddsPerToken: report.promptMultiplyAddsPerToken)
        }
        if json {
            print(try JSONOutput.encode(BenchSummary(dspyc: report, llamaCpp: llama, llamaCppPromptPeakFraction: llamaFraction)))
            return
        }
        let table = TextTable(header: ["TEST", "DSPYC t/s", "LLAMA.CPP t/s", "RATIO"])
        func row(_ name: String, _ ours: Double, _ theirs: Double?) {
            table.add([name, String(format: "%.1f", ours), theirs.map { String(format: "%.1f", $0) } ?? "-",
                       theirs.map { String(format: "%.2f×", ours / $0) } ?? "-"])
        }
        row("pp\(prompt)", report.promptTokensPerSecond, llama?.promptTokensPerSecond)
        row("tg\(generate)", report.generationTokensPerSecond, llama?.generationTokensPerSecond)
        table.add(["tg, \(batch) sequences", String(format: "%.1f", report.batchedTokensPerSecond), "-",
                   String(format: "%.2f× single", report.batchedTokensPerSecond / report.generationTokensPerSecond)])
        print(table.render(), terminator: "")
        print(String(format: "prefix cache: prefill with %d cached tokens takes %.1f%% of the uncached time",
                     prefix, report.cachedPrefillRatio * 100))
        if let s = report.speculation {
            print(String(format: "speculation (copy task, greedy, same %d tokens): %.1f → %.1f tokens/s (%.2f×), %d of %d guesses kept",
                         s.generatedTokens, s.plainTokensPerSecond, s.speculativeTokensPerSecond,
                         s.speculativeTokensPerSecond / s.plainTokensPerSecond, s.acceptedDraftTokens, s.draftedTokens))
        }
        if let line = peakLine(report, llamaFraction: llamaFraction) { print(line) }
        print(String(format: "peak RSS: %.0f MB; threads: %d", Double(report.peakResidentBytes) / 1e6, report.threads))
    }

    /// "int8 peak: 2 threads × avx2: 123.4 GMAC/s; pp512 uses 41.2 % of it (0.11 GMAC a token), tg128 3.1 %",
    /// with llama.cpp's pp fraction when it was measured; nil without a peak.
    private func peakLine(_ report: EngineBenchmark.Report, llamaFraction: Double?) -> String? {
        guard let peak = report.int8Peak, let pp = report.promptPeakFraction, let tg = report.generationPeakFraction else {
            return nil
        }
        var line = String(format: "int8 peak: %d threads × %@: %.1f GMAC/s; pp%d uses %.1f %% of it (%.3f GMAC a token), tg%d %.1f %%",
                          peak.threads, peak.path.rawValue, peak.multiplyAddsPerSecond / 1e9, prompt, pp * 100,
                          report.promptMultiplyAddsPerToken / 1e9, generate, tg * 100)
        if let llamaFraction { line += String(format: "; llama.cpp's pp%d %.1f %%", prompt, llamaFraction * 100) }
        return line
    }
}

extension BenchCommand {
    /// `--train-tokens N`: LoRA training speed (``TrainingBenchmark``) with the default adapter shape.
    func runTraining(model: TextModel, tokens: Int) async throws {
        var benchmark = TrainingBenchmark()
        benchmark.sequenceTokens = tokens
        Log.status("bench: training on \(benchmark.sequencesPerStep * (benchmark.steps + 1)) sequences of \(tokens) tokens")
        let report = try await benchmark.run(on: model)
        if json { return print(try JSONOutput.encode(report)) }
        print(String(format: "training: %.1f tokens/s (forward + backward), %.2f s per %d-token sequence (%d targets)",
                     report.tokensPerSecond, report.secondsPerSequence, tokens, report.targetTokens))
        print(String(format: "estimate: %.1f min for %d sequences × %d epochs", report.estimatedSeconds / 60,
                     report.examples, report.epochs))
        print(String(format: "trainer memory: %.0f MB; peak RSS: %.0f MB; threads: %d", Double(report.trainerBytes) / 1e6,
                     Double(report.peakResidentBytes) / 1e6, report.threads))
    }

    /// `--endpoint`: requests/s and tokens/s per concurrent client count (``RemoteBench``).
    func runRemote() async throws {
        let counts = clients.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ $0 >= 1 }), requests >= 1 else {
            throw ValidationError("--clients takes positive counts such as 1,8 and --requests a positive number")
        }
        var remote = remote
        remote.maxRequests = max(remote.maxRequests, counts.max() ?? 1)
        guard let lm = try remote.languageModel(model: modelOptions.model) else { return }
        let bench = RemoteBench(lm: lm, clients: counts, requestsPerClient: requests, generatedTokens: generate)
        let report = try await bench.run { Log.status("bench: " + $0) }
        if json {
            print(try JSONOutput.encode(report))
        } else {
            print(RemoteBench.render(report), terminator: "")
        }
    }
}

private struct BenchSummary: Codable {
    var dspyc: EngineBenchmark.Report
    var llamaCpp: LlamaCppReference.Figures?
    /// llama.cpp's pp tokens/s × dspyc's int8 multiply-adds per prompt token ÷ dspyc's measured peak.
    var llamaCppPromptPeakFraction: Double?
}
