/// Splits text into the words that byte-level BPE encodes one at a time.
///
/// A *pre-tokenizer* cuts text at word boundaries before merges run, so a merge
/// never crosses from one word into the next. Each variant reproduces, by hand and
/// without a regex engine, the split llama.cpp makes for the `tokenizer.ggml.pre`
/// names it covers:
///
/// - ``gpt2``: GPT-2's rule — contractions (`'s 't 're 've 'm 'll 'd`), an
///   optional space plus letters, an optional space plus numbers, an optional
///   space plus other symbols, and white space runs that leave their last space
///   to the following word.
/// - ``digitsThenGPT2``: first every number character becomes a word of its own,
///   then GPT-2's rule splits the text between them (`smollm`, `starcoder`,
///   `refact`, `command-r`, `codeshell`, `exaone`, `minerva`). So `"Call 555"`
///   becomes `Call`, ` `, `5`, `5`, `5`.
/// - ``llama3``: Llama 3's rule — case-insensitive contractions, one optional
///   non-letter before letters, numbers in groups of three, symbols followed by
///   line breaks, and line breaks with the white space before them.
/// - ``qwen2``: Qwen 2's rule — Llama 3's with every number character a word of
///   its own (`qwen2`, `deepseek-r1-qwen`).
///
/// Splitting is linear in the text length. Positions are indices into the text's
/// Unicode scalars.
enum PreTokenizer: Sendable, Equatable {
    case gpt2
    case digitsThenGPT2
    case llama3
    case qwen2

    /// The `tokenizer.ggml.pre` names this engine implements.
    static let supportedNames = [
        "gpt2", "mpt", "olmo", "jais", "smollm", "starcoder", "refact", "command-r",
        "codeshell", "exaone", "minerva", "llama3", "llama-bpe", "llama-v3", "dbrx", "smaug-bpe",
        "qwen2", "deepseek-r1-qwen",
    ]

    /// Whether llama.cpp encodes a word that is itself a vocabulary token as that
    /// token, without running merges (`ignore_merges`, set for the Llama 3 names).
    static func ignoresMerges(_ name: String) -> Bool {
        ["llama3", "llama-bpe", "llama-v3"].contains(name)
    }

    /// Whether llama.cpp adds BOS for this pre-tokenizer when the file does not say.
    static func addsBOSByDefault(_ name: String) -> Bool {
        ["llama3", "llama-bpe", "llama-v3"].contains(name)
    }

    /// The pre-tokenizer for a `tokenizer.ggml.pre` name.
    ///
    /// - Throws: ``TokenizerError/unsupportedPreTokenizer(_:)`` for other names.
    static func named(_ name: String) throws -> PreTokenizer {
        switch name {
        case "gpt2", "mpt", "olmo", "jais":
            return .gpt2
        case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva":
            return .digitsThenGPT2
        case "llama3", "llama-bpe", "llama-v3", "dbrx", "smaug-bpe":
            return .llama3
        case "qwen2", "deepseek-r1-qwen":
            return .qwen2
        default:
            throw TokenizerError.unsupportedPreTokenizer(name)
        }
    }

    /// Splits `scalars` into consecutive, non-empty word ranges covering all of it.
    func split(_ scalars: [UInt32]) -> [Range<Int>] {
        let classes = scalars.map(UnicodeClass.of)
        var words: [Range<Int>] = []
        words.reserveCapacity(scalars.count / 3 + 1)
        switch self {
        case .gpt2:
            var segment = WordSegment(scalars: scalars, classes: classes, bounds: 0..<scalars.count)
            segment.splitGPT2(into: &words)
        case .llama3, .qwen2:
            var segment = WordSegment(scalars: scalars, classes: classes, bounds: 0..<scalars.count)
            segment.splitLlama3(into: &words, digitsPerWord: self == .qwen2 ? 1 : 3)
        case .digitsThenGPT2:
            var start = 0
            for index in scalars.indices where classes[index].contains(.number) {
                if start < index {
                    var segment = WordSegment(scalars: scalars, classes: classes, bounds: start..<index)
                    segment.splitGPT2(into: &words)
                }
                words.append(index..<(index + 1))
                start = index + 1
            }
            if start < scalars.count {
                var segment = WordSegment(scalars: scalars, classes: classes, bounds: start..<scalars.count)
                segment.splitGPT2(into: &words)
            }
        }
        return words
    }
}

/// One stretch of text that a rule splits on its own: positions outside `bounds`
/// look like "no character" to the rule.
private struct WordSegment {
    let scalars: [UInt32]
    let classes: [UnicodeClass]
    let bounds: Range<Int>
    var position: Int
    var wordStart: Int

    init(scalars: [UInt32], classes: [UnicodeClass], bounds: Range<Int>) {
        self.scalars = scalars
        self.classes = classes
        self.bounds = bounds
        self.position = bounds.lowerBound
        self.wordStart = bounds.lowerBound
    }

    private static let apostrophe: UInt32 = 0x27, space: UInt32 = 0x20
    private static let carriageReturn: UInt32 = 0x0D, lineFeed: UInt32 = 0x0A

    @inline(__always) func scalar(at index: Int) -> UInt32? {
        bounds.contains(index) ? scalars[index] : nil
    }

