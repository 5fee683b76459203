import Foundation

@testable import DSPyEngine

extension GGUFMutator {
    static let hyperparameterKeys = [
        "llama.context_length", "llama.embedding_length", "llama.block_count", "llama.feed_forward_length",
        "llama.attention.head_count", "llama.attention.head_count_kv", "llama.rope.freq_base",
        "llama.rope.dimension_count", "llama.attention.layer_norm_rms_epsilon", "llama.attention.key_length",
        "llama.attention.value_length", "llama.vocab_size", "general.alignment",
    ]

    static let tokenIDKeys = [
        "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id",
        "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.padding_token_id",
    ]

    /// Values that break a hyperparameter: zero, negative, NaN, infinite, huge, of another type.
    static let badNumbers: [SyntheticGGUF.Value] = [
        .uint32(0), .int32(-1), .int32(Int32.min), .uint32(UInt32.max), .uint64(UInt64.max), .int64(Int64.min),
        .uint64(1 << 40), .float32(.nan), .float32(-1), .float32(.infinity), .float32(-.infinity), .float32(0),
        .float32(1e30), .float64(1e300), .float64(.nan), .string("32"), .bool(true), .int32s([32, 32]),
        .uint32(1), .uint32(3), .uint32(5), .uint32(7), .uint32(9), .uint32(16), .uint32(33), .uint32(64),
        .uint32(256), .uint32(512), .uint32(1 << 20), .float32(1e-5), .float32(10000),
    ]

    /// One to three edits of the model, re-encoded as a file.
    mutating func semanticMutation() -> (bytes: [UInt8], label: String) {
        var gguf = base
        var steps: [String] = []
        for _ in 0..<pick([1, 1, 2, 3]) {
            steps.append(edit(&gguf))
        }
        return (gguf.bytes(), "semantic[\(steps.joined(separator: "; "))]")
    }

    private mutating func set(_ key: String, _ value: SyntheticGGUF.Value?, in gguf: inout SyntheticGGUF) {
        if let index = gguf.metadata.firstIndex(where: { $0.0 == key }) {
            if let value { gguf.metadata[index].1 = value } else { gguf.metadata.remove(at: index) }
        } else if let value {
            gguf.metadata.insert((key, value), at: int(0...gguf.metadata.count))
        }
    }

    private mutating func edit(_ gguf: inout SyntheticGGUF) -> String {
        let vocabularySize = TinyLlamaGGUF.vocabulary(kind).count
        switch int(0...11) {
        case 0, 1, 2:
            let key = pick(Self.hyperparameterKeys)
            let value = chance(0.1) ? nil : pick(Self.badNumbers)
            set(key, value, in: &gguf)
            return "\(key) = \(value.map { "\($0)" } ?? "absent")"
        case 3, 4:
            let key = pick(Self.tokenIDKeys)
            let n = UInt32(vocabularySize)
            let value = pick([SyntheticGGUF.Value.uint32(n), .uint32(n + 1), .uint32(1_000_000_000), .uint32(UInt32.max),
                              .int32(-1), .uint64(UInt64.max), .int64(-5), .uint64(UInt64(n) + (1 << 32)),
                              .string("2"), .float32(2), .uint32(n - 1), .uint32(0)])
            set(key, value, in: &gguf)
            return "\(key) = \(value)"
        case 5:
            return editTokenizerArrays(&gguf, vocabularySize: vocabularySize)
        case 6:
            let key = pick(["tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.chat_template", "general.architecture"])
            let value = pick([SyntheticGGUF.Value.string(""), .string("gpt2"), .string("llama"), .string("bert"),
                              .string("smollm"), .string("llama3"), .string("mamba"), .uint32(1), .strings(["llama"]),
                              .string("<|im_start|><start_of_turn>{{x}}"), .string(String(repeating: "<", count: 300))])
            set(key, chance(0.1) ? nil : value, in: &gguf)
            return "\(key) = \(value)"
        case 7:
            let key = pick(gguf.metadata.map(\.0))
            let value = pick(Self.badNumbers)
            gguf.metadata.insert((key, value), at: int(0...gguf.metadata.count))
            return "duplicate \(key) = \(value)"
        default:
            return editTensors(&gguf)
        }
    }

