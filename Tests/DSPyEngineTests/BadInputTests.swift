import DSPyTestSupport
import Foundation
import Testing

@testable import DSPyEngine

@Suite("Bad input gives clear errors")
struct BadInputTests {
    static func oneTensorFile(type: UInt32 = 0, bytes: Int = 64) -> SyntheticGGUF {
        var gguf = SyntheticGGUF()
        gguf.metadata = [("general.architecture", .string("llama"))]
        gguf.tensors = [.init(name: "blk.0.attn_norm.weight", type: type, shape: [16], data: Array(repeating: 0, count: bytes))]
        return gguf
    }

    @Test("A file cut off inside its metadata is a truncated-file error")
    func truncatedFile() throws {
        var gguf = Self.oneTensorFile()
        gguf.metadata.append(("tokenizer.ggml.tokens", .strings(["a", "b", "c"])))
        let bytes = gguf.bytes()
        let url = try gguf.write(bytes: Array(bytes.prefix(70)))
        do {
            _ = try GGUFFile(contentsOf: url)
            Issue.record("expected an error")
        } catch let error as EngineError {
            guard case let .truncatedFile(path, reading, _, _, fileSize) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(path == url.path)
            #expect(fileSize == 70)
            #expect(reading.contains("tokenizer.ggml.tokens") || reading.contains("metadata"))
            #expect(error.description.contains("truncated"))
        }
    }

    @Test("A file cut off inside tensor data names the tensor")
    func truncatedTensorData() throws {
        let gguf = Self.oneTensorFile()
        let bytes = gguf.bytes()
        let url = try gguf.write(bytes: Array(bytes.dropLast(10)))
        #expect(throws: EngineError.tensorDataOutOfBounds(
            path: url.path, tensor: "blk.0.attn_norm.weight", end: bytes.count, fileSize: bytes.count - 10)) {
            try GGUFFile(contentsOf: url)
        }
    }

    @Test("A file that is not GGUF is a bad-magic error")
    func badMagic() throws {
        var gguf = Self.oneTensorFile()
        gguf.magic = Array("GGML".utf8)
        let url = try gguf.write()
        #expect(throws: EngineError.badMagic(path: url.path, found: "\"GGML\"")) { try GGUFFile(contentsOf: url) }
        let empty = try gguf.write(bytes: [])
        #expect(throws: EngineError.truncatedFile(path: empty.path, reading: "the magic", offset: 0, needed: 4, fileSize: 0)) {
            try GGUFFile(contentsOf: empty)
        }
    }

    @Test("An unknown GGUF version is an unsupported-version error")
    func unsupportedVersion() throws {
        var gguf = Self.oneTensorFile()
        gguf.version = 1
        let url = try gguf.write()
        #expect(throws: EngineError.unsupportedVersion(path: url.path, version: 1, supported: [2, 3])) {
            try GGUFFile(contentsOf: url)
        }
    }

    @Test("A tensor of an unsupported type names the tensor and the type")
    func unsupportedTensorType() throws {
        let url = try Self.oneTensorFile(type: 10).write()  // Q2_K
        let expected = EngineError.unsupportedTensorType(path: url.path, tensor: "blk.0.attn_norm.weight", type: "Q2_K (type 10)")
        #expect(throws: expected) { try GGUFFile(contentsOf: url) }
        #expect(expected.description.contains("blk.0.attn_norm.weight"))
        #expect(expected.description.contains("Q2_K"))
    }

    @Test("A missing file is a not-readable error naming the path")
    func missingFile() {
        #expect(throws: EngineError.fileNotReadable(path: "/nonexistent/model.gguf", reason: "No such file or directory")) {
            try GGUFFile(path: "/nonexistent/model.gguf")
        }
    }

    @Test("An unsupported architecture and a missing key are named")
    func architectureAndMissingKey() async throws {
        var gguf = Self.oneTensorFile()
        gguf.metadata = [("general.architecture", .string("mamba"))]
        let url = try gguf.write()
        let unsupported = EngineError.unsupportedArchitecture(path: url.path, architecture: "mamba", supported: ["gemma3", "llama", "phi3", "qwen2", "qwen3"])
        #expect(throws: unsupported) { _ = try LanguageEngine(contentsOf: url) }
        gguf.metadata = [("general.architecture", .string("llama")), ("llama.embedding_length", .uint32(16))]
        let url2 = try gguf.write()
        let missing = EngineError.missingMetadata(path: url2.path, key: "llama.attention.head_count")
        #expect(throws: missing) { _ = try LanguageEngine(contentsOf: url2) }
    }

    @Test("A prompt longer than the context is an error and leaves the sequence unchanged")
    func promptTooLong() async throws {
        let engine = try LanguageEngine(contentsOf: Fixtures.defaultModel)
        let sequence = await engine.makeSequence()
        let tooLong = [Int32](repeating: 504, count: engine.configuration.contextLength + 1)
        let expected = EngineError.promptTooLong(tokens: 8193, cached: 0, contextLength: 8192)
        await #expect(throws: expected) { _ = try await engine.evaluate(tooLong, in: sequence) }
        #expect(try await engine.length(of: sequence) == 0)
        let badToken = EngineError.tokenOutOfRange(token: 49152, vocabularySize: 49152)
        await #expect(throws: badToken) { _ = try await engine.evaluate([49152], in: sequence) }
        let unknown = EngineError.unknownSequence(id: 99)
        await #expect(throws: unknown) { _ = try await engine.evaluate([1], in: SequenceID(rawValue: 99)) }
    }
}
