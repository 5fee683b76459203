import Foundation
import Testing

@testable import DSPyEngine

/// Seeded GGUF fuzzing: mutated copies of the tiny synthetic Llama model (both
/// tokenizer kinds) go through the reader, the tokenizer, the loader and a short
/// generation; every case must work or fail with a clear error (see
/// ``GGUFFuzzHarness``). Each test prints one summary line with its counts.
///
/// Bounded: 6,000 cases in all (about 10 s in release), each file about 25 KB;
/// counts that the file could not hold are refused before anything is allocated, so
/// no case can allocate more than a small multiple of its size. The time limit only
/// catches a hang. Failures name the strategy, seed and case;
/// `DSPYC_FUZZ_VERBOSE=1` prints every refusal.
@Suite("GGUF fuzzing", .serialized, .timeLimit(.minutes(5)))
struct FuzzGGUFTests {
    static let casesPerStrategy = 2000

    @Test("The unmutated tiny models load, tokenize and generate")
    func baseModelsWork() async throws {
        for kind in TinyLlamaGGUF.Tokenizer.allCases {
            let url = try TinyLlamaGGUF.model(kind).write()
            defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
            let model = try TextModel(contentsOf: url, threads: 1, prefixCacheBudget: 0)
            #expect(model.configuration.headDimension == 8)
            let ids = model.tokenizer.encode("hello the thin", parseSpecial: false, addSpecial: false)
            #expect(model.tokenizer.decode(ids) == "hello the thin")
            let prompt = try model.encodeChat([ChatMessage(.user, "hello")])
            let result = try await model.generate(prompt: prompt, parameters: SamplingParameters(temperature: 0, maxTokens: 4))
            #expect(result.tokens.count >= 1)
            #expect(result.tokens.allSatisfy { $0 >= 0 && Int($0) < model.tokenizer.vocabularySize })
        }
    }

    @Test("Byte mutations of a model file are refused clearly or load and run")
    func byteMutations() async throws {
        try await fuzz("bytes", seed: 0xB17E5) { $0.byteMutation() }
    }

    @Test("Field mutations (counts, types, lengths, shapes, offsets) are refused clearly or load and run")
    func fieldMutations() async throws {
        try await fuzz("fields", seed: 0xF1E1D) { $0.fieldMutation() }
    }

    @Test("Model edits (hyperparameters, token ids, tokenizer, tensors) are refused clearly or load and run")
    func semanticMutations() async throws {
        try await fuzz("model", seed: 0x5E3A) { $0.semanticMutation() }
    }

    private func fuzz(
        _ name: String, seed: UInt64, _ mutate: (inout GGUFMutator) -> (bytes: [UInt8], label: String)
    ) async throws {
        let harness = try GGUFFuzzHarness(name: name)
        let clock = ContinuousClock()
        let start = clock.now
        var mutators = TinyLlamaGGUF.Tokenizer.allCases.map { GGUFMutator(seed: seed, kind: $0) }
        for index in 0..<Self.casesPerStrategy {
            let which = index % mutators.count
            let (bytes, label) = mutate(&mutators[which])
            await harness.run(bytes, label: "\(name) seed \(seed) case \(index) (\(mutators[which].kind)): \(label)")
        }
        print(harness.summary(name, duration: clock.now - start))
        #expect(harness.cases == Self.casesPerStrategy)
        // Both outcomes must occur, or the mutations are too mild or too wild to test anything.
        #expect(harness.loaded > 0)
        #expect(harness.refusedByReader + harness.refusedByLoader > 0)
    }
}
