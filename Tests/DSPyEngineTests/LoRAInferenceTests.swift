import DSPyTestSupport
import Foundation
import Testing

@testable import DSPyEngine

/// Adapters loaded, mixed, switched and unloaded in one engine (tiny llama, F32).
@Suite("LoRA adapters at inference")
struct LoRAInferenceTests {
    static func fixture() throws -> LoRAFixtures.Case {
        try #require(try LoRAFixtures.oracle().cases.first { $0.model == "tiny-llama-f32.gguf" && $0.loraScale == 1 })
    }

    static func halfScaleFixture() throws -> LoRAFixtures.Case {
        try #require(try LoRAFixtures.oracle().cases.first { $0.model == "tiny-llama-f32.gguf" && $0.loraScale == 0.5 })
    }

    static func argmax(_ row: ArraySlice<Float>) -> Int32 {
        Int32(row.indices.max { row[$0] < row[$1] || (row[$0] == row[$1] && $0 > $1) }! - row.startIndex)
    }

    @Test("Unloading restores the base model's logits exactly, and a loaded but unused adapter changes nothing")
    func unloadRestoresBase() async throws {
        let fixture = try Self.fixture()
        let engine = try LanguageEngine(contentsOf: LoRAFixtures.modelFile(fixture.model), threads: 2)
        let prompt = fixture.prompts[0].ids
        func logits(_ adapter: AdapterID?) async throws -> [Float] {
            let sequence = await engine.makeSequence()
            defer { Task { await engine.removeSequence(sequence) } }
            return try await engine.evaluate([EvaluationRequest(sequence: sequence, tokens: prompt, logits: .all, adapter: adapter)])[0]
                .logits.values
        }
        let base = try await logits(nil)
        let id = try await engine.loadAdapter(LoRAAdapter(contentsOf: LoRAFixtures.adapterFile(for: fixture.model), base: engine.file))
        #expect(try await logits(nil) == base)
        let adapted = try await logits(id)
        #expect(adapted != base)
        await engine.unloadAdapter(id)
        #expect(try await logits(nil) == base)
        await #expect(throws: EngineError.self) { try await logits(id) }
        #expect(await engine.loadedAdapters.isEmpty)
    }

    /// Four sequences in every pass: adapter X (scale 1), none, adapter Y (the same file at
    /// scale 0.5) and X again, so X's rows are not consecutive. Each follows its own greedy
    /// tokens, and each must get llama.cpp's tokens for its adapter (or the base model's).
    @Test("Requests with different adapters (and none) in one batch each get their own adapter's tokens")
    func mixedBatch() async throws {
        let fixture = try Self.fixture(), half = try Self.halfScaleFixture()
        let engine = try LanguageEngine(
            contentsOf: LoRAFixtures.modelFile(fixture.model), threads: 2, kernelOrder: TinyModelTests.fixtureOrder)
        let adapter = try LoRAAdapter(contentsOf: LoRAFixtures.adapterFile(for: fixture.model), base: engine.file)
        let x = try await engine.loadAdapter(adapter)
        let y = try await engine.loadAdapter(adapter, scale: 0.5)
        let lanes: [(AdapterID?, LoRAFixtures.Prompt, [Int32])] = [
            (x, fixture.prompts[0], fixture.prompts[0].greedyIDs),
            (nil, fixture.prompts[0], fixture.prompts[0].baseGreedyIDs),
            (y, half.prompts[1], half.prompts[1].greedyIDs),
            (x, fixture.prompts[1], fixture.prompts[1].greedyIDs),
        ]
        var sequences: [SequenceID] = []
        for _ in lanes { sequences.append(await engine.makeSequence()) }
        var next = lanes.map { $0.1.ids }
        var produced = [[Int32]](repeating: [], count: lanes.count)
        for _ in 0..<8 {
            let results = try await engine.evaluate(lanes.indices.map {
                EvaluationRequest(sequence: sequences[$0], tokens: next[$0], adapter: lanes[$0].0)
            })
            for lane in lanes.indices {
                let token = Self.argmax(results[lane].logits.last!)
                produced[lane].append(token)
                next[lane] = [token]
            }
        }
        for lane in lanes.indices {
            #expect(produced[lane] == Array(lanes[lane].2.prefix(8)), "lane \(lane) (\(lanes[lane].0?.description ?? "no adapter"))")
        }
    }

    @Test("A sequence keeps its adapter: continuing it with another (or none) is refused")
    func sequenceKeepsItsAdapter() async throws {
        let fixture = try Self.fixture()
        let engine = try LanguageEngine(contentsOf: LoRAFixtures.modelFile(fixture.model), threads: 2)
        let id = try await engine.loadAdapter(LoRAAdapter(contentsOf: LoRAFixtures.adapterFile(for: fixture.model), base: engine.file))
        let sequence = await engine.makeSequence()
        _ = try await engine.evaluate([EvaluationRequest(sequence: sequence, tokens: [1, 2, 3], adapter: id)])
        await #expect(throws: EngineError.self) { try await engine.evaluate([1], in: sequence) }
        let fork = try await engine.forkSequence(sequence, length: 2)
        await #expect(throws: EngineError.self) { try await engine.evaluate([4], in: fork) }
        _ = try await engine.evaluate([EvaluationRequest(sequence: fork, tokens: [4], adapter: id)])
        try await engine.truncate(sequence, to: 0)
        _ = try await engine.evaluate([5], in: sequence)
    }

    /// One prompt, longer than the prefix cache's minimum, generated with the adapter, without,
    /// and with it again: the base run must not start from the adapter's cached keys (so its
    /// tokens are the base model's), and the second adapter run may reuse the first's.
    @Test("The prefix cache never hands keys computed with one adapter to another or to none")
    func prefixCacheIsKeyedByAdapter() async throws {
        let fixture = try Self.fixture()
        let model = try TextModel(contentsOf: LoRAFixtures.modelFile(fixture.model), threads: 2)
        let id = try await model.loadAdapter(contentsOf: LoRAFixtures.adapterFile(for: fixture.model))
        let prompt = fixture.prompts[1].ids
        let parameters = SamplingParameters(temperature: 0, maxTokens: 6)
        let first = try await model.generate(prompt: prompt, parameters: parameters, options: GenerationOptions(adapter: id))
        let base = try await model.generate(prompt: prompt, parameters: parameters)
        let again = try await model.generate(prompt: prompt, parameters: parameters, options: GenerationOptions(adapter: id))
        #expect(first.cachedPromptTokens == 0)
        #expect(base.cachedPromptTokens == 0)
        #expect(again.cachedPromptTokens > 0)
        #expect(again.tokens == first.tokens)
        #expect(first.tokens != base.tokens)

        await model.unloadAdapter(id)
        let afterUnload = try await model.generate(prompt: prompt, parameters: parameters)
        #expect(afterUnload.tokens == base.tokens)
        await #expect(throws: EngineError.self) {
            try await model.generate(prompt: prompt, parameters: parameters, options: GenerationOptions(adapter: id))
        }
    }
}
