import DSPyTestSupport
import Foundation
import Testing

@testable import DSPyEngine

// MARK: - Fixture: the SmolLM2 vocabulary, read from the GGUF metadata

/// The default model's vocabulary as a ``ConstraintVocabulary``, with a greedy
/// longest-match stand-in for the canonical encoder (the real tokenizer is wired in
/// by the engine). Loaded once; a missing model is an error in every test that needs it.
enum ConstraintFixtures {
    private static let loaded = Result { try loadDefaultVocabulary() }

    /// The vocabulary, or the error that loading it gave (e.g. the model is not pulled).
    static func vocabulary() throws -> ConstraintVocabulary { try loaded.get() }

    /// Token ids by their exact bytes.
    static let idsByBytes: [[UInt8]: Int32] = {
        guard let vocabulary = try? loaded.get() else { return [:] }
        var map: [[UInt8]: Int32] = [:]
        for (id, bytes) in vocabulary.tokenBytes.enumerated() where !vocabulary.isSpecial[id] {
            if map[bytes] == nil { map[bytes] = Int32(id) }
        }
        return map
    }()

    /// The id of the (non-special) token spelling `text`.
    static func id(_ text: String) -> Int32? { idsByBytes[Array(text.utf8)] }

    static func loadDefaultVocabulary() throws -> ConstraintVocabulary {
        let (tokens, types) = try GGUFTokenReader.read(path: Fixtures.defaultModel.path)
        let bytes = tokens.map(GPT2Bytes.decode)
        let isSpecial = types.map { $0 == 3 || $0 == 4 }  // control, user-defined
        let endOfText = ["<|endoftext|>", "<|im_end|>"].compactMap { name in
            tokens.firstIndex(of: name).map { Int32($0) }
        }
        let encoderTrie = TokenTrie(tokenBytes: bytes) { !isSpecial[Int($0)] }
        return try ConstraintVocabulary(
            tokenBytes: bytes, endOfText: endOfText, isSpecial: isSpecial,
            encode: { text in greedyEncode(Array(text.utf8), encoderTrie) })
    }

    /// Greedy longest-match tokenization (a stand-in for BPE in tests).
    static func greedyEncode(_ bytes: [UInt8], _ trie: TokenTrie) -> [Int32] {
        var ids: [Int32] = []
        var position = 0
        while position < bytes.count {
            guard let (token, length) = trie.longestToken(in: bytes, from: position) else { return [] }
            ids.append(token)
            position += length
        }
        return ids
    }
}

/// A minimal GGUF v3 metadata reader: the token strings and token types only.
enum GGUFTokenReader {
    struct Failure: Error, CustomStringConvertible { var description: String }

    static func read(path: String) throws -> (tokens: [String], types: [Int32]) {
        let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        return try data.withUnsafeBytes { raw -> ([String], [Int32]) in
            var offset = 0
            func u32() -> UInt32 { defer { offset += 4 }; return raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self) }
            func u64() -> UInt64 { defer { offset += 8 }; return raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self) }
            func string() -> String {
                let count = Int(u64())
                defer { offset += count }
                return String(decoding: UnsafeRawBufferPointer(rebasing: raw[offset..<offset + count]), as: UTF8.self)
            }
            func skip(_ type: UInt32) throws {
                switch type {
                case 0, 1, 7: offset += 1
                case 2, 3: offset += 2
                case 4, 5, 6: offset += 4
                case 10, 11, 12: offset += 8
                case 8: offset += Int(u64())
                case 9:
                    let elementType = u32()
                    let count = u64()
                    for _ in 0..<count { try skip(elementType) }
                default: throw Failure(description: "unknown GGUF value type \(type)")
                }
            }
            guard raw.count > 24, String(decoding: raw[0..<4], as: UTF8.self) == "GGUF" else {
                throw Failure(description: "\(path) is not a GGUF file")
            }
            offset = 4
            guard u32() == 3 else { throw Failure(description: "not GGUF v3") }
            _ = u64()  // tensors
            let kvCount = u64()
            var tokens: [String]?
            var types: [Int32]?
            for _ in 0..<kvCount where tokens == nil || types == nil {
                let key = string()
                let type = u32()
                if key == "tokenizer.ggml.tokens", type == 9, u32() == 8 {
                    tokens = (0..<u64()).map { _ in string() }
                } else if key == "tokenizer.ggml.token_type", type == 9, u32() == 5 {
                    types = (0..<u64()).map { _ in Int32(bitPattern: u32()) }
                } else {
                    try skip(type)
                }
            }
            guard let tokens, let types, tokens.count == types.count else {
                throw Failure(description: "\(path) has no tokenizer.ggml.tokens/token_type")
            }
            return (tokens, types)
        }
    }
}

