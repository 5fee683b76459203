/// Finds special tokens written out in text, as llama.cpp's `parse_special` does.
///
/// Control, unknown and user-defined tokens are searched for in the raw text,
/// longest token text first; each occurrence becomes that token and the text
/// around it is tokenized normally. When special parsing is off, only
/// user-defined tokens are still recognised (llama.cpp's rule), so
/// `"<|im_start|>"` then tokenizes as the characters `<`, `|`, `im`, ….
struct SpecialTokenSplitter: Sendable {
    /// A piece of the input: raw text (a byte range) or a special token.
    enum Fragment: Equatable {
        case text(Range<Int>)
        case token(Int32)
    }

    private struct Special: Sendable {
        var bytes: [UInt8]
        var id: Int32
        var alwaysParsed: Bool
    }

    /// Longest text first; ties by id.
    private let specials: [Special]

    init(vocabulary: TokenizerVocabulary) {
        var specials: [Special] = []
        for (index, text) in vocabulary.tokens.enumerated() where !text.isEmpty {
            let type = vocabulary.type(of: Int32(index))
            switch type {
            case .control, .unknown:
                specials.append(Special(bytes: Array(text.utf8), id: Int32(index), alwaysParsed: false))
            case .userDefined:
                specials.append(Special(bytes: Array(text.utf8), id: Int32(index), alwaysParsed: true))
            default:
                continue
            }
        }
        specials.sort { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }
        self.specials = specials
    }

    /// Splits `bytes` into text fragments and special tokens, in order.
    func split(_ bytes: [UInt8], parseSpecial: Bool) -> [Fragment] {
        guard !bytes.isEmpty else { return [] }
        var fragments: [Fragment] = [.text(0..<bytes.count)]
        bytes.withUnsafeBufferPointer { text in
            for special in specials where parseSpecial || special.alwaysParsed {
                var refined: [Fragment] = []
                refined.reserveCapacity(fragments.count + 2)
                var changed = false
                for fragment in fragments {
                    guard case .text(let range) = fragment else {
                        refined.append(fragment)
                        continue
                    }
                    var start = range.lowerBound
                    var searchFrom = range.lowerBound
                    while let match = Self.find(special.bytes, in: text, from: searchFrom, to: range.upperBound) {
                        if match > start { refined.append(.text(start..<match)) }
                        refined.append(.token(special.id))
                        start = match + special.bytes.count
                        searchFrom = start
                        changed = true
                    }
                    if start < range.upperBound { refined.append(.text(start..<range.upperBound)) }
                }
                if changed { fragments = refined }
            }
        }
        return fragments
    }

    /// The first index in `lower..<upper` where `needle` occurs entirely inside that range.
    private static func find(
        _ needle: [UInt8], in text: UnsafeBufferPointer<UInt8>, from lower: Int, to upper: Int
    ) -> Int? {
        let length = needle.count
        guard length > 0, upper - lower >= length else { return nil }
        let first = needle[0]
        var index = lower
        let last = upper - length
        while index <= last {
            if text[index] == first {
                var offset = 1
                while offset < length, text[index + offset] == needle[offset] { offset += 1 }
                if offset == length { return index }
            }
            index += 1
        }
        return nil
    }
}
