import CDSPyKernels
import Foundation

/// GGUF LoRA adapter files, as llama.cpp reads them (`--lora`, `llama_adapter_lora_init`).
///
/// Keys: `general.type` "adapter", `general.architecture` (the base model's),
/// `adapter.type` "lora", `adapter.lora.alpha` (FLOAT32; absent means 0, a scale of 1).
/// Tensors: `<base>.lora_a` with ggml shape `[inputs, rank]` and `<base>.lora_b` with
/// `[rank, outputs]` for each base matrix W of shape `[inputs, outputs]`.
extension LoRAAdapter {
    /// How the pairs' values are stored in a written file.
    public enum TensorEncoding: String, Sendable, CaseIterable {
        /// 32-bit floats: exact (llama.cpp's converter default).
        case f32
        /// IEEE halves: half the size, values rounded to 11 significant bits.
        case f16

        var type: TensorType { self == .f32 ? .f32 : .f16 }
    }

    /// The adapter as the bytes of a GGUF LoRA file (for a database, or `write(to:)`).
    ///
    /// Tensors are written in name order (A before B), so equal adapters give equal bytes.
    /// Cost: one copy of every value (4 or 2 bytes each).
    public func ggufData(encoding: TensorEncoding = .f32) -> Data {
        var writer = GGUFWriter()
        writer.metadata = [
            ("general.type", .string("adapter")),
            ("general.architecture", .string(architecture)),
            ("adapter.type", .string("lora")),
            ("adapter.lora.alpha", .float32(alpha)),
        ]
        for name in pairs.keys.sorted() {
            guard let pair = pairs[name] else { continue }
            writer.tensors.append(.init(
                name: name + ".lora_a", shape: [pair.inputs, pair.rank], type: encoding.type,
                bytes: Self.encode(pair.a, encoding)))
            writer.tensors.append(.init(
                name: name + ".lora_b", shape: [pair.rank, pair.outputs], type: encoding.type,
                bytes: Self.encode(pair.b, encoding)))
        }
        return writer.data()
    }

    /// Writes the adapter as a GGUF LoRA file that llama.cpp loads with `--lora` (atomically).
    /// - Throws: the file system's error when the file cannot be written.
    public func write(to url: URL, encoding: TensorEncoding = .f32) throws {
        try ggufData(encoding: encoding).write(to: url, options: .atomic)
    }

    /// Reads the GGUF LoRA adapter at `url`, checked against `base` when given.
    ///
    /// Values stored as F32, F16, BF16 or Q8_0 (any type the engine decodes) become float32.
    /// - Throws: `EngineError` naming the file (and the tensor) for an unreadable or malformed
    ///   file, a file that is not a LoRA adapter, an incomplete or mis-shaped pair, a value that
    ///   is not finite, or (with `base`) an adapter for another architecture or other matrices.
    public init(contentsOf url: URL, base: GGUFFile? = nil) throws {
        try self.init(file: GGUFFile(contentsOf: url), base: base)
    }

    /// Reads a GGUF LoRA adapter from bytes (`ggufData()`); `name` stands for the path in errors.
    /// - Throws: as `init(contentsOf:base:)`.
    public init(ggufData data: Data, name: String = "<adapter bytes>", base: GGUFFile? = nil) throws {
        try self.init(file: GGUFFile(data: data, name: name), base: base)
    }

