import Foundation

@testable import DSPyEngine

/// Seeded mutations of a valid GGUF model, at three levels:
///
/// - ``byteMutation()``: random bytes, bit flips, 32/64-bit boundary values written
///   anywhere (mostly in the header, metadata and tensor directory), truncation,
///   insertion and deletion;
/// - ``fieldMutation()``: one or two structural fields rewritten in place — the
///   tensor and key counts, key and string lengths, value and element types, array
///   counts, scalar values, tensor dimensions, extents, types and offsets — with
///   values chosen for the field (zero, one, off by one, 2³¹, 2³²−1, 2⁶⁴−1, the file
///   size, NaN and infinities for floats, misaligned and overlapping offsets);
/// - ``semanticMutation()``: one to three edits of the model itself, re-encoded —
///   hyperparameters (zero, negative, NaN, huge, wrong type, absent, repeated), token
///   ids (outside the vocabulary, 2³²−1, negative), tokenizer arrays and names, the
///   chat template, and tensors (shape, type, missing, duplicated, misplaced).
struct GGUFMutator {
    var random: SeededGenerator
    let kind: TinyLlamaGGUF.Tokenizer
    let base: SyntheticGGUF
    let layout: SyntheticGGUF.Layout

    init(seed: UInt64, kind: TinyLlamaGGUF.Tokenizer) {
        random = SeededGenerator(seed: seed)
        self.kind = kind
        base = TinyLlamaGGUF.model(kind, seed: seed)
        layout = base.layout()
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &random) < p }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...items.count - 1)] }

    // MARK: Bytes

    static let boundary32: [UInt32] = [0, 1, 2, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFE, 0xFFFF_FFFF]
    static let boundary64: [UInt64] = [0, 1, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000, 1 << 40,
                                       UInt64(Int64.max), 0x8000_0000_0000_0000, UInt64.max]

    mutating func byteMutation() -> (bytes: [UInt8], label: String) {
        var bytes = layout.bytes
        var steps: [String] = []
        for _ in 0..<int(1...4) {
            guard !bytes.isEmpty else { break }
            let region = pick(regions)
            let position = min(int(region.lowerBound...max(region.upperBound - 1, region.lowerBound)), bytes.count - 1)
            switch int(0...7) {
            case 0:
                bytes[position] = UInt8.random(in: 0...255, using: &random)
                steps.append("byte@\(position)")
            case 1:
                bytes[position] ^= 1 << UInt8(int(0...7))
                steps.append("flip@\(position)")
            case 2:
                let value = pick(Self.boundary32)
                write(value, at: position, in: &bytes)
                steps.append("u32 \(value)@\(position)")
            case 3:
                let value = pick(Self.boundary64)
                write(value, at: position, in: &bytes)
                steps.append("u64 \(value)@\(position)")
            case 4:
                let length = int(0...bytes.count - 1)
                bytes.removeSubrange(length...)
                steps.append("truncate \(length)")
            case 5:
                let count = min(int(1...16), bytes.count - position)
                bytes.removeSubrange(position..<position + count)
                steps.append("delete \(count)@\(position)")
            case 6:
                let inserted = (0..<int(1...16)).map { _ in UInt8.random(in: 0...255, using: &random) }
                bytes.insert(contentsOf: inserted, at: position)
                steps.append("insert \(inserted.count)@\(position)")
            default:
                let count = min(int(1...64), bytes.count - position)
                bytes.replaceSubrange(position..<position + count, with: repeatElement(pick([0x00, 0xFF] as [UInt8]), count: count))
                steps.append("fill \(count)@\(position)")
            }
        }
        return (bytes, "bytes[\(steps.joined(separator: ", "))]")
    }

    /// Where byte mutations land, each region equally often: the header and
    /// hyperparameters, the tokenizer arrays, the tensor directory, the tensor data.
    /// (Uniform positions would nearly all hit the token strings' length fields.)
    var regions: [Range<Int>] {
        let tokens = layout.fields.first { $0.owner == "tokenizer.ggml.tokens" }?.offset ?? 0
        let directory = layout.fields.first { $0.kind == .tensorNameLength }?.offset ?? layout.dataOffset
        return [0..<tokens, tokens..<directory, directory..<layout.dataOffset, layout.dataOffset..<layout.bytes.count]
            .filter { !$0.isEmpty }
    }

    func write<T: FixedWidthInteger>(_ value: T, at position: Int, in bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for (index, byte) in raw.enumerated() where position + index < bytes.count {
                bytes[position + index] = byte
            }
        }
    }

    // MARK: Fields

    mutating func fieldMutation() -> (bytes: [UInt8], label: String) {
        var bytes = layout.bytes
        var steps: [String] = []
        for _ in 0..<(chance(0.2) ? 2 : 1) {
            let kind = pick(SyntheticGGUF.Field.Kind.allCases)
            let candidates = layout.fields.filter { $0.kind == kind }
            guard !candidates.isEmpty else { continue }
            let field = pick(candidates)
            let value = fieldValue(field, original: read(field, bytes))
            switch field.width {
            case 1: bytes[field.offset] = UInt8(truncatingIfNeeded: value)
            case 4: write(UInt32(truncatingIfNeeded: value), at: field.offset, in: &bytes)
            default: write(value, at: field.offset, in: &bytes)
            }
            steps.append("\(kind) of '\(field.owner)' = \(value)")
        }
        return (bytes, "field[\(steps.joined(separator: "; "))]")
    }

    func read(_ field: SyntheticGGUF.Field, _ bytes: [UInt8]) -> UInt64 {
        (0..<field.width).reduce(UInt64(0)) { $0 | UInt64(bytes[field.offset + $1]) << (8 * UInt64($1)) }
    }

    mutating func fieldValue(_ field: SyntheticGGUF.Field, original: UInt64) -> UInt64 {
        let fileSize = UInt64(layout.bytes.count)
        let nearby = [original &- 1, original &+ 1, original &* 2, original / 2]
        switch field.kind {
        case .tensorOffset:
            let others = layout.fields.filter { $0.kind == .tensorOffset }.map { read($0, layout.bytes) }
            return pick([original + 1, original + 4, original + 16, pick(others), fileSize, fileSize * 4,
                         (fileSize / 32 + 1) * 32, UInt64(Int64.max), UInt64.max, 0] + nearby)
        case .tensorType:
            return pick([UInt64(int(0...40)), UInt64(int(0...40)), 1000, 0xFFFF_FFFF] + (0...14).map(UInt64.init))
        case .tensorDimensions:
            return UInt64(int(0...9))
        case .tensorExtent:
            return pick([0, 1, 31, 33, 256, 0x7FFF_FFFF, 0x8000_0000, 0x8000_0001, 0xFFFF_FFFF, 1 << 40] + nearby)
        case .valueType, .arrayElementType:
            return UInt64(pick([int(0...13), int(0...13), 255, 0xFFFF_FFFF]))
        case .scalarValue where field.width == 1:
            return pick([0, 1, 2, 255])
        case .scalarValue where field.width == 4:
            let floats: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, -1, .leastNonzeroMagnitude, 1e30, -1e-5]
            return pick(Self.boundary32.map(UInt64.init) + floats.map { UInt64($0.bitPattern) } + nearby)
        default:
            if field.width == 4 { return pick(Self.boundary32.map(UInt64.init) + nearby) }
            return pick(Self.boundary64 + [fileSize, fileSize - UInt64(field.offset), 2, 3, 13, 24] + nearby)
        }
    }
}
