import DSPyTestSupport
import Foundation
import Testing

@testable import DSPyEngine

@Suite("GGUF reader")
struct GGUFFileTests {
    @Test("The default model's metadata and tensor directory equal gguf_metadata.json")
    func defaultModelMatchesGoldenMetadata() throws {
        let golden = try GoldenFiles.metadataJSON()
        let file = try GGUFFile(contentsOf: Fixtures.defaultModel)
        #expect(file.version == 3)
        #expect(file.fileSize == 98_362_432)
        #expect(file.tensors.count == golden["tensor_count"] as? Int)
        #expect(file.dataOffset == golden["data_offset"] as? Int)
        #expect(file.alignment == golden["alignment"] as? Int)

        let kv = try #require(golden["kv"] as? [String: [String: Any]])
        #expect(file.metadata.keys.sorted() == kv.keys.sorted())
        for (key, entry) in kv {
            #expect(file.metadata[key]?.typeName == entry["type"] as? String, "type of \(key)")
            if let length = entry["len"] as? Int {
                #expect(file.metadata[key]?.array?.count == length, "length of \(key)")
            }
        }
        #expect(file.metadata["general.architecture"]?.string == "llama")
        #expect(file.metadata["llama.block_count"]?.int == 30)
        #expect(file.metadata["llama.rope.freq_base"]?.float == 100_000)
        #expect(file.metadata["tokenizer.ggml.add_bos_token"]?.bool == false)
        let tokens = try #require(file.metadata["tokenizer.ggml.tokens"]?.strings)
        #expect(tokens.count == 49152)
        #expect(Array(tokens.prefix(3)) == ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
        #expect(file.metadata["tokenizer.ggml.token_type"]?.integers?.prefix(2) == [3, 3])
        #expect(file.metadata["tokenizer.ggml.merges"]?.strings?.first == "Ġ t")

        let tensors = try #require(golden["tensors"] as? [[String: Any]])
        #expect(tensors.count == file.tensors.count)
        for (expected, actual) in zip(tensors, file.tensors) {
            #expect(actual.name == expected["name"] as? String)
            #expect(actual.type.name == expected["type"] as? String)
            #expect(actual.shape == expected["shape"] as? [Int])
            #expect(actual.fileOffset == expected["offset"] as? Int)
            #expect(actual.byteCount == expected["n_bytes"] as? Int)
        }
    }

    @Test("The default model's configuration has SmolLM2-135M's shape")
    func defaultModelConfiguration() throws {
        let file = try GGUFFile(contentsOf: Fixtures.defaultModel)
        let configuration = try ModelConfiguration(metadata: file.metadata)
        #expect(configuration == ModelConfiguration(
            architecture: "llama", hiddenSize: 576, layerCount: 30, headCount: 9, kvHeadCount: 3,
            headDimension: 64, feedForwardSize: 1536, ropeBase: 100_000, ropeDimensions: 64,
            rmsEpsilon: configuration.rmsEpsilon, contextLength: 8192, vocabularySize: 49152))
        #expect(abs(configuration.rmsEpsilon - 1e-5) < 1e-9)
    }

    @Test("Every metadata value type, nested arrays included, reads back")
    func readsEveryValueType() throws {
        var gguf = SyntheticGGUF()
        gguf.metadata = [
            ("general.architecture", .string("llama")),
            ("a.u32", .uint32(7)),
            ("a.f32", .float32(0.5)),
            ("a.bool", .bool(true)),
            ("a.strings", .strings(["x", "héllo", ""])),
            ("a.ints", .int32s([-1, 2, 3])),
            ("a.nested", .nested([[1, 2], [3]])),
        ]
        let file = try GGUFFile(contentsOf: try gguf.write())
        #expect(file.metadata.keys == gguf.metadata.map(\.0))
        #expect(file.metadata["a.u32"] == .uint32(7))
        #expect(file.metadata["a.f32"]?.float == 0.5)
        #expect(file.metadata["a.bool"]?.bool == true)
        #expect(file.metadata["a.strings"]?.strings == ["x", "héllo", ""])
        #expect(file.metadata["a.ints"]?.integers == [-1, 2, 3])
        #expect(file.metadata["a.ints"]?.floats == [-1, 2, 3])
        #expect(file.metadata["a.nested"] == .array(.array([.uint8([1, 2]), .uint8([3])])))
        #expect(file.metadata["a.nested"]?.typeName == "ARRAY[ARRAY]")
        #expect(file.tensors.isEmpty)
        #expect(throws: EngineError.missingMetadata(path: file.path, key: "nope")) {
            try file.metadata.requiredInt("nope")
        }
        #expect(throws: EngineError.metadataTypeMismatch(path: file.path, key: "a.strings", expected: "an integer", found: "ARRAY[STRING]")) {
            try file.metadata.requiredInt("a.strings")
        }
    }
}
