import Foundation
import Testing

@testable import DSPyEngine

/// The tiny model with one edit, written to a fresh file.
private func tinyModel(_ kind: TinyLlamaGGUF.Tokenizer, _ edit: (inout SyntheticGGUF) -> Void) throws -> URL {
    var gguf = TinyLlamaGGUF.model(kind)
    edit(&gguf)
    return try gguf.write()
}

/// The byte-pair tiny model with one edit.
private func tinyModel(_ edit: (inout SyntheticGGUF) -> Void) throws -> URL {
    try tinyModel(.bytePair, edit)
}

private func setting(_ key: String, _ value: SyntheticGGUF.Value) -> (inout SyntheticGGUF) -> Void {
    { gguf in
        if let index = gguf.metadata.firstIndex(where: { $0.0 == key }) {
            gguf.metadata[index].1 = value
        } else {
            gguf.metadata.append((key, value))
        }
    }
}

/// Expects `body` to throw `EngineError.invalidMetadata` for `key` in the file at `url`,
/// with a reason containing `reason`.
private func expectInvalid(
    _ url: URL, key: String, reason: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) {
    #expect(sourceLocation: sourceLocation) {
        try body()
    } throws: { error in
        guard case let EngineError.invalidMetadata(path, badKey, message) = error else { return false }
        return path == url.path && badKey == key && message.contains(reason)
            && "\(error)".contains(url.path) && "\(error)".contains(key)
    }
}

@Suite("GGUF metadata, token ids and tensors are validated on load")
struct GGUFValidationTests {
    @Test("An EOS id outside the vocabulary is refused naming the key, by the tokenizer and the model")
    func eosOutsideVocabulary() throws {
        let size = TinyLlamaGGUF.vocabulary(.bytePair).count
        let url = try tinyModel(setting("tokenizer.ggml.eos_token_id", .uint32(UInt32(size))))
        let file = try GGUFFile(contentsOf: url)
        expectInvalid(url, key: "tokenizer.ggml.eos_token_id", reason: "token id \(size) is outside the vocabulary (0..<\(size))") {
            _ = try TokenizerVocabulary(metadata: file.metadata)
        }
        expectInvalid(url, key: "tokenizer.ggml.eos_token_id", reason: "outside the vocabulary") {
            _ = try TextModel(contentsOf: url, threads: 1)
        }
    }

    @Test("BOS or EOS ids of 2^32-1, 10^9, -1 or 2^64-1 are refused, not converted", arguments: [
        ("tokenizer.ggml.bos_token_id", SyntheticGGUF.Value.uint32(UInt32.max), "4294967295"),
        ("tokenizer.ggml.eos_token_id", .uint32(UInt32.max), "4294967295"),
        ("tokenizer.ggml.bos_token_id", .uint32(1_000_000_000), "1000000000"),
        ("tokenizer.ggml.eot_token_id", .int32(-1), "-1"),
        ("tokenizer.ggml.padding_token_id", .int64(Int64(UInt32.max) + 7), "4294967302"),
        ("tokenizer.ggml.unknown_token_id", .uint32(UInt32.max), "4294967295"),
    ])
    func hugeTokenIDs(key: String, value: SyntheticGGUF.Value, shown: String) throws {
        let url = try tinyModel(.sentencePiece, setting(key, value))
        expectInvalid(url, key: key, reason: "token id \(shown) is outside") {
            _ = try TextModel(contentsOf: url, threads: 1)
        }
    }

    @Test("A NaN, infinite, zero or negative RMS epsilon or RoPE base is refused", arguments: [
        ("llama.attention.layer_norm_rms_epsilon", Float.nan), ("llama.attention.layer_norm_rms_epsilon", -1e-5),
        ("llama.attention.layer_norm_rms_epsilon", 0), ("llama.attention.layer_norm_rms_epsilon", .infinity),
        ("llama.rope.freq_base", .nan), ("llama.rope.freq_base", -10000), ("llama.rope.freq_base", 0),
    ])
    func badFloats(key: String, value: Float) throws {
        let url = try tinyModel(setting(key, .float32(value)))
        expectInvalid(url, key: key, reason: "is not a finite number greater than 0") {
            _ = try LanguageEngine(contentsOf: url, threads: 1)
        }
    }

    @Test("Zero, negative, huge and non-dividing counts are refused naming the key", arguments: [
        ("llama.attention.head_count", SyntheticGGUF.Value.uint32(0), "0 is outside 1...4096"),
        ("llama.attention.head_count", .uint32(6), "6 heads do not divide the embedding length 32"),
        ("llama.attention.head_count_kv", .uint32(3), "4 query heads cannot share 3 key/value heads evenly"),
        ("llama.attention.head_count_kv", .uint32(8), "8 is outside 1...4"),
        ("llama.block_count", .int32(-1), "-1 is outside 1...4096"),
        ("llama.context_length", .uint32(0), "0 is outside 1...67108864"),
        ("llama.embedding_length", .int64(1 << 40), "1099511627776 is outside 1...131072"),
        ("llama.feed_forward_length", .uint64(1 << 62), "4611686018427387904 is outside 1...1048576"),
        ("llama.rope.dimension_count", .uint32(9), "9 is outside 2...8"),
        ("llama.attention.key_length", .uint32(7), "the head width 7 is not an even number"),
        ("llama.attention.value_length", .uint32(16), "16 differs from the key width 8"),
        ("general.alignment", .uint32(48), "48 is not a power of two"),
        ("general.alignment", .uint64(1 << 40), "is not a power of two up to 2^30"),
    ])
    func badCounts(key: String, value: SyntheticGGUF.Value, reason: String) throws {
        let url = try tinyModel(setting(key, value))
        expectInvalid(url, key: key, reason: reason) {
            _ = try LanguageEngine(contentsOf: url, threads: 1)
        }
    }

