/// Remembers the KV caches of recent prompts so a new prompt that shares a
/// prefix with one of them starts from that prefix instead of from scratch.
///
/// DSPy prompts share their instructions and demos across every example of an
/// evaluation, so usually only the last user message must be computed. Entries
/// are engine sequences holding a whole prompt; lookup forks the entry with the
/// longest common prefix over which both prompts give each token the same attention
/// path (``AttentionPath``), so a prompt's result never depends on what was cached.
/// Eviction is least-recently-used under a budget of cached positions (each costs
/// 46 KB for SmolLM2-135M). Entries are keyed by the LoRA adapter they were computed
/// with: a prompt run with one adapter (or none) never starts from another's keys and values.
struct PrefixCache {
    private struct Entry {
        var tokens: [Int32]
        var sequence: SequenceID
        var adapter: AdapterID?
        var lastUse: Int
    }

    /// The most positions kept across entries.
    let budget: Int
    /// Prompts shorter than this are not kept (too little to gain).
    let minimumLength: Int
    private var entries: [Entry] = []
    private var clock = 0

    init(budget: Int, minimumLength: Int = 32) {
        self.budget = budget
        self.minimumLength = minimumLength
    }

    /// The entry sharing the longest reusable prefix with `prompt`, and that length (at
    /// most `prompt.count - 1`, so at least one token is left to evaluate).
    ///
    /// Reusable: the same tokens, each computed on the attention path that evaluating
    /// `prompt` in one call gives it (entries were evaluated as whole prompts).
    mutating func longestMatch(for prompt: [Int32], adapter: AdapterID? = nil) -> (sequence: SequenceID, length: Int)? {
        var best: (index: Int, length: Int)?
        for (index, entry) in entries.enumerated() where entry.adapter == adapter {
            let limit = AttentionPath.sharedPrefix(
                calls: entry.tokens.count, prompt.count, limit: min(entry.tokens.count, prompt.count - 1))
            var length = 0
            while length < limit, entry.tokens[length] == prompt[length] { length += 1 }
            if length > (best?.length ?? 0) { best = (index, length) }
        }
        guard let best, best.length >= minimumLength else { return nil }
        clock += 1
        entries[best.index].lastUse = clock
        return (entries[best.index].sequence, best.length)
    }

    /// Whether `prompt` is worth keeping (long enough and not already held whole).
    func shouldKeep(_ prompt: [Int32], adapter: AdapterID? = nil) -> Bool {
        prompt.count >= minimumLength && prompt.count <= budget
            && !entries.contains { $0.tokens == prompt && $0.adapter == adapter }
    }

    /// Drops the entries computed with `adapter`; returns their sequences for the caller to free.
    mutating func remove(adapter: AdapterID) -> [SequenceID] {
        let removed = entries.filter { $0.adapter == adapter }.map(\.sequence)
        entries.removeAll { $0.adapter == adapter }
        return removed
    }

    /// Adds a sequence holding `prompt`; returns sequences the caller must free
    /// (entries that are prefixes of the new one, and the least recently used
    /// ones beyond the budget).
    mutating func insert(_ prompt: [Int32], sequence: SequenceID, adapter: AdapterID? = nil) -> [SequenceID] {
        clock += 1
        var evicted: [SequenceID] = []
        entries.removeAll { entry in
            guard entry.adapter == adapter else { return false }
            // Superseded: the new entry holds the same tokens on the same attention paths.
            let isPrefix = entry.tokens.count <= prompt.count && Array(prompt.prefix(entry.tokens.count)) == entry.tokens
                && AttentionPath.sharedPrefix(calls: entry.tokens.count, prompt.count, limit: entry.tokens.count)
                    == entry.tokens.count
            if isPrefix { evicted.append(entry.sequence) }
            return isPrefix
        }
        entries.append(Entry(tokens: prompt, sequence: sequence, adapter: adapter, lastUse: clock))
        var total = entries.reduce(0) { $0 + $1.tokens.count }
        while total > budget, let oldest = entries.indices.min(by: { entries[$0].lastUse < entries[$1].lastUse }) {
            total -= entries[oldest].tokens.count
            evicted.append(entries.remove(at: oldest).sequence)
        }
        return evicted
    }
}
