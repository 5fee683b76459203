import DSPy
import DSPyEngine
import Foundation

extension EmbeddedLM {
    /// Alternatives recorded per sampled token in a call's token trace.
    static let tokenTraceAlternatives = 3

    /// A generation's per-token provenance as `metadata["token_trace"]`, the shape the
    /// request log stores (`DSPyStore.TokenTrace`): per token its text, `o` (`f` forced,
    /// `c` a scored choice with `c` its index, `s` sampled with `lp` and the `top`
    /// alternatives when log-probabilities were computed), the scored choices, and the
    /// prompt's token and prefix-cached counts with, per message, how many of its leading
    /// characters were in the cached prefix.
    ///
    /// Cost: one detokenization of the prompt (to place the cache boundary) and one piece
    /// lookup per generated or alternative token.
    static func tokenTrace(
        _ generation: Generation, prompt: [Int32], messages: [String], tokenizer: Tokenizer, plan: ConstraintPlan
    ) -> JSONValue {
        func piece(_ token: Int32) -> JSONValue {
            .string(String(decoding: tokenizer.pieceBytes(for: token, renderSpecial: true), as: UTF8.self))
        }
        func rounded(_ value: Double) -> JSONValue {
            value.isFinite ? .double((value * 1000).rounded() / 1000) : .double(-1e9)
        }
        var tokens: [JSONValue] = []
        for (index, token) in generation.tokens.enumerated() {
            var entry: JSONObject = ["t": piece(token)]
            switch generation.tokenOrigins.indices.contains(index) ? generation.tokenOrigins[index] : .sampled(nil) {
            case .forced:
                entry["o"] = "f"
            case .choice(let choice):
                entry["o"] = "c"
                entry["c"] = .int(choice)
            case .sampled(let position):
                entry["o"] = "s"
                if let position, generation.logprobs.indices.contains(position) {
                    let logprobs = generation.logprobs[position]
                    entry["lp"] = rounded(Double(logprobs.chosen.logprob))
                    entry["top"] = .array(logprobs.top.map { .object(["t": piece($0.token), "lp": rounded(Double($0.logprob))]) })
                }
            }
            tokens.append(.object(entry))
        }
        let choices: [JSONValue] = generation.choiceScores.map { score in
            .object([
                "field": .string(plan.choiceFields[score.segment] ?? "segment \(score.segment)"),
                "values": .array(score.values.map(JSONValue.string)),
                "logprobs": .array(score.logprobs.map(rounded)),
                "offsets": .array(score.offsets.map(rounded)),
                "chosen": .int(score.chosen),
            ])
        }
        var trace: JSONObject = [
            "prompt_tokens": .int(generation.promptTokens),
            "cached_prompt_tokens": .int(generation.cachedPromptTokens),
            "tokens": .array(tokens), "choices": .array(choices),
        ]
        if generation.cachedPromptTokens > 0,
            let cached = cachedCharacters(prompt: prompt, cached: generation.cachedPromptTokens, messages: messages, tokenizer: tokenizer)
        {
            trace["cached_chars"] = .array(cached.map(JSONValue.int))
        }
        return .object(trace)
    }

    /// Per message, how many of its leading characters lie in the first `cached` prompt
    /// tokens, found by locating each message's text in the rendered prompt in order; `nil`
    /// when a message cannot be found (a template that rewrites the text).
    static func cachedCharacters(prompt: [Int32], cached: Int, messages: [String], tokenizer: Tokenizer) -> [Int]? {
        let rendered = Array(tokenizer.decode(prompt, renderSpecial: true).utf8)
        let boundary = tokenizer.decode(Array(prompt.prefix(cached)), renderSpecial: true).utf8.count
        var searchFrom = 0
        var result: [Int] = []
        for message in messages {
            let needle = Array(message.utf8)
            guard !needle.isEmpty else { result.append(0); continue }
            guard let start = firstIndex(of: needle, in: rendered, from: searchFrom) else { return nil }
            searchFrom = start + needle.count
            let bytes = min(max(boundary - start, 0), needle.count)
            result.append(String(decoding: needle.prefix(bytes), as: UTF8.self).count)
        }
        return result
    }

    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        var index = start
        while index + needle.count <= haystack.count {
            if haystack[index] == needle[0], haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
