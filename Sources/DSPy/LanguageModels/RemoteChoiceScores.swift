import Foundation

/// Per-choice scores for a remote ChatAdapter completion, from the top log-probabilities
/// a server returns (`logprobs: true, top_logprobs: k`), so ``ChoiceCalibration`` works
/// through ``OpenAICompatibleLM`` as it does with the embedded engine.
///
/// The approximation: the embedded engine scores each whole value; a server shows only
/// the generated tokens and the top *k* alternatives at each position. A choice is scored
/// by the log-probabilities of the generated tokens it shares with the answer, plus the
/// log-probability of its first distinguishing token — the best top-*k* alternative
/// consistent with it at the first position where the answer leaves it. A choice not among
/// the top *k* there gets the lowest visible log-probability (an upper bound on its own).
/// The generated value scores its tokens up to the last position where another choice
/// left it, so without offsets the decision is the server's own greedy one. Token texts are matched
/// to choices by bytes, so the server's tokenizer never needs to be known.
///
/// With calibration offsets in the structure the calibrated decision `argmax(score − offset)`
/// replaces the generated value in the text; later fields were generated after the original
/// value (exact for single-choice signatures such as sentiment).
enum RemoteChoiceScores {
    /// The scores of every choice field, in the request log's `choice_scores` form, and the
    /// text with calibrated decisions applied.
    static func apply(_ structure: OutputStructure, text: String, tokens: [OpenAIWire.TokenLogprob]) -> (String, [JSONValue]) {
        guard structure.style == .chatHeaders, !tokens.isEmpty else { return (text, []) }
        var text = text
        var entries: [JSONValue] = []
        for (index, field) in structure.fields.enumerated() {
            guard let choices = field.choices, choices.count > 1,
                  let span = valueSpan(in: text, structure: structure, fieldAt: index) else { continue }
            let bytes = Array(text.utf8)
            let value = String(decoding: bytes[span], as: UTF8.self)
            let trimmedStart = trimmedRange(bytes, span).1
            guard let generated = choices.firstIndex(of: value.trimmingCharacters(in: .whitespacesAndNewlines)),
                  let logprobs = scores(choices: choices, generated: generated, valueStart: trimmedStart, tokens: tokens)
            else { continue }
            let offsets = choices.map { field.choiceOffsets?[$0] ?? 0 }
            var chosen = 0
            for j in choices.indices where logprobs[j] - offsets[j] > logprobs[chosen] - offsets[chosen] { chosen = j }
            if chosen != generated {
                text = String(decoding: bytes[..<span.lowerBound], as: UTF8.self) + choices[chosen]
                    + String(decoding: bytes[span.upperBound...], as: UTF8.self)
            }
            entries.append(.object([
                "field": .string(field.name), "values": .array(choices.map(JSONValue.string)),
                "logprobs": .array(logprobs.map(JSONValue.double)), "offsets": .array(offsets.map(JSONValue.double)),
                "chosen": .string(choices[chosen]),
            ]))
        }
        return (text, entries)
    }

    /// The byte range of field `index`'s value: after its header line, up to the next header's blank line.
    static func valueSpan(in text: String, structure: OutputStructure, fieldAt index: Int) -> Range<Int>? {
        let bytes = Array(text.utf8)
        let header = Array((structure.fields[index].header + "\n").utf8)
        guard let start = find(header, in: bytes, from: 0).map({ $0 + header.count }) else { return nil }
        let end = find(Array("\n\n[[ ## ".utf8), in: bytes, from: start) ?? bytes.count
        return start..<end
    }

    /// The range without surrounding whitespace, and its start.
    static func trimmedRange(_ bytes: [UInt8], _ span: Range<Int>) -> (Range<Int>, Int) {
        var lower = span.lowerBound
        var upper = span.upperBound
        while lower < upper, [9, 10, 13, 32].contains(bytes[lower]) { lower += 1 }
        while upper > lower, [9, 10, 13, 32].contains(bytes[upper - 1]) { upper -= 1 }
        return (lower..<upper, lower)
    }

    /// Each choice's score (see the type's summary), or `nil` when the tokens do not cover the generated value.
    static func scores(choices: [String], generated: Int, valueStart: Int, tokens: [OpenAIWire.TokenLogprob]) -> [Double]? {
        let targets = choices.map { Array($0.utf8) }
        var result = [Double?](repeating: nil, count: choices.count)
        var offset = 0
        var consumed: [UInt8] = []  // value bytes generated before the current token
        var shared = 0.0  // log-probability of those tokens
        var generatedScore: Double?  // `shared` after the last token where another choice left the answer
        var complete = false  // the generated value has been covered
        for token in tokens {
            let piece = Array(token.token.utf8)
            defer { offset += piece.count }
            guard offset + piece.count > valueStart else { continue }
            let before = Array(piece.prefix(max(0, valueStart - offset)))  // bytes of this token before the value
            let open = targets.indices.filter { $0 != generated && result[$0] == nil && targets[$0].starts(with: consumed) }
            guard !open.isEmpty || !complete else { break }
            /// Whether a token `alternative` here keeps `choice` possible: it adds value bytes that
            /// are a prefix of the choice, or that complete it and go on with whitespace.
            func consistent(_ alternative: [UInt8], with choice: Int) -> Bool {
                guard alternative.starts(with: before), alternative.count > before.count else { return false }
                let reached = consumed + alternative.dropFirst(before.count)
                let target = targets[choice]
                if target.starts(with: reached) { return true }
                return reached.count > target.count && reached.starts(with: target) && [9, 10, 13, 32].contains(reached[target.count])
            }
            let alternatives = (token.topLogprobs ?? []).map { (Array($0.token.utf8), $0.logprob) } + [(piece, token.logprob)]
            let floor = alternatives.map(\.1).min() ?? token.logprob
            var diverged = false
            for choice in open where !consistent(piece, with: choice) {
                let best = alternatives.filter { consistent($0.0, with: choice) }.map(\.1).max()
                result[choice] = shared + (best ?? floor)
                diverged = true
            }
            shared += token.logprob
            if diverged { generatedScore = shared }
            consumed += piece.dropFirst(before.count)
            if consumed.starts(with: targets[generated]) { complete = true }
        }
        guard complete else { return nil }
        result[generated] = generatedScore ?? shared
        let lowest = result.compactMap { $0 }.min() ?? 0
        return result.map { $0 ?? lowest }
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        for i in start...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }
}
