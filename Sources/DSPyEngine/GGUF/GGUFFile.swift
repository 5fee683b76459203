import DSPyUtilities
import Foundation

/// A GGUF model file, memory-mapped and parsed: header, metadata, tensor directory.
///
/// Opening reads the header, every metadata value and the tensor infos (tens of
/// milliseconds for a 49k-token vocabulary); tensor data stays in the mapping and is
/// paged in when first used. The object is immutable and may be shared across tasks;
/// pointers from `data(for:)` are valid while it is alive.
///
/// ```swift
/// let file = try GGUFFile(contentsOf: url)
/// let tokens = file.metadata["tokenizer.ggml.tokens"]?.strings
/// let embedding = try file.tensor(named: "token_embd.weight")
/// ```
public final class GGUFFile: @unchecked Sendable {
    /// The versions this reader understands (v2 and v3 share one layout).
    public static let supportedVersions: [UInt32] = [2, 3]

    /// The file path.
    public let path: String
    /// The GGUF version.
    public let version: UInt32
    /// All metadata, in file order.
    public let metadata: GGUFMetadata
    /// All tensors, in file order.
    public let tensors: [GGUFTensorInfo]
    /// The alignment of tensor data (`general.alignment`, default 32).
    public let alignment: Int
    /// The absolute offset where tensor data begins.
    public let dataOffset: Int
    /// The byte count of the header, metadata and tensor directory (everything before
    /// the alignment padding that precedes tensor data).
    public let directoryEnd: Int
    /// The file size in bytes.
    public var fileSize: Int { mapping.bytes.count }

    private let mapping: MappedFile
    private let tensorIndex: [String: Int]

    /// Maps and parses the GGUF file at `url`.
    ///
    /// Every count, length, shape and offset is checked against the file before it is
    /// used: counts that the rest of the file could not hold are refused before
    /// anything is allocated, element and byte counts are overflow-checked, and tensor
    /// data must lie inside the file, aligned, without overlapping other tensors.
    /// Duplicate metadata keys and tensor names are refused, as llama.cpp does.
    ///
    /// - Throws: `EngineError` — `.fileNotReadable`, `.truncatedFile`, `.badMagic`,
    ///   `.unsupportedVersion`, `.malformedFile`, `.invalidMetadata` (for
    ///   `general.alignment`), `.unsupportedTensorType` or `.tensorDataOutOfBounds`,
    ///   each naming the file.
    public convenience init(contentsOf url: URL) throws {
        try self.init(path: url.path)
    }

    /// Maps and parses the GGUF file at `path`. See `init(contentsOf:)`.
    public convenience init(path: String) throws {
        try self.init(mapping: MappedFile(path: path))
    }

    /// Parses GGUF bytes held in memory (copied once); `name` stands for the path in errors.
    /// - Throws: as `init(contentsOf:)`.
    public convenience init(data: Data, name: String) throws {
        try self.init(mapping: MappedFile(copying: data, name: name))
    }

