import DSPyTestSupport
import Foundation
import Testing

@testable import DSPyEngine

/// GGUF LoRA adapter files: written by the engine, read back, and refused when malformed.
@Suite("LoRA adapter files")
struct LoRAAdapterFileTests {
    static func base() throws -> GGUFFile {
        try GGUFFile(contentsOf: TinyModelFixtures.modelFile(arch: "llama", quant: "f32"))
    }

    static func adapter(_ base: GGUFFile, seed: UInt64 = 1) throws -> LoRAAdapter {
        try LoRAFixtures.randomAdapter(base: base, rank: 2, alpha: 4, targets: ["attn_q", "ffn_down"], seed: seed)
    }

    @Test("An adapter written as F32 and read back is identical, and as F16 equals its values rounded to halves")
    func roundTrip() throws {
        let base = try Self.base()
        let adapter = try Self.adapter(base)
        #expect(adapter.pairs.count == 4)
        let data = adapter.ggufData()
        let read = try LoRAAdapter(ggufData: data, base: base)
        #expect(read == adapter)
        #expect(read.ggufData() == data)

        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dspyc-lora-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        try adapter.write(to: url, encoding: .f16)
        let halves = try LoRAAdapter(contentsOf: url, base: base)
        let file = try GGUFFile(contentsOf: url)
        #expect(file.metadata["general.type"]?.string == "adapter")
        #expect(file.metadata["adapter.type"]?.string == "lora")
        #expect(file.metadata["adapter.lora.alpha"] == .float32(4))
        #expect(file.tensorInfo(named: "blk.0.attn_q.weight.lora_a")?.shape == [256, 2])
        #expect(file.tensorInfo(named: "blk.0.attn_q.weight.lora_b")?.shape == [2, 256])
        #expect(file.tensorInfo(named: "blk.1.ffn_down.weight.lora_b")?.type == .f16)
        for (name, pair) in adapter.pairs {
            let rounded = halves.pairs[name]
            #expect(rounded?.a == pair.a.map { Float(Float16($0)) }, "\(name)")
            #expect(rounded?.b == pair.b.map { Float(Float16($0)) }, "\(name)")
        }
    }

    @Test("Adapters that do not fit the base model are refused naming the file and tensor")
    func mismatchedAdapters() throws {
        let base = try Self.base()
        let good = try Self.adapter(base)
        func error(_ adapter: LoRAAdapter) -> String {
            do {
                _ = try LoRAAdapter(ggufData: adapter.ggufData(), name: "x.gguf", base: base)
                return "accepted"
            } catch { return "\(error)" }
        }
        var other = good
        other.architecture = "qwen2"
        #expect(error(other).contains("x.gguf: invalid LoRA adapter: it is for architecture 'qwen2'"))
        var missing = good
        missing.pairs["blk.7.attn_q.weight"] = good.pairs["blk.0.attn_q.weight"]
        #expect(error(missing).contains("tensor 'blk.7.attn_q.weight': the base model"))
        var embedding = good
        embedding.pairs["token_embd.weight"] = good.pairs["blk.0.attn_q.weight"]
        #expect(error(embedding).contains("tensor 'token_embd.weight': not a linear matrix of a block"))
        var shape = good
        shape.pairs["blk.0.attn_k.weight"] = good.pairs["blk.0.attn_q.weight"]  // K has 128 outputs, not 256
        #expect(error(shape).contains("tensor 'blk.0.attn_k.weight': the pair maps 256 inputs to 256 outputs"))
        var notFinite = good
        notFinite.pairs["blk.0.attn_q.weight"]?.b[3] = .nan
        #expect(error(notFinite).contains("tensor 'blk.0.attn_q.weight.lora_b': value 3 is nan, not finite"))
    }

