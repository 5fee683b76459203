import Foundation

/// A trainer's state between optimizer steps, saved to a file so an interrupted run resumes.
///
/// File: the magic `DSPYLORA`, a little-endian UInt64 header length, the JSON header, then the
/// LoRA parameters, AdamW's first and second moments (float32 each, `parameterCount` values).
/// The header ties it to the model, the configuration and the data; the random state is
/// (seed, step): data order and dropout masks are functions of both. Written atomically.
struct TrainingCheckpoint {
    struct Header: Codable, Equatable {
        var version = 1
        var model: String
        var configuration: String
        var data: String
        var parameterCount: Int
        var step: Int
        var lossPerStep: [Double]
    }

    static let magic = Array("DSPYLORA".utf8)

    var header: Header
    var parameters: [Float]
    var first: [Float]
    var second: [Float]

    /// Writes the checkpoint to `url` atomically (a temporary file, then a rename).
    ///
    /// - Throws: the file system's error.
    func write(to url: URL) throws {
        let json = try JSONEncoder().encode(header)
        var data = Data(Self.magic)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for array in [parameters, first, second] {
            array.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url, options: .atomic)
    }

    /// Reads a checkpoint, or nil when `url` holds no readable checkpoint of this format.
    static func read(from url: URL) -> TrainingCheckpoint? {
        guard let data = try? Data(contentsOf: url, options: .mappedIfSafe), data.count >= 16,
              Array(data.prefix(8)) == magic
        else { return nil }
        let length = data.subdata(in: 8..<16).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard length < UInt64(data.count), let header = try? JSONDecoder().decode(
            Header.self, from: data.subdata(in: 16..<16 + Int(length)))
        else { return nil }
        let start = 16 + Int(length), bytes = header.parameterCount * 4
        guard header.parameterCount >= 0, data.count == start + 3 * bytes else { return nil }
        func floats(_ index: Int) -> [Float] {
            data.subdata(in: start + index * bytes..<start + (index + 1) * bytes).withUnsafeBytes {
                Array($0.bindMemory(to: Float.self))
            }
        }
        return TrainingCheckpoint(header: header, parameters: floats(0), first: floats(1), second: floats(2))
    }

    /// A stable text fingerprint (FNV-1a 64, hex) of bytes.
    static func fingerprint(_ bytes: some Sequence<UInt8>) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return String(hash, radix: 16)
    }

    /// The fingerprint of the training data: every token and mask bit, in order.
    static func fingerprint(of sequences: [TrainingSequence]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(sequences.reduce(0) { $0 + 5 * $1.tokens.count + 8 })
        for sequence in sequences {
            withUnsafeBytes(of: UInt64(sequence.tokens.count).littleEndian) { bytes.append(contentsOf: $0) }
            for (token, mask) in zip(sequence.tokens, sequence.lossMask) {
                withUnsafeBytes(of: token.littleEndian) { bytes.append(contentsOf: $0) }
                bytes.append(mask ? 1 : 0)
            }
        }
        return fingerprint(bytes)
    }

    /// The fingerprint of a configuration (its JSON with sorted keys; the checkpoint interval,
    /// which does not change the result, left out).
    static func fingerprint(of configuration: TrainingConfiguration) -> String {
        var copy = configuration
        copy.checkpointInterval = 0
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return fingerprint((try? encoder.encode(copy)) ?? Data())
    }
}
