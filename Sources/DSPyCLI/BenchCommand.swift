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
            in the same run and dspyc's figures are printed as ratios of its.
            """)

    @OptionGroup var modelOptions: ModelOptions

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

    func run() async throws {
        let model = try modelOptions.load()
        var benchmark = EngineBenchmark()
        benchmark.promptTokens = prompt
        benchmark.generatedTokens = generate
        benchmark.batchSequences = batch
        benchmark.prefixTokens = prefix
        let report = try await benchmark.run(on: model) { Log.status("bench: " + $0) }
        var llama: LlamaCppReference.Figures?
        if let reference {
            Log.status("bench: llama.cpp reference (\(reference))")
            llama = try LlamaCppReference.measure(
                python: reference, model: try modelOptions.resolveModelURL(), threads: report.threads,
                promptTokens: prompt, generatedTokens: generate)
        }
        if json {
            print(try JSONOutput.encode(BenchSummary(dspyc: report, llamaCpp: llama)))
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
        print(String(format: "peak RSS: %.0f MB; threads: %d", Double(report.peakResidentBytes) / 1e6, report.threads))
    }
}

private struct BenchSummary: Codable {
    var dspyc: EngineBenchmark.Report
    var llamaCpp: LlamaCppReference.Figures?
}
