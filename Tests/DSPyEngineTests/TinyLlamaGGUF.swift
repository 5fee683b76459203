import Foundation

@testable import DSPyEngine

/// A complete, loadable Llama model small enough to write thousands of times: two
/// blocks of width 32 (4 query heads, 2 key/value heads of width 8, feed-forward 64),
/// a context of 64 and a 265-token vocabulary, with random weights in a mix of
/// encodings (F32, F16, Q8_0, Q4_0, Q4_1), a tokenizer and a ChatML template.
///
/// `.bytePair` has a GPT-2 byte-level vocabulary (3 control tokens, the 256 byte
/// tokens, 6 merges) and an `output.weight`; `.sentencePiece` has a SentencePiece
/// vocabulary (control tokens, `<0xNN>` byte tokens, scored pieces) and ties the
/// output to the embedding. About 25 KB either way.
enum TinyLlamaGGUF {
    enum Tokenizer: CaseIterable {
        case bytePair, sentencePiece
    }

    static let hiddenSize = 32
    static let layerCount = 2
    static let feedForwardSize = 64
    static let contextLength = 64

    /// The vocabulary: `(text, token type)`, ids in order.
    static func vocabulary(_ kind: Tokenizer) -> [(String, Int32)] {
        let control: [(String, Int32)] = [("<|endoftext|>", 3), ("<|im_start|>", 3), ("<|im_end|>", 3)]
        switch kind {
        case .bytePair:
            let bytes = (0..<256).map { (String(ByteLevelAlphabet.scalarForByte[$0]), Int32(1)) }
            let merged = ["Ġt", "he", "th", "in", "Ġthe", "er"].map { ($0, Int32(1)) }
            return control + bytes + merged
        case .sentencePiece:
            let bytes = (0..<256).map { (String(format: "<0x%02X>", $0), Int32(6)) }
            let pieces = ["▁", "▁t", "he", "▁the", "h", "e", "t"].map { ($0, Int32(1)) }
            return control + bytes + pieces
        }
    }

    static let merges = ["Ġ t", "h e", "t h", "i n", "Ġt he", "e r"]

    static let chatTemplate = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
        + "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
        + "{{ '<|im_start|>assistant\\n' }}{% endif %}"

    /// The model's metadata, in file order.
    static func metadata(_ kind: Tokenizer) -> [(String, SyntheticGGUF.Value)] {
        let vocabulary = vocabulary(kind)
        var entries: [(String, SyntheticGGUF.Value)] = [
            ("general.architecture", .string("llama")),
            ("general.alignment", .uint32(32)),
            ("llama.context_length", .uint32(UInt32(contextLength))),
            ("llama.embedding_length", .uint32(UInt32(hiddenSize))),
            ("llama.block_count", .uint32(UInt32(layerCount))),
            ("llama.feed_forward_length", .uint32(UInt32(feedForwardSize))),
            ("llama.attention.head_count", .uint32(4)),
            ("llama.attention.head_count_kv", .uint32(2)),
            ("llama.rope.freq_base", .float32(10000)),
            ("llama.rope.dimension_count", .uint32(8)),
            ("llama.attention.layer_norm_rms_epsilon", .float32(1e-5)),
            ("tokenizer.ggml.model", .string(kind == .bytePair ? "gpt2" : "llama")),
            ("tokenizer.ggml.tokens", .strings(vocabulary.map(\.0))),
            ("tokenizer.ggml.token_type", .int32s(vocabulary.map(\.1))),
            ("tokenizer.ggml.bos_token_id", .uint32(1)),
            ("tokenizer.ggml.eos_token_id", .uint32(2)),
            ("tokenizer.ggml.padding_token_id", .uint32(0)),
            ("tokenizer.chat_template", .string(chatTemplate)),
        ]
        switch kind {
        case .bytePair:
            entries.append(("tokenizer.ggml.pre", .string("smollm")))
            entries.append(("tokenizer.ggml.merges", .strings(merges)))
            entries.append(("tokenizer.ggml.add_bos_token", .bool(false)))
        case .sentencePiece:
            entries.append(("tokenizer.ggml.scores", .floats(vocabulary.indices.map { -Float($0) / 10 })))
            entries.append(("tokenizer.ggml.unknown_token_id", .uint32(0)))
            entries.append(("tokenizer.ggml.add_bos_token", .bool(true)))
        }
        return entries
    }