    /// Reads the adapter in a parsed GGUF file; see `init(contentsOf:base:)`.
    public init(file: GGUFFile, base: GGUFFile? = nil) throws {
        let path = file.path
        func string(_ key: String) throws -> String {
            guard let value = file.metadata[key] else { throw EngineError.missingMetadata(path: path, key: key) }
            guard let text = value.string else {
                throw EngineError.metadataTypeMismatch(path: path, key: key, expected: "STRING", found: value.typeName)
            }
            return text
        }
        let generalType = try string("general.type")
        guard generalType == "adapter" else {
            throw EngineError.invalidMetadata(path: path, key: "general.type", reason: "'\(generalType)', expected 'adapter'")
        }
        let adapterType = try string("adapter.type")
        guard adapterType == "lora" else {
            throw EngineError.invalidMetadata(path: path, key: "adapter.type", reason: "'\(adapterType)', expected 'lora'")
        }
        let architecture = try string("general.architecture")
        var alpha: Float = 0
        if let value = file.metadata["adapter.lora.alpha"] {
            guard case let .float32(number) = value else {
                throw EngineError.metadataTypeMismatch(
                    path: path, key: "adapter.lora.alpha", expected: "FLOAT32", found: value.typeName)
            }
            guard number.isFinite else {
                throw EngineError.invalidMetadata(path: path, key: "adapter.lora.alpha", reason: "\(number) is not finite")
            }
            alpha = number
        }

        var halves: [String: (a: GGUFTensorInfo?, b: GGUFTensorInfo?)] = [:]
        for tensor in file.tensors {
            if tensor.name.hasSuffix(".lora_a") {
                halves[String(tensor.name.dropLast(7)), default: (nil, nil)].a = tensor
            } else if tensor.name.hasSuffix(".lora_b") {
                halves[String(tensor.name.dropLast(7)), default: (nil, nil)].b = tensor
            } else if !tensor.name.hasSuffix("_norm.weight") {  // llama.cpp ignores norm vectors
                throw EngineError.invalidAdapter(
                    path: path, tensor: tensor.name, reason: "the name ends in neither '.lora_a' nor '.lora_b'")
            }
        }
        var pairs: [String: LoRAPair] = [:]
        for (name, half) in halves {
            guard let a = half.a, let b = half.b else {
                throw EngineError.invalidAdapter(
                    path: path, tensor: name, reason: "has no '\(half.a == nil ? ".lora_a" : ".lora_b")' tensor")
            }
            guard a.shape.count == 2, b.shape.count == 2, a.shape[1] == b.shape[0], a.shape.allSatisfy({ $0 > 0 }),
                  b.shape[1] > 0
            else {
                throw EngineError.invalidAdapter(
                    path: path, tensor: name,
                    reason: "lora_a has shape \(a.shape) and lora_b \(b.shape); expected [inputs, rank] and [rank, outputs]")
            }
            let valuesA = file.dequantize(a), valuesB = file.dequantize(b)
            for (tensor, values) in [(a, valuesA), (b, valuesB)] {
                if let index = values.firstIndex(where: { !$0.isFinite }) {
                    throw EngineError.invalidAdapter(
                        path: path, tensor: tensor.name, reason: "value \(index) is \(values[index]), not finite")
                }
            }
            pairs[name] = try LoRAPair(rank: a.shape[1], inputs: a.shape[0], outputs: b.shape[1], a: valuesA, b: valuesB)
        }
        self.init(architecture: architecture, alpha: alpha, pairs: pairs)
        if let base { try validate(against: base, source: path) }
    }

    /// Checks that the adapter fits `base`: the same architecture, and every pair on a block's
    /// linear matrix (`attn_q`, `attn_k`, `attn_v`, `attn_qkv`, `attn_output`, `ffn_gate`,
    /// `ffn_up`, `ffn_down`) of the base, with A's inputs and B's outputs its shape, and only
    /// finite values. `source` names the adapter in errors.
    ///
    /// - Throws: `EngineError.invalidAdapter` naming `source` and the tensor.
    public func validate(against base: GGUFFile, source: String) throws {
        let baseArchitecture = base.metadata["general.architecture"]?.string ?? ""
        guard architecture == baseArchitecture else {
            throw EngineError.invalidAdapter(
                path: source, tensor: nil,
                reason: "it is for architecture '\(architecture)', but the base model \(base.path) is '\(baseArchitecture)'")
        }
        for name in pairs.keys.sorted() {
            guard let pair = pairs[name] else { continue }
            guard LoRASlot(tensorName: name) != nil else {
                throw EngineError.invalidAdapter(
                    path: source, tensor: name,
                    reason: "not a linear matrix of a block (the engine applies adapters to "
                        + LoRASlot.allCases.map(\.rawValue).joined(separator: ", ") + ")")
            }
            guard let info = base.tensorInfo(named: name) else {
                throw EngineError.invalidAdapter(path: source, tensor: name, reason: "the base model \(base.path) has no such tensor")
            }
            guard info.shape == [pair.inputs, pair.outputs] else {
                throw EngineError.invalidAdapter(
                    path: source, tensor: name,
                    reason: "the pair maps \(pair.inputs) inputs to \(pair.outputs) outputs, but the base matrix has shape \(info.shape)")
            }
            guard pair.a.count == pair.rank * pair.inputs, pair.b.count == pair.outputs * pair.rank else {
                throw EngineError.invalidAdapter(path: source, tensor: name, reason: "A or B holds the wrong number of values")
            }
            if pair.a.contains(where: { !$0.isFinite }) || pair.b.contains(where: { !$0.isFinite }) {
                throw EngineError.invalidAdapter(path: source, tensor: name, reason: "a value is not finite")
            }
        }
        guard alpha.isFinite else {
            throw EngineError.invalidAdapter(path: source, tensor: nil, reason: "alpha \(alpha) is not finite")
        }
    }

    private static func encode(_ values: [Float], _ encoding: TensorEncoding) -> [UInt8] {
        switch encoding {
        case .f32:
            // GGUF is little-endian, as every platform the engine runs on.
            return values.withUnsafeBytes { Array($0) }
        case .f16:
            var halves = [UInt16](repeating: 0, count: values.count)
            values.withUnsafeBufferPointer { source in
                halves.withUnsafeMutableBufferPointer { target in
                    if let from = source.baseAddress, let to = target.baseAddress {
                        dspy_fp32_to_fp16_row(from, to, Int64(values.count))
                    }
                }
            }
            return halves.withUnsafeBytes { Array($0) }
        }
    }
}
