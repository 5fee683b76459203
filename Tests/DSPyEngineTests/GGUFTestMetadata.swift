import DSPyTestSupport
import Foundation

@testable import DSPyEngine

/// A minimal GGUF v3 metadata reader for tests: reads the key-value section only.
///
/// The engine's real GGUF reader lives elsewhere; this one exists so the
/// tokenizer tests can build a ``TokenizerVocabulary`` straight from the model file.
enum GGUFTestMetadata {
    enum Value {
        case integer(Int64)
        case float(Double)
        case bool(Bool)
        case string(String)
        case array([Value])

        var int: Int64? { if case .integer(let v) = self { return v } else { return nil } }
        var string: String? { if case .string(let v) = self { return v } else { return nil } }
        var bool: Bool? { if case .bool(let v) = self { return v } else { return nil } }
        var array: [Value]? { if case .array(let v) = self { return v } else { return nil } }
    }

    struct ReadError: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads all metadata of the GGUF file at `url`.
    static func read(_ url: URL) throws -> [String: Value] {
        let data = try Data(contentsOf: url, options: .alwaysMapped)
        return try data.withUnsafeBytes { raw -> [String: Value] in
            var cursor = Cursor(bytes: raw)
            guard try cursor.bytes(4) == Array("GGUF".utf8) else { throw ReadError(description: "not a GGUF file") }
            let version: UInt32 = try cursor.scalar()
            guard version == 3 else { throw ReadError(description: "GGUF version \(version)") }
            let _: UInt64 = try cursor.scalar()
            let count: UInt64 = try cursor.scalar()
            var result: [String: Value] = [:]
            for _ in 0..<count {
                let key = try cursor.string()
                let type: UInt32 = try cursor.scalar()
                result[key] = try cursor.value(type: type)
            }
            return result
        }
    }

    private struct Cursor {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        mutating func bytes(_ n: Int) throws -> [UInt8] {
            guard offset + n <= bytes.count else { throw ReadError(description: "truncated at \(offset)") }
            defer { offset += n }
            return Array(bytes[offset..<(offset + n)])
        }

        mutating func scalar<T: FixedWidthInteger>() throws -> T {
            guard offset + MemoryLayout<T>.size <= bytes.count else { throw ReadError(description: "truncated at \(offset)") }
            defer { offset += MemoryLayout<T>.size }
            return T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        }

        mutating func string() throws -> String {
            let length: UInt64 = try scalar()
            guard offset + Int(length) <= bytes.count else { throw ReadError(description: "truncated string at \(offset)") }
            defer { offset += Int(length) }
            return String(decoding: bytes[offset..<(offset + Int(length))], as: UTF8.self)
        }

        mutating func value(type: UInt32) throws -> Value {
            switch type {
            case 0: return .integer(Int64(try scalar() as UInt8))
            case 1: return .integer(Int64(try scalar() as Int8))
            case 2: return .integer(Int64(try scalar() as UInt16))
            case 3: return .integer(Int64(try scalar() as Int16))
            case 4: return .integer(Int64(try scalar() as UInt32))
            case 5: return .integer(Int64(try scalar() as Int32))
            case 6: return .float(Double(Float(bitPattern: try scalar() as UInt32)))
            case 7: return .bool((try scalar() as UInt8) != 0)
            case 8: return .string(try string())
            case 9:
                let elementType: UInt32 = try scalar()
                let count: UInt64 = try scalar()
                var items: [Value] = []
                items.reserveCapacity(Int(count))
                for _ in 0..<count { items.append(try value(type: elementType)) }
                return .array(items)
            case 10: return .integer(Int64(bitPattern: try scalar() as UInt64))
            case 11: return .integer(try scalar() as Int64)
            case 12: return .float(Double(bitPattern: try scalar() as UInt64))
            default: throw ReadError(description: "unknown GGUF value type \(type) at \(offset)")
            }
        }
    }

    /// The tokenizer vocabulary of the GGUF file at `url`.
    static func vocabulary(_ url: URL) throws -> (TokenizerVocabulary, chatTemplate: String?) {
        let metadata = try read(url)
        func id(_ key: String) -> Int32? { metadata[key]?.int.map { Int32($0) } }
        let vocabulary = TokenizerVocabulary(
            tokens: metadata["tokenizer.ggml.tokens"]?.array?.compactMap(\.string) ?? [],
            tokenTypes: metadata["tokenizer.ggml.token_type"]?.array?.compactMap { $0.int.map { Int32($0) } } ?? [],
            scores: metadata["tokenizer.ggml.scores"]?.array?.compactMap {
                if case .float(let v) = $0 { return Float(v) } else { return nil }
            } ?? [],
            merges: metadata["tokenizer.ggml.merges"]?.array?.compactMap(\.string) ?? [],
            model: metadata["tokenizer.ggml.model"]?.string ?? "",
            preTokenizer: metadata["tokenizer.ggml.pre"]?.string ?? "",
            bosID: id("tokenizer.ggml.bos_token_id"),
            eosID: id("tokenizer.ggml.eos_token_id"),
            eotID: id("tokenizer.ggml.eot_token_id"),
            unknownID: id("tokenizer.ggml.unknown_token_id"),
            paddingID: id("tokenizer.ggml.padding_token_id"),
            addBOS: metadata["tokenizer.ggml.add_bos_token"]?.bool,
            addEOS: metadata["tokenizer.ggml.add_eos_token"]?.bool,
            addSpacePrefix: metadata["tokenizer.ggml.add_space_prefix"]?.bool)
        return (vocabulary, metadata["tokenizer.chat_template"]?.string)
    }
}

/// The default model's tokenizer, loaded once for all tests.
enum DefaultModelTokenizer {
    struct Loaded: Sendable {
        let tokenizer: Tokenizer
        let chatTemplate: String
    }

    static let loaded: Result<Loaded, any Error> = Result {
        let (vocabulary, template) = try GGUFTestMetadata.vocabulary(Fixtures.defaultModel)
        return Loaded(tokenizer: try Tokenizer(vocabulary: vocabulary), chatTemplate: template ?? "")
    }

    static func get() throws -> Loaded { try loaded.get() }
}