    @Test("Per-token arrays of the wrong length and a tokenizer smaller than the model are refused")
    func tokenizerArrays() throws {
        let vocabulary = TinyLlamaGGUF.vocabulary(.sentencePiece)
        let types = try tinyModel(.sentencePiece, setting("tokenizer.ggml.token_type", .int32s(vocabulary.dropLast().map(\.1))))
        expectInvalid(types, key: "tokenizer.ggml.token_type", reason: "\(vocabulary.count - 1) entries for \(vocabulary.count) tokens") {
            _ = try TextModel(contentsOf: types, threads: 1)
        }
        let scores = try tinyModel(.sentencePiece, setting("tokenizer.ggml.scores", .floats([Float.nan] + vocabulary.dropFirst().map { _ in 0 })))
        expectInvalid(scores, key: "tokenizer.ggml.scores", reason: "the score of token 0 is NaN") {
            _ = try TextModel(contentsOf: scores, threads: 1)
        }
        // One token fewer than the embedding rows, which `llama.vocab_size` declares.
        let smaller = try tinyModel(.sentencePiece) { gguf in
            setting("tokenizer.ggml.tokens", .strings(vocabulary.dropLast().map(\.0)))(&gguf)
            setting("tokenizer.ggml.token_type", .int32s(vocabulary.dropLast().map(\.1)))(&gguf)
            setting("tokenizer.ggml.scores", .floats(vocabulary.dropLast().map { _ in 0 }))(&gguf)
            setting("llama.vocab_size", .uint32(UInt32(vocabulary.count)))(&gguf)
        }
        expectInvalid(smaller, key: "tokenizer.ggml.tokens", reason: "\(vocabulary.count - 1) tokens, but the model has \(vocabulary.count)") {
            _ = try TextModel(contentsOf: smaller, threads: 1)
        }
    }

    @Test("Tokenizer names and merges the engine cannot use are refused naming the file and key", arguments: [
        ("tokenizer.ggml.model", SyntheticGGUF.Value.string("bert"), "unsupported tokenizer model 'bert'"),
        ("tokenizer.ggml.pre", .string("qwen35"), "unsupported pre-tokenizer 'qwen35'"),
        ("tokenizer.ggml.merges", .strings(["h e", "abc"]), "malformed BPE merge #1: 'abc'"),
    ])
    func tokenizerNames(key: String, value: SyntheticGGUF.Value, reason: String) throws {
        let url = try tinyModel(setting(key, value))
        let file = try GGUFFile(contentsOf: url)
        expectInvalid(url, key: key, reason: reason) { _ = try TokenizerVocabulary(metadata: file.metadata) }
    }

    @Test("A huge array count in a small file is refused before anything is allocated")
    func hugeArrayCount() throws {
        var gguf = SyntheticGGUF()
        // An array of 2^31 UINT64 (16 GiB) declared in a file of a few dozen bytes.
        gguf.metadata = [("big", .raw(type: 9, bytes: [10, 0, 0, 0] + [0, 0, 0, 0x80, 0, 0, 0, 0]))]
        let url = try gguf.write()
        #expect {
            try GGUFFile(contentsOf: url)
        } throws: { error in
            guard case let EngineError.malformedFile(path, reason) = error else { return false }
            return path == url.path && reason.contains("array 'big' declares 2147483648 items")
        }
    }

    @Test("Tensor shapes that overflow, misaligned, overlapping or far offsets and duplicates are refused")
    func tensorDirectory() throws {
        func reason(_ edit: (inout SyntheticGGUF) -> Void) throws -> String {
            let url = try tinyModel(edit)
            do {
                _ = try GGUFFile(contentsOf: url)
                return "loaded"
            } catch let error as EngineError {
                #expect(error.description.contains(url.path))
                return error.description
            }
        }
        #expect(try reason { $0.tensors[1].shape = [1 << 31, 1 << 31, 1 << 31] }.contains("has too many elements"))
        #expect(try reason { $0.tensors[2].offset = 16 }.contains("not a multiple of the alignment 32"))
        #expect(try reason { $0.tensors[3].offset = 0 }.contains("overlap"))
        #expect(try reason { $0.tensors[3].offset = UInt64.max - 31 }.contains("past the end of the file"))
        #expect(try reason { $0.tensors.append($0.tensors[4]) }.contains("tensor 'blk.0.attn_v.weight' appears twice"))
        #expect(try reason { $0.metadata.append(("llama.block_count", .uint32(1))) }.contains("metadata key 'llama.block_count' appears twice"))
        #expect(try reason { $0.tensors[0].type = 99 }.contains("unsupported type unknown type 99"))
    }

    @Test("A tensor whose shape does not fit the configuration names the tensor")
    func tensorShapeMismatch() throws {
        let url = try tinyModel { $0.tensors[2].shape = [32, 16] }
        let expected = EngineError.tensorShapeMismatch(
            path: url.path, tensor: "blk.0.attn_q.weight", expected: [32, 32], found: [32, 16])
        #expect(throws: expected) { _ = try LanguageEngine(contentsOf: url, threads: 1) }
    }
}
