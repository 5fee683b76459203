import Foundation
import Testing

@testable import DSPyEngine

/// Runs one fuzzed GGUF file through everything that reads a model file, and counts
/// what happened.
///
/// A case passes when each stage either works or throws a clear error: an
/// `EngineError` whose message names the file (or, at run time, the request), or a
/// `TokenizerError`. Any other error is recorded as an issue; a trap would kill the
/// test process, so reaching the summary line means there was none. The stages:
///
/// 1. `GGUFFile` parses the header, metadata and tensor directory;
/// 2. the tokenizer is built from the metadata (as `dspyc tokenize` does) and encodes
///    and decodes a few texts;
/// 3. `TextModel` loads the engine, tokenizer and chat template, and a short sampled
///    generation (3 tokens, with log-probabilities) runs on a chat prompt.
///
/// Files are written under `directory`, one name per case, and removed after.
final class GGUFFuzzHarness {
    let directory: URL
    private(set) var cases = 0
    private(set) var refusedByReader = 0
    private(set) var tokenizersBuilt = 0
    private(set) var loaded = 0
    private(set) var refusedByLoader = 0
    private(set) var generated = 0
    /// Refusals by their error case name (`malformedFile`, `invalidMetadata`, …).
    private(set) var refusals: [String: Int] = [:]

    init(name: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("dspyc-fuzz-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    static let sampleTexts = [
        "hello there, the thin theme", "<|im_start|>user\nhi<|im_end|>\n", "", " ", "  two  spaces\n\n",
        "ünïcödé ✓ 日本語 🙂", "\u{0}\u{1}\u{7F}", "1234567890", String(repeating: "the ", count: 40),
    ]

    /// One case: `bytes` as a file, through every stage. `label` identifies it in failures.
    func run(_ bytes: [UInt8], label: String) async {
        cases += 1
        let url = directory.appendingPathComponent("case-\(cases).gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            try Data(bytes).write(to: url)
        } catch {
            Issue.record("\(label): cannot write the case file: \(error)")
            return
        }
        let file: GGUFFile
        do {
            file = try GGUFFile(path: url.path)
        } catch {
            refusedByReader += 1
            check(error, path: url.path, label: label)
            return
        }
        do {
            let tokenizer = try Tokenizer(vocabulary: TokenizerVocabulary(metadata: file.metadata))
            tokenizersBuilt += 1
            exercise(tokenizer)
        } catch {
            check(error, path: url.path, label: label)
        }
        let model: TextModel
        do {
            model = try TextModel(contentsOf: url, threads: 1, prefixCacheBudget: 0)
        } catch {
            refusedByLoader += 1
            check(error, path: url.path, label: label)
            return
        }
        loaded += 1
        var prompt = model.tokenizer.encode("hello there")
        do {
            prompt = try model.encodeChat([ChatMessage(.user, "hello there")])
        } catch {
            check(error, path: url.path, label: label)
        }
        do {
            let parameters = SamplingParameters(temperature: 0.8, seed: 7, maxTokens: 3, logprobs: 2)
            _ = try await model.generate(prompt: prompt, parameters: parameters)
            generated += 1
        } catch {
            check(error, path: url.path, label: label)
        }
    }

    /// Encodes and decodes the sample texts, and decodes ids in and out of range.
    private func exercise(_ tokenizer: Tokenizer) {
        for text in Self.sampleTexts {
            for parseSpecial in [true, false] {
                let ids = tokenizer.encode(text, parseSpecial: parseSpecial)
                _ = tokenizer.decode(ids, renderSpecial: parseSpecial)
            }
        }
        let size = Int32(clamping: tokenizer.vocabularySize)
        var stream = tokenizer.makeStreamingDetokenizer(renderSpecial: true)
        for id in [0, 1, size / 2, size - 1, size, -1, Int32.max, Int32.min] {
            _ = tokenizer.pieceBytes(for: id, renderSpecial: true)
            _ = stream.append(id)
        }
        _ = stream.finish()
    }

    /// Set `DSPYC_FUZZ_VERBOSE=1` to print every case's label and error.
    static let verbose = ProcessInfo.processInfo.environment["DSPYC_FUZZ_VERBOSE"] == "1"

    /// Records an issue unless `error` is a clear engine or tokenizer error.
    private func check(_ error: Error, path: String, label: String) {
        if Self.verbose { print("\(label)\n    -> \(error)") }
        switch error {
        case let error as EngineError:
            refusals[Self.caseName(error), default: 0] += 1
            switch error {
            case .promptTooLong, .tokenOutOfRange, .unknownSequence, .invalidArgument:
                #expect(!error.description.isEmpty, "\(label)")
            default:
                #expect(error.description.contains(path), "\(label): the error does not name the file: \(error)")
            }
        case let error as TokenizerError:
            refusals["TokenizerError." + Self.caseName(error), default: 0] += 1
            #expect(error.description.count > 10, "\(label): \(error)")
        default:
            Issue.record("\(label): not an EngineError or TokenizerError: \(type(of: error)): \(error)")
        }
    }

    private static func caseName(_ error: Error) -> String {
        let text = String(describing: Mirror(reflecting: error).children.first?.label ?? "\(error)")
        return text
    }

    /// One line: cases, what loaded, what was refused where, and the commonest refusals.
    func summary(_ name: String, duration: Duration) -> String {
        let top = refusals.sorted { $0.value > $1.value }.prefix(6).map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return "GGUF fuzz [\(name)]: \(cases) cases, \(refusedByReader) refused by the reader, "
            + "\(tokenizersBuilt) tokenizers built, \(loaded) models loaded (\(generated) generated), "
            + "\(refusedByLoader) refused by the loader in \(duration); refusals: \(top)"
    }
}