    @Test("Files that are not LoRA adapters, or whose pairs are incomplete or mis-shaped, are refused clearly")
    func malformedFiles() throws {
        let base = try Self.base()
        let good = try Self.adapter(base)
        func error(_ edit: (inout GGUFWriter) -> Void) -> String {
            var writer = GGUFWriter()
            writer.metadata = [("general.type", .string("adapter")), ("general.architecture", .string("llama")),
                               ("adapter.type", .string("lora")), ("adapter.lora.alpha", .float32(4))]
            let pair = good.pairs["blk.0.attn_q.weight"]!
            writer.tensors = [
                .init(name: "blk.0.attn_q.weight.lora_a", shape: [256, 2], type: .f32, bytes: pair.a.withUnsafeBytes { Array($0) }),
                .init(name: "blk.0.attn_q.weight.lora_b", shape: [2, 256], type: .f32, bytes: pair.b.withUnsafeBytes { Array($0) }),
            ]
            edit(&writer)
            do {
                _ = try LoRAAdapter(ggufData: writer.data(), name: "bad.gguf", base: base)
                return "accepted"
            } catch { return "\(error)" }
        }
        #expect(error { _ in } == "accepted")
        #expect(error { $0.metadata[0].value = .string("model") }.contains("'general.type' is invalid: 'model', expected 'adapter'"))
        #expect(error { $0.metadata[2].value = .string("ia3") }.contains("'adapter.type' is invalid"))
        #expect(error { $0.metadata[3].value = .uint32(4) }.contains("'adapter.lora.alpha' is UINT32, expected FLOAT32"))
        #expect(error { $0.tensors.removeLast() }.contains("tensor 'blk.0.attn_q.weight': has no '.lora_b' tensor"))
        #expect(error { $0.tensors[1].name = "blk.0.attn_q.weight.lora_c" }.contains("tensor 'blk.0.attn_q.weight.lora_c': the name ends in"))
        #expect(error { $0.tensors[1].shape = [256, 2] }.contains("lora_a has shape [256, 2] and lora_b [256, 2]"))
        #expect(error { $0.tensors.append(.init(name: "blk.0.attn_norm.weight", shape: [256], type: .f32, bytes: [UInt8](repeating: 0, count: 1024))) }
                == "accepted")
    }

    /// Seeded mutations of a valid adapter file: truncations, flipped and overwritten bytes, and
    /// shapes, types and names changed in the directory. Each case must be read (and then fit
    /// the base) or throw an `EngineError`; nothing traps.
    @Test("Fuzzed adapter files only ever give an adapter that fits the base or a clean error")
    func fuzz() throws {
        let base = try Self.base()
        let adapter = try LoRAFixtures.randomAdapter(base: base, rank: 2, alpha: 4, targets: ["attn_v"], seed: 7)
        let clean = [UInt8](adapter.ggufData())
        var random = SeededRandom(seed: 0x10_4A)
        var (read, refused) = (0, 0)
        for index in 0..<600 {
            var bytes = clean
            switch index % 4 {
            case 0:
                bytes = Array(bytes.prefix(random.below(bytes.count)))
            case 1:
                for _ in 0..<random.within(1...4) { bytes[random.below(bytes.count)] ^= UInt8(1) << UInt8(random.below(8)) }
            case 2:
                // A byte of the header, metadata or tensor directory (where shapes, types and names are).
                let directory = 400
                bytes[random.below(min(directory, bytes.count))] = UInt8(truncatingIfNeeded: random.next())
            default:
                bytes = FuzzMutation.mutate(bytes, snippets: ["lora_a", "lora_b", "adapter", "blk.0."], random: &random)
            }
            do {
                let result = try LoRAAdapter(ggufData: Data(bytes), name: "case \(index)", base: base)
                try result.validate(against: base, source: "case \(index)")
                read += 1
            } catch let error as EngineError {
                #expect("\(error)".contains("case \(index)"), "\(error)")
                refused += 1
            }
        }
        print("LoRA adapter fuzz: 600 cases, \(read) read, \(refused) refused")
        #expect(refused > 300)
    }
}