    @inline(__always) func classOf(_ index: Int) -> UnicodeClass {
        bounds.contains(index) ? classes[index] : []
    }

    /// A character that is present and is neither white space, a letter nor a number.
    @inline(__always) static func isSymbol(_ c: UnicodeClass) -> Bool {
        c.contains(.present) && c.isDisjoint(with: [.whitespace, .letter, .number])
    }

    mutating func endWord(at end: Int, into words: inout [Range<Int>]) {
        if end > wordStart { words.append(wordStart..<end) }
        wordStart = end
        position = end
    }

    /// The length of a contraction starting at `position` (0 when none).
    func contractionLength(caseInsensitive: Bool) -> Int {
        guard scalars[position] == Self.apostrophe, let next = scalar(at: position + 1) else { return 0 }
        let first = caseInsensitive ? Self.lowercased(next) : next
        switch first {
        case 0x73, 0x74, 0x6D, 0x64: return 2  // s t m d
        default: break
        }
        guard let third = scalar(at: position + 2) else { return 0 }
        let second = caseInsensitive ? Self.lowercased(third) : third
        switch (first, second) {
        case (0x72, 0x65), (0x76, 0x65), (0x6C, 0x6C): return 3  // re ve ll
        default: return 0
        }
    }

    static func lowercased(_ value: UInt32) -> UInt32 {
        if (0x41...0x5A).contains(value) { return value + 0x20 }
        guard value >= 128, let scalar = Unicode.Scalar(value) else { return value }
        let lower = scalar.properties.lowercaseMapping.unicodeScalars
        return lower.count == 1 ? lower.first!.value : value
    }

    /// White space at `position`: returns the run length and the end of the last
    /// line break in it (or `nil`).
    func whitespaceRun() -> (count: Int, lineBreakEnd: Int?) {
        var count = 0
        var lineBreakEnd: Int?
        while classOf(position + count).contains(.whitespace) {
            let value = scalars[position + count]
            if value == Self.carriageReturn || value == Self.lineFeed { lineBreakEnd = position + count + 1 }
            count += 1
        }
        return (count, lineBreakEnd)
    }

    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    mutating func splitGPT2(into words: inout [Range<Int>]) {
        while position < bounds.upperBound {
            let contraction = contractionLength(caseInsensitive: false)
            if contraction > 0 {
                endWord(at: position + contraction, into: &words)
                continue
            }
            let isSpace = scalars[position] == Self.space
            let lead = isSpace ? classOf(position + 1) : classes[position]
            if let wanted: UnicodeClass = lead.contains(.letter) ? .letter : lead.contains(.number) ? .number : nil {
                var end = position + (isSpace ? 1 : 0)
                while classOf(end).contains(wanted) { end += 1 }
                endWord(at: end, into: &words)
                continue
            }
            if Self.isSymbol(lead) {
                var end = position + (isSpace ? 1 : 0)
                while Self.isSymbol(classOf(end)) { end += 1 }
                endWord(at: end, into: &words)
                continue
            }
            let run = whitespaceRun().count
            if run > 1, bounds.contains(position + run) {
                endWord(at: position + run - 1, into: &words)
            } else if run > 0 {
                endWord(at: position + run, into: &words)
            } else {
                endWord(at: position + 1, into: &words)
            }
        }
    }

    /// Llama 3: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
    /// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`; Qwen 2's is the same with
    /// `\p{N}` for `\p{N}{1,3}` (`digitsPerWord` 1).
    mutating func splitLlama3(into words: inout [Range<Int>], digitsPerWord: Int) {
        while position < bounds.upperBound {
            let contraction = contractionLength(caseInsensitive: true)
            if contraction > 0 {
                endWord(at: position + contraction, into: &words)
                continue
            }
            let value = scalars[position]
            let here = classes[position]
            let isLineBreak = value == Self.carriageReturn || value == Self.lineFeed
            if !isLineBreak, !here.contains(.number),
                here.contains(.letter) || classOf(position + 1).contains(.letter)
            {
                var end = position + 1
                while classOf(end).contains(.letter) { end += 1 }
                endWord(at: end, into: &words)
                continue
            }
            if here.contains(.number) {
                var end = position
                while classOf(end).contains(.number) {
                    end += 1
                    if end - wordStart >= digitsPerWord { endWord(at: end, into: &words) }
                }
                endWord(at: end, into: &words)
                continue
            }
            let isSpace = value == Self.space
            let lead = isSpace ? classOf(position + 1) : here
            if Self.isSymbol(lead) {
                var end = position + (isSpace ? 1 : 0)
                while Self.isSymbol(classOf(end)) { end += 1 }
                while let next = scalar(at: end), next == Self.carriageReturn || next == Self.lineFeed { end += 1 }
                endWord(at: end, into: &words)
                continue
            }
            let run = whitespaceRun()
            if let lineBreakEnd = run.lineBreakEnd {
                endWord(at: lineBreakEnd, into: &words)
            } else if run.count > 1, bounds.contains(position + run.count) {
                endWord(at: position + run.count - 1, into: &words)
            } else if run.count > 0 {
                endWord(at: position + run.count, into: &words)
            } else {
                endWord(at: position + 1, into: &words)
            }
        }
    }
}
