import Foundation

/// SentencePiece-style BPE (GGUF `tokenizer.ggml.model = llama`), as llama.cpp does it.
///
/// Spaces are written `▁` (U+2581). The text's UTF-8 characters start as one
/// symbol each; repeatedly, the adjacent pair whose concatenation is a vocabulary
/// token with the highest score is merged (ties to the leftmost). Characters
/// that never merged and are not tokens fall back to byte tokens `<0xNN>`.
/// Every text fragment between special tokens gets the `▁` prefix when the model
/// asks for one (llama.cpp's rule).
///
/// Used for Llama 2, Mistral and Gemma vocabularies. Cost is `O(n log n)` in
/// the characters of a text fragment.
struct SentencePieceEncoder: Sendable {
    private let idForText: [[UInt8]: Int32]
    private let scores: [Float]
    private let byteTokenIDs: [Int32]
    private let unknownID: Int32?

    init(vocabulary: TokenizerVocabulary, idForText: [[UInt8]: Int32]) {
        self.idForText = idForText
        scores = vocabulary.scores
        unknownID = vocabulary.unknownID
        byteTokenIDs = (0..<256).map { byte in
            idForText[Array(String(format: "<0x%02X>", byte).utf8)] ?? -1
        }
    }

    /// The byte a `<0xNN>` token stands for.
    static func byteValue(of text: String) -> UInt8? {
        let utf8 = Array(text.utf8)
        guard utf8.count == 6, text.hasPrefix("<0x"), text.hasSuffix(">") else { return nil }
        return UInt8(String(decoding: utf8[3..<5], as: UTF8.self), radix: 16)
    }

    /// Replaces each `▁` (U+2581, bytes E2 96 81) with a space, byte by byte
    /// (a string replacement would miss `▁` followed by a combining mark).
    static func unescapeSpaces(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if index + 2 < bytes.count, bytes[index] == 0xE2, bytes[index + 1] == 0x96, bytes[index + 2] == 0x81 {
                result.append(0x20)
                index += 3
            } else {
                result.append(bytes[index])
                index += 1
            }
        }
        return result
    }

    private struct Symbol {
        var start: Int
        var length: Int
        var previous: Int
        var next: Int
    }

    private struct Candidate {
        var score: Float
        var left: Int
        var right: Int
        var size: Int
    }

    /// Appends the tokens of `bytes` (valid UTF-8) to `output`.
    func encode(_ raw: ArraySlice<UInt8>, addSpacePrefix: Bool, into output: inout [Int32]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count + 3)
        if addSpacePrefix { bytes.append(contentsOf: [0xE2, 0x96, 0x81]) }
        for byte in raw {
            if byte == 0x20 { bytes.append(contentsOf: [0xE2, 0x96, 0x81]) } else { bytes.append(byte) }
        }
        guard !bytes.isEmpty else { return }

        var symbols: [Symbol] = []
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            let length = min(lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4, bytes.count - index)
            symbols.append(Symbol(start: index, length: length, previous: symbols.count - 1, next: symbols.count + 1))
            index += length
        }
        symbols[symbols.count - 1].next = -1

        var heap: [Candidate] = []
        // Keys are bytes: Swift strings compare by canonical equivalence, so
        // "ø" + U+0301 would wrongly find the token "ǿ".
        func text(_ start: Int, _ length: Int) -> [UInt8] {
            Array(bytes[start..<(start + length)])
        }
        func consider(_ left: Int, _ right: Int) {
            guard left >= 0, right >= 0 else { return }
            let start = symbols[left].start
            let size = symbols[left].length + symbols[right].length
            guard let id = idForText[text(start, size)] else { return }
            push(&heap, Candidate(score: scores[Int(id)], left: left, right: right, size: size))
        }
        for right in 1..<symbols.count { consider(right - 1, right) }

        while let best = pop(&heap) {
            let left = symbols[best.left], right = symbols[best.right]
            guard left.length > 0, right.length > 0, left.length + right.length == best.size else { continue }
            symbols[best.left].length += right.length
            symbols[best.right].length = 0
            symbols[best.left].next = right.next
            if right.next >= 0 { symbols[right.next].previous = best.left }
            consider(symbols[best.left].previous, best.left)
            consider(best.left, symbols[best.left].next)
        }

        // A merged symbol is always a token (pairs are only queued when their text
        // is one); what is left unmerged and is not a token falls back to bytes.
        func emit(_ start: Int, _ length: Int) {
            if let id = idForText[text(start, length)] {
                output.append(id)
                return
            }
            for byte in bytes[start..<(start + length)] {
                let id = byteTokenIDs[Int(byte)]
                if id >= 0 {
                    output.append(id)
                } else if let unknownID {
                    output.append(unknownID)
                }
            }
        }
        var current = 0
        while current >= 0 {
            let symbol = symbols[current]
            if symbol.length > 0 { emit(symbol.start, symbol.length) }
            current = symbol.next
        }
    }

    /// Max-heap by score, ties to the smaller left index.
    private func precedes(_ a: Candidate, _ b: Candidate) -> Bool {
        a.score != b.score ? a.score > b.score : a.left < b.left
    }

    private func push(_ heap: inout [Candidate], _ item: Candidate) {
        heap.append(item)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard precedes(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private func pop(_ heap: inout [Candidate]) -> Candidate? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var best = parent
                if left < heap.count, precedes(heap[left], heap[best]) { best = left }
                if right < heap.count, precedes(heap[right], heap[best]) { best = right }
                if best == parent { break }
                heap.swapAt(parent, best)
                parent = best
            }
        }
        return top
    }
}
