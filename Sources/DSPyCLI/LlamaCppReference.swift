import DSPyUtilities
import Foundation

/// llama.cpp's speed on the same GGUF, measured through `llama-cpp-python` in the
/// same invocation as dspyc's own figures (`dspyc bench --reference PYTHON`).
///
/// The script runs in a child Python that has `llama-cpp-python` installed
/// (`pip install llama-cpp-python`); it times pp and tg the way llama-bench does.
enum LlamaCppReference {
    struct Figures: Codable {
        var promptTokensPerSecond: Double
        var generationTokensPerSecond: Double
        var version: String
    }

    static func measure(python: String, model: URL, threads: Int, promptTokens: Int, generatedTokens: Int) throws -> Figures {
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("dspyc-llama-cpp-bench.py")
        try Data(source.utf8).write(to: script)
        defer { try? FileManager.default.removeItem(at: script) }
        let result = try Subprocess.run(python, [
            script.path, model.path, "--threads", String(threads), "--prompt", String(promptTokens),
            "--generate", String(generatedTokens),
        ])
        guard result.status == 0, let line = result.output.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
              let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let pp = object["pp\(promptTokens)"] as? Double, let tg = object["tg\(generatedTokens)"] as? Double
        else {
            throw CLIError("the llama.cpp reference run failed (is llama-cpp-python installed for \(python)?):\n\(result.output)")
        }
        return Figures(promptTokensPerSecond: pp, generationTokensPerSecond: tg,
                       version: object["llama_cpp_python"] as? String ?? "?")
    }

    /// The measuring script (run with the model path).
    static let source = #"""
#!/usr/bin/env python3
"""llama.cpp's speed on a GGUF, measured like llama-bench (pp512, tg128), via llama-cpp-python.

`dspyc bench --reference PYTHON` runs this in the same invocation and prints
dspyc's figures as ratios of these. Prints one JSON object:
{"pp512": tokens/s, "tg128": tokens/s, "threads": N, "llama_cpp_python": version}.
"""
import argparse
import json
import random
import time

import llama_cpp
from llama_cpp import Llama


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--prompt", type=int, default=512)
    parser.add_argument("--generate", type=int, default=128)
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()

    llm = Llama(model_path=args.model, n_ctx=args.prompt + args.generate + 16, n_batch=args.prompt,
                n_threads=args.threads, n_threads_batch=args.threads, verbose=False, logits_all=False)
    rng = random.Random(0)
    vocab = llm.n_vocab()
    prompt = [rng.randrange(1000, vocab) for _ in range(args.prompt)]

    def best_of(run):
        run()  # warm-up
        return max(run() for _ in range(args.repetitions))

    def prompt_processing():
        llm.reset()
        start = time.perf_counter()
        llm.eval(prompt)
        return args.prompt / (time.perf_counter() - start)

    def generation():
        llm.reset()
        token = prompt[0]
        start = time.perf_counter()
        for _ in range(args.generate):
            llm.eval([token])
            token = rng.randrange(1000, vocab)
        return args.generate / (time.perf_counter() - start)

    print(json.dumps({
        "pp%d" % args.prompt: round(best_of(prompt_processing), 1),
        "tg%d" % args.generate: round(best_of(generation), 1),
        "threads": args.threads,
        "llama_cpp_python": llama_cpp.__version__,
    }))


if __name__ == "__main__":
    main()
"""#
}