    private init(mapping: MappedFile) throws {
        let path = mapping.path
        self.mapping = mapping
        self.path = path
        var reader = GGUFReader(bytes: mapping.bytes, path: path)

        let magic = try reader.read(UInt32.self, "the magic")
        guard magic == 0x4655_4747 else {  // "GGUF" little-endian
            throw EngineError.badMagic(path: path, found: Self.describeMagic(magic))
        }
        version = try reader.read(UInt32.self, "the version")
        guard Self.supportedVersions.contains(version) else {
            throw EngineError.unsupportedVersion(path: path, version: version, supported: Self.supportedVersions)
        }
        // Each tensor info takes at least 24 bytes (name length, dimensions, type,
        // offset) and each metadata entry at least 13 (key length, type, one byte).
        let tensorCount = try reader.readCount("the tensor count", minimumItemSize: 24)
        let keyCount = try reader.readCount("the metadata count", minimumItemSize: 13)

        var entries: [(String, GGUFValue)] = []
        entries.reserveCapacity(keyCount)
        var seenKeys = Set<String>()
        for index in 0..<keyCount {
            let key = try reader.readString("metadata key #\(index)")
            guard seenKeys.insert(key).inserted else {
                throw EngineError.malformedFile(path: path, reason: "metadata key '\(key)' appears twice")
            }
            let type = try reader.read(UInt32.self, "the type of metadata '\(key)'")
            entries.append((key, try reader.readValue(type: type, key: key)))
        }
        metadata = GGUFMetadata(path: path, entries: entries)

        let alignment = try metadata.optionalInt("general.alignment") ?? 32
        guard alignment > 0, alignment & (alignment - 1) == 0, alignment <= 1 << 30 else {
            throw EngineError.invalidMetadata(
                path: path, key: "general.alignment", reason: "\(alignment) is not a power of two up to 2^30")
        }
        self.alignment = alignment

        var raw: [(name: String, shape: [Int], type: UInt32, offset: UInt64)] = []
        raw.reserveCapacity(tensorCount)
        for index in 0..<tensorCount {
            let name = try reader.readString("the name of tensor #\(index)")
            let dimensions = try reader.read(UInt32.self, "the dimensions of tensor '\(name)'")
            guard dimensions <= 8 else {
                throw EngineError.malformedFile(path: path, reason: "tensor '\(name)' has \(dimensions) dimensions")
            }
            var shape: [Int] = []
            for _ in 0..<dimensions {
                let extent = try reader.read(UInt64.self, "the shape of tensor '\(name)'")
                guard extent <= UInt64(GGUFReader.maximumCount) else {
                    throw EngineError.malformedFile(path: path, reason: "tensor '\(name)' has extent \(extent)")
                }
                shape.append(Int(extent))
            }
            let type = try reader.read(UInt32.self, "the type of tensor '\(name)'")
            let offset = try reader.read(UInt64.self, "the offset of tensor '\(name)'")
            raw.append((name, shape, type, offset))
        }
        directoryEnd = reader.offset
        dataOffset = (reader.offset + alignment - 1) / alignment * alignment

        var tensors: [GGUFTensorInfo] = []
        var index: [String: Int] = [:]
        tensors.reserveCapacity(raw.count)
        for entry in raw {
            guard index[entry.name] == nil else {
                throw EngineError.malformedFile(path: path, reason: "tensor '\(entry.name)' appears twice")
            }
            let info = try Self.validatedTensor(
                entry, dataOffset: dataOffset, alignment: alignment, fileSize: mapping.bytes.count, path: path)
            index[entry.name] = tensors.count
            tensors.append(info)
        }
        try Self.checkNoOverlap(tensors, path: path)
        self.tensors = tensors
        tensorIndex = index
    }

    /// SHA-256 of the header, metadata and tensor directory (the first ``directoryEnd``
    /// bytes), lower-case hex: names a model by content without reading its tensor data.
    ///
    /// Two files that differ in any metadata value, tensor name, shape, type or offset
    /// differ here; files that differ only inside tensor data do not (``ModelCache/verify(_:showProgress:)``
    /// hashes whole catalog files). Cost: one hash of a few megabytes at most (about
    /// 1.7 MB for SmolLM2-135M, whose vocabulary is in the metadata).
    public func directoryDigest() -> String {
        var hasher = SHA256()
        hasher.update(UnsafeRawBufferPointer(rebasing: mapping.bytes[0..<directoryEnd]))
        return hasher.finalize().hexString
    }

    /// The tensor named `name`, if present.
    public func tensorInfo(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The tensor named `name`.
    /// - Throws: `EngineError.missingTensor`.
    public func tensor(named name: String) throws -> GGUFTensorInfo {
        guard let info = tensorInfo(named: name) else { throw EngineError.missingTensor(path: path, name: name) }
        return info
    }

    /// The raw bytes of a tensor, valid while this file is alive. No copy.
    public func data(for tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: mapping.bytes[tensor.fileOffset..<tensor.fileOffset + tensor.byteCount])
    }

