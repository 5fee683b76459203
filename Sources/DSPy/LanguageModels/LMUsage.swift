/// Token usage per language model, as DSPy's `get_lm_usage()` reports it.
///
/// Entries are keyed by ``LanguageModel/modelIdentifier`` (DSPy keys by
/// `lm.model`) in order of first use. ``jsonObject`` is DSPy's dictionary:
///
///     {"model": {"prompt_tokens": 20, "completion_tokens": 6, "total_tokens": 26,
///                "prompt_tokens_details": {"cached_tokens": 4}}}
///
/// `cached_tokens` counts prompt tokens served from the engine's prefix cache
/// (DSPy shows the provider's figure there). Cache hits of the response cache
/// add nothing, as in DSPy.
public struct LMUsage: Sendable, Hashable, Codable, Sequence {
    /// The usage of each model, in order of first use.
    public private(set) var entries: [(model: String, usage: TokenUsage)]

    public init(_ entries: [(String, TokenUsage)] = []) {
        self.entries = []
        for (model, usage) in entries { add(usage, model: model) }
    }

    /// Adds `usage` to `model`'s entry.
    public mutating func add(_ usage: TokenUsage, model: String) {
        if let i = entries.firstIndex(where: { $0.model == model }) {
            entries[i].usage = entries[i].usage + usage
        } else {
            entries.append((model, usage))
        }
    }

    /// `model`'s usage, if it was used.
    public subscript(model: String) -> TokenUsage? { entries.first { $0.model == model }?.usage }

    /// The models, in order of first use.
    public var models: [String] { entries.map(\.model) }
    /// The sum over all models.
    public var total: TokenUsage { entries.reduce(TokenUsage()) { $0 + $1.usage } }
    public var isEmpty: Bool { entries.isEmpty }

    public func makeIterator() -> IndexingIterator<[(model: String, usage: TokenUsage)]> { entries.makeIterator() }

    /// DSPy's dictionary (`{model: {prompt_tokens, completion_tokens, total_tokens, prompt_tokens_details}}`).
    public var jsonObject: JSONObject {
        JSONObject(entries.map { ($0.model, .object($0.usage.dspyJSON)) })
    }

    public static func + (a: LMUsage, b: LMUsage) -> LMUsage {
        var sum = a
        for (model, usage) in b.entries { sum.add(usage, model: model) }
        return sum
    }

    public static func == (a: LMUsage, b: LMUsage) -> Bool {
        a.entries.map(\.model) == b.entries.map(\.model) && a.entries.map(\.usage) == b.entries.map(\.usage)
    }

    public func hash(into hasher: inout Hasher) {
        for (model, usage) in entries {
            hasher.combine(model)
            hasher.combine(usage)
        }
    }

    private struct Entry: Codable {
        var model: String
        var usage: TokenUsage
    }

    public init(from decoder: any Decoder) throws {
        self.init(try [Entry](from: decoder).map { ($0.model, $0.usage) })
    }

    public func encode(to encoder: any Encoder) throws {
        try entries.map { Entry(model: $0.model, usage: $0.usage) }.encode(to: encoder)
    }
}

extension TokenUsage {
    /// One model's entry in DSPy's usage dictionary.
    public var dspyJSON: JSONObject {
        [
            "prompt_tokens": .int(promptTokens), "completion_tokens": .int(completionTokens),
            "total_tokens": .int(totalTokens), "prompt_tokens_details": ["cached_tokens": .int(cachedPromptTokens)],
        ]
    }
}