    private mutating func editTokenizerArrays(_ gguf: inout SyntheticGGUF, vocabularySize: Int) -> String {
        let vocabulary = TinyLlamaGGUF.vocabulary(kind)
        switch int(0...7) {
        case 0:
            var types = vocabulary.map(\.1)
            if chance(0.5) { types.removeLast() } else { types[int(0...types.count - 1)] = pick([-5, 0, 2, 3, 4, 5, 6, 99, Int32.max, Int32.min]) }
            set("tokenizer.ggml.token_type", .int32s(types), in: &gguf)
            return "token_type edited (\(types.count))"
        case 1:
            var scores = vocabulary.indices.map { -Float($0) / 10 }
            if chance(0.5) { scores.append(0) } else { scores[int(0...scores.count - 1)] = pick([.nan, .infinity, -.infinity, 1e30]) }
            set("tokenizer.ggml.scores", .floats(scores), in: &gguf)
            return "scores edited"
        case 2:
            var merges = TinyLlamaGGUF.merges
            merges.insert(pick(["", " ", "abc", "x y z", "Ġ", "h e", "Ġ  t", "🙂 🙂"]), at: int(0...merges.count))
            set("tokenizer.ggml.merges", .strings(merges), in: &gguf)
            return "merge added"
        case 3:
            var tokens = vocabulary.map(\.0)
            let index = int(0...tokens.count - 1)
            tokens[index] = pick(["", "<|im_start|>", "<0x41>", "<0xZZ>", "Ġ", String(repeating: "x", count: 5000), "\u{301}", "▁▁"])
            set("tokenizer.ggml.tokens", .strings(tokens), in: &gguf)
            return "token \(index) = \(tokens[index].prefix(12))"
        case 4:
            var tokens = vocabulary.map(\.0)
            if chance(0.5) { tokens.removeLast(int(1...3)) } else { tokens.append(contentsOf: ["extra", "more"]) }
            set("tokenizer.ggml.tokens", .strings(tokens), in: &gguf)
            return "\(tokens.count) tokens"
        case 5:
            let types = vocabulary.map { _ in pick([1, 3, 4, 5, 6] as [Int32]) }
            set("tokenizer.ggml.token_type", .int32s(types), in: &gguf)
            return "random token types"
        case 6:
            set("tokenizer.ggml.tokens", pick([.strings([]), .int32s([1, 2]), .string("a")]), in: &gguf)
            return "tokens replaced"
        default:
            let key = pick(["tokenizer.ggml.add_bos_token", "tokenizer.ggml.add_eos_token", "tokenizer.ggml.add_space_prefix"])
            let value = pick([SyntheticGGUF.Value.bool(true), .bool(false), .uint32(1), .raw(type: 7, bytes: [2])])
            set(key, value, in: &gguf)
            return "\(key) = \(value)"
        }
    }

    private mutating func editTensors(_ gguf: inout SyntheticGGUF) -> String {
        let index = int(0...gguf.tensors.count - 1)
        let name = gguf.tensors[index].name
        switch int(0...8) {
        case 0:
            var shape = gguf.tensors[index].shape
            switch int(0...3) {
            case 0: shape.reverse()
            case 1: shape.append(1)
            case 2: shape[int(0...shape.count - 1)] = pick([0, 1, 32, 64, 0x8000_0000, 0xFFFF_FFFF])
            default: shape.removeLast()
            }
            gguf.tensors[index].shape = shape
            return "shape of \(name) = \(shape)"
        case 1:
            // Another type, data re-encoded: a valid file (the engine should run it or name the tensor).
            let type = pick(TensorType.allCases)
            let count = gguf.tensors[index].shape.reduce(1) { $0 * Int($1) }
            if count % type.blockSize == 0, Int(gguf.tensors[index].shape.first ?? 1) % type.blockSize == 0 {
                gguf.tensors[index].type = type.rawValue
                gguf.tensors[index].data = TinyLlamaGGUF.weights(type, count: count, &random)
            }
            return "\(name) re-encoded as \(type)"
        case 2:
            gguf.tensors[index].type = UInt32(pick([0, 1, 2, 3, 6, 8, 12, 14, 30, 99]))
            return "type of \(name) = \(gguf.tensors[index].type) (data kept)"
        case 3:
            gguf.tensors.remove(at: index)
            return "\(name) removed"
        case 4:
            gguf.tensors.append(gguf.tensors[index])
            return "\(name) duplicated"
        case 5:
            gguf.tensors[index].offset = pick([0, 1, 16, 32, 1 << 20, UInt64.max, 0x7FFF_FFFF_FFFF_FFFF])
            return "offset of \(name) = \(gguf.tensors[index].offset ?? 0)"
        case 6:
            gguf.tensors[index].data.removeLast(int(1...gguf.tensors[index].data.count))
            return "data of \(name) shortened"
        case 7:
            gguf.tensors[index].name = pick(["", "token_embd.weight", "blk.9.attn_q.weight", name + "x"])
            return "\(name) renamed \(gguf.tensors[index].name)"
        default:
            let spread = gguf.tensors[index].data.map { _ in UInt8.random(in: 0...255, using: &random) }
            gguf.tensors[index].data = spread
            return "data of \(name) randomized"
        }
    }
}