    /// The tensor's elements decoded to floats (allocates `elementCount` floats).
    public func dequantize(_ tensor: GGUFTensorInfo) -> [Float] {
        tensor.type.dequantize(data(for: tensor), count: tensor.elementCount)
    }

    /// Checks one tensor's type, shape and data range, with overflow-checked arithmetic.
    ///
    /// - Throws: `EngineError.unsupportedTensorType`, `.malformedFile` (element count
    ///   overflow, a row not a whole number of blocks, a misaligned offset) or
    ///   `.tensorDataOutOfBounds`.
    private static func validatedTensor(
        _ entry: (name: String, shape: [Int], type: UInt32, offset: UInt64),
        dataOffset: Int, alignment: Int, fileSize: Int, path: String
    ) throws -> GGUFTensorInfo {
        guard let type = TensorType(rawValue: entry.type) else {
            throw EngineError.unsupportedTensorType(path: path, tensor: entry.name, type: TensorType.ggmlName(entry.type))
        }
        var elements = 1
        for extent in entry.shape {
            let product = elements.multipliedReportingOverflow(by: extent)
            guard !product.overflow else {
                throw EngineError.malformedFile(
                    path: path, reason: "tensor '\(entry.name)' of shape \(entry.shape) has too many elements")
            }
            elements = product.partialValue
        }
        guard (entry.shape.first ?? 1) % type.blockSize == 0 else {
            throw EngineError.malformedFile(
                path: path, reason: "tensor '\(entry.name)' row length \(entry.shape.first ?? 1) is not a multiple of the \(type.name) block size")
        }
        let byteCount = (elements / type.blockSize).multipliedReportingOverflow(by: type.blockBytes)
        guard entry.offset % UInt64(alignment) == 0 else {
            throw EngineError.malformedFile(
                path: path, reason: "tensor '\(entry.name)' has offset \(entry.offset), not a multiple of the alignment \(alignment)")
        }
        let relative = Int(exactly: entry.offset) ?? Int.max
        let start = dataOffset.addingReportingOverflow(relative)
        let end = start.partialValue.addingReportingOverflow(byteCount.partialValue)
        guard !byteCount.overflow, !start.overflow, !end.overflow, end.partialValue <= fileSize else {
            let overflowed = byteCount.overflow || start.overflow || end.overflow
            throw EngineError.tensorDataOutOfBounds(
                path: path, tensor: entry.name, end: overflowed ? Int.max : end.partialValue, fileSize: fileSize)
        }
        return GGUFTensorInfo(
            name: entry.name, type: type, shape: entry.shape, relativeOffset: relative, fileOffset: start.partialValue)
    }

    /// Checks that no two tensors' data share a byte (llama.cpp lays them out one
    /// after another; an overlap means a corrupt directory).
    ///
    /// - Throws: `EngineError.malformedFile` naming both tensors.
    private static func checkNoOverlap(_ tensors: [GGUFTensorInfo], path: String) throws {
        let ordered = tensors.filter { $0.byteCount > 0 }.sorted { $0.fileOffset < $1.fileOffset }
        for (previous, next) in zip(ordered, ordered.dropFirst()) where next.fileOffset < previous.fileOffset + previous.byteCount {
            throw EngineError.malformedFile(
                path: path, reason: "the data of tensors '\(previous.name)' and '\(next.name)' overlap")
        }
    }

    private static func describeMagic(_ magic: UInt32) -> String {
        let bytes = withUnsafeBytes(of: magic.littleEndian) { Array($0) }
        if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            return "\"" + String(decoding: bytes, as: UTF8.self) + "\""
        }
        return bytes.map { String(format: "%02x", $0) }.joined(separator: " ")
    }
}