/// GPT-2's byte-level alphabet: each byte is written as a printable character.
enum GPT2Bytes {
    static let byteForScalar: [UInt32: UInt8] = {
        var printable = Array(33...126) + Array(161...172) + Array(174...255)
        var scalars = printable
        var n = 0
        for b in 0..<256 where !printable.contains(b) {
            printable.append(b)
            scalars.append(256 + n)
            n += 1
        }
        var map: [UInt32: UInt8] = [:]
        for (b, s) in zip(printable, scalars) { map[UInt32(s)] = UInt8(b) }
        return map
    }()

    /// The bytes a GGUF token string stands for (special tokens pass through as UTF-8).
    static func decode(_ token: String) -> [UInt8] {
        var bytes: [UInt8] = []
        for scalar in token.unicodeScalars {
            if let b = byteForScalar[scalar.value] {
                bytes.append(b)
            } else {
                bytes += Array(String(scalar).utf8)
            }
        }
        return bytes
    }
}

// MARK: - Tests

@Suite("Constraint vocabulary and trie")
struct ConstraintVocabularyTests {
    @Test("The SmolLM2 vocabulary loads from the GGUF metadata with its special tokens")
    func loadsVocabulary() throws {
        let vocabulary = try ConstraintFixtures.vocabulary()
        #expect(vocabulary.count == 49152)
        #expect(vocabulary.endOfText == [0, 2])
        #expect(vocabulary.isSpecial[2])
        #expect(ConstraintFixtures.id(" Hello") == 38699)
        print("constraint trie: \(vocabulary.trie.nodeCount) nodes, longest token \(vocabulary.trie.maxDepth) bytes")
    }

    @Test("Every ordinary token is found in the trie as its own longest match")
    func trieFindsEveryToken() throws {
        let vocabulary = try ConstraintFixtures.vocabulary()
        var missing: [Int] = []
        for (id, bytes) in vocabulary.tokenBytes.enumerated() where !vocabulary.isSpecial[id] && !bytes.isEmpty {
            guard let (token, length) = vocabulary.trie.longestToken(in: bytes, from: 0), length == bytes.count,
                vocabulary.tokenBytes[Int(token)] == bytes
            else {
                missing.append(id)
                continue
            }
        }
        #expect(missing.isEmpty, "tokens not found: \(missing.prefix(10))")
    }

    @Test("A trie walk reports exactly the tokens whose bytes the automaton accepts")
    func trieWalkMatchesBruteForce() throws {
        let words = ["a", "ab", "abc", "b", "ba", "x", "ab", "", "abd", "zz"].map { Array($0.utf8) }
        let trie = TokenTrie(tokenBytes: words) { _ in true }
        var found: [Int32] = []
        // Accept only bytes "a" then "b" then anything: prefixes of "ab*".
        trie.walk(
            start: 0,
            step: { (depth: inout Int, b: UInt8) in
                let ok = depth == 0 ? b == UInt8(ascii: "a") : depth == 1 ? b == UInt8(ascii: "b") : true
                depth += 1
                return ok
            },
            visit: { found.append($0) })
        #expect(Set(found) == [0, 1, 2, 6, 8])
    }

    @Test("Choice values tokenize without the SentencePiece space prefix (Llama 2, Phi-3 vocabularies)")
    func noSpacePrefixInConstraints() throws {
        let url = try TinyLlamaGGUF.model(.sentencePiece).write()
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let (vocabulary, _) = try GGUFTestMetadata.vocabulary(url)
        #expect(vocabulary.addSpacePrefix)
        let tokenizer = try Tokenizer(vocabulary: vocabulary)
        func spelled(_ ids: [Int32]) -> String { String(decoding: ids.flatMap { tokenizer.pieceBytes(for: $0) }, as: UTF8.self) }
        #expect(spelled(tokenizer.encode("the", parseSpecial: false, addSpecial: false)) == " the")
        #expect(spelled(tokenizer.encodeContinuation("the")) == "the")
        #expect(spelled(tokenizer.encodeContinuation("the the")) == "the the")
        let constraints = try ConstraintVocabulary(tokenizer: tokenizer)
        #expect(try OutputConstraint.canonical("the", constraints) == tokenizer.encodeContinuation("the"))
    }

    @Test("A vocabulary with mismatched sizes is rejected with its reason")
    func rejectsBadVocabulary() {
        #expect(throws: ConstraintError.invalidVocabulary("isSpecial has 1 entries for 2 tokens")) {
            _ = try ConstraintVocabulary(tokenBytes: [[1], [2]], endOfText: [0], isSpecial: [false], encode: { _ in [] })
        }
    }
}