    /// The tensors: `(name, ggml type, [columns, rows])`, in file order.
    static func tensorSpecs(_ kind: Tokenizer) -> [(String, TensorType, [Int])] {
        let vocabularySize = vocabulary(kind).count
        var specs: [(String, TensorType, [Int])] = [("token_embd.weight", .q8_0, [hiddenSize, vocabularySize])]
        for layer in 0..<layerCount {
            let p = "blk.\(layer)."
            specs += [
                (p + "attn_norm.weight", .f32, [hiddenSize]),
                (p + "attn_q.weight", .q4_0, [hiddenSize, hiddenSize]),
                (p + "attn_k.weight", .q4_1, [hiddenSize, 16]),
                (p + "attn_v.weight", .q8_0, [hiddenSize, 16]),
                (p + "attn_output.weight", .f16, [hiddenSize, hiddenSize]),
                (p + "ffn_norm.weight", .f32, [hiddenSize]),
                (p + "ffn_gate.weight", .q4_0, [hiddenSize, feedForwardSize]),
                (p + "ffn_up.weight", .f32, [hiddenSize, feedForwardSize]),
                (p + "ffn_down.weight", .q4_1, [feedForwardSize, hiddenSize]),
            ]
        }
        specs.append(("output_norm.weight", .f32, [hiddenSize]))
        if kind == .bytePair { specs.append(("output.weight", .f16, [hiddenSize, vocabularySize])) }
        return specs
    }

    /// The whole model as a `SyntheticGGUF`, with weights drawn from `seed`.
    static func model(_ kind: Tokenizer, seed: UInt64 = 1) -> SyntheticGGUF {
        var random = SeededGenerator(seed: seed)
        var gguf = SyntheticGGUF()
        gguf.metadata = metadata(kind)
        gguf.tensors = tensorSpecs(kind).map { name, type, shape in
            let isNorm = shape.count == 1
            let count = shape.reduce(1, *)
            return SyntheticGGUF.Tensor(
                name: name, type: type.rawValue, shape: shape.map(UInt64.init),
                data: isNorm ? encodeF32([Float](repeating: 1, count: count)) : weights(type, count: count, &random))
        }
        return gguf
    }

    /// `count` random weights encoded as `type` (scales small and finite).
    static func weights(_ type: TensorType, count: Int, _ random: inout SeededGenerator) -> [UInt8] {
        func half(_ value: Float) -> [UInt8] { withUnsafeBytes(of: Float16(value).bitPattern.littleEndian) { Array($0) } }
        func randomBytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &random) } }
        let blocks = count / type.blockSize
        switch type {
        case .f32: return encodeF32((0..<count).map { _ in Float.random(in: -0.3...0.3, using: &random) })
        case .f16: return (0..<count).flatMap { _ in half(Float.random(in: -0.3...0.3, using: &random)) }
        case .q8_0: return (0..<blocks).flatMap { _ in half(0.004) + randomBytes(32) }
        case .q4_0: return (0..<blocks).flatMap { _ in half(0.03) + randomBytes(16) }
        case .q4_1: return (0..<blocks).flatMap { _ in half(0.03) + half(-0.2) + randomBytes(16) }
        case .bf16:
            return (0..<count).flatMap { _ in
                withUnsafeBytes(of: UInt16(Float.random(in: -0.3...0.3, using: &random).bitPattern >> 16).littleEndian) { Array($0) }
            }
        case .q5_0: return (0..<blocks).flatMap { _ in half(0.03) + randomBytes(20) }
        case .q5_1: return (0..<blocks).flatMap { _ in half(0.03) + half(-0.2) + randomBytes(20) }
        case .q4_K, .q5_K, .q6_K: return randomBytes(blocks * type.blockBytes)
        }
    }

    static func encodeF32(_ values: [Float]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
    }
}
