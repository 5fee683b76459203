extension ConstrainedDecoder {
    var automaton: ByteAutomaton { constraint.automaton }

    /// Initializes the choice progress when `cursor` stands at the start of a choice.
    static func enter(_ cursor: inout Cursor, _ constraint: OutputConstraint) {
        let segment = Int(cursor.state.segment)
        guard segment < constraint.segments.count, cursor.viable.isEmpty else { return }
        let values = constraint.choiceTokens[segment]
        if !values.isEmpty {
            cursor.viable = Array(values.indices)
            cursor.position = 0
        }
    }

    /// The cursor at the start of the segment after `c`'s.
    func nextSegment(_ c: Cursor) -> Cursor {
        var next = Cursor(state: automaton.start(c.state.segment + 1))
        Self.enter(&next, constraint)
        return next
    }

    func isChoice(_ c: Cursor) -> Bool { !c.viable.isEmpty }

    /// The choice value completed at `c` (its tokens are all consumed), if any.
    func completedChoice(_ c: Cursor) -> Int? {
        let values = constraint.choiceTokens[Int(c.state.segment)]
        return c.viable.first { values[$0].count == c.position }
    }

    /// Whether the whole constraint may end at `c`.
    func isFinal(_ c: Cursor) -> Bool {
        if c.state.segment >= automaton.segmentCount { return true }
        if isChoice(c) {
            return completedChoice(c) != nil && isFinal(nextSegment(c))
        }
        if automaton.isFinal(c.state) { return true }
        return automaton.canEnd(c.state) && isFinal(nextSegment(c))
    }

    /// Advances `c` past `token`; `false` (and `c` unspecified) if not allowed.
    func advance(_ c: inout Cursor, _ token: Int32) -> Bool {
        guard c.state.segment < automaton.segmentCount else { return false }
        if isChoice(c) {
            let values = constraint.choiceTokens[Int(c.state.segment)]
            let continuing = c.viable.filter { values[$0].count > c.position && values[$0][c.position] == token }
            if !continuing.isEmpty {
                c.viable = continuing
                c.position += 1
                if continuing.count == 1, values[continuing[0]].count == c.position { c = nextSegment(c) }
                return true
            }
            guard completedChoice(c) != nil else { return false }
            c = nextSegment(c)
            return advance(&c, token)
        }
        let vocabulary = constraint.vocabulary
        guard !vocabulary.isSpecial[Int(token)] else { return false }
        let tokenBytes = vocabulary.tokenBytes[Int(token)]
        guard !tokenBytes.isEmpty else { return false }
        var s = c.state
        var accepted = true
        for b in tokenBytes where !automaton.step(&s, b) {
            accepted = false
            break
        }
        if accepted {
            c.state = s
            Self.enter(&c, constraint)
            return true
        }
        guard automaton.canEnd(c.state) else { return false }
        c = nextSegment(c)
        return advance(&c, token)
    }

    /// The tokens forced at `c` within its current segment (see ``forcedTokens()``).
    mutating func forcedStep(_ c: Cursor) -> [Int32] {
        guard c.state.segment < automaton.segmentCount else { return [] }
        if let cached = forcedCache[c] { return cached }
        var result: [Int32] = []
        if isChoice(c) {
            let values = constraint.choiceTokens[Int(c.state.segment)]
            if c.viable.count == 1 {
                result = Array(values[c.viable[0]][c.position...])
            } else if completedChoice(c) == nil {
                let next = Set(c.viable.map { values[$0][c.position] })
                if next.count == 1 { result = [next.first!] }
            }
        } else {
            var determined = determinedBytes(c.state)
            // Stop before a trailing space that precedes a free value: the model then
            // picks a token that starts with the space, as its tokenizer would.
            if !determined.final {
                while determined.bytes.last == 0x20 { determined.bytes.removeLast() }
            }
            // Never force half a character.
            var utf8: UInt8 = 0
            var lastBoundary = 0
            for (i, b) in determined.bytes.enumerated() {
                _ = UTF8Check.step(&utf8, b)
                if UTF8Check.isComplete(utf8) { lastBoundary = i + 1 }
            }
            determined.bytes.removeLast(determined.bytes.count - lastBoundary)
            if !determined.bytes.isEmpty { result = tokenize(determined.bytes) }
        }
        if forcedCache.count > 4096 { forcedCache.removeAll() }
        forcedCache[c] = result
        return result
    }

    /// The longest byte string that must follow `state`, and whether the constraint
    /// is complete after it.
    func determinedBytes(_ state: ByteState) -> (bytes: [UInt8], final: Bool) {
        var s = state
        var out: [UInt8] = []
        while out.count < 4096, s.segment < automaton.segmentCount,
            automaton.segments[Int(s.segment)].kind != .choice, !automaton.canEnd(s)
        {
            var only: UInt8 = 0
            var next = s
            var options = 0
            for b in 0...255 {
                var t = s
                if automaton.step(&t, UInt8(b)) {
                    options += 1
                    if options > 1 { break }
                    only = UInt8(b)
                    next = t
                }
            }
            guard options == 1 else { break }
            out.append(only)
            s = next
        }
        return (out, s.segment >= automaton.segmentCount)
    }

    /// The canonical tokenization of `bytes` (valid UTF-8); falls back to greedy
    /// longest-match tokens if the encoder does not spell the bytes exactly.
    func tokenize(_ bytes: [UInt8]) -> [Int32] {
        let vocabulary = constraint.vocabulary
        let ids = vocabulary.encode(String(decoding: bytes, as: UTF8.self))
        var spelled: [UInt8] = []
        var valid = true
        for id in ids {
            guard id >= 0, Int(id) < vocabulary.count, !vocabulary.isSpecial[Int(id)] else {
                valid = false
                break
            }
            spelled += vocabulary.tokenBytes[Int(id)]
        }
        if valid, spelled == bytes { return ids }
        var result: [Int32] = []
        var position = 0
        while position < bytes.count {
            guard let (token, length) = vocabulary.trie.longestToken(in: bytes, from: position) else { return [] }
            result.append(token)
            position += length
        }
        return result
    }

    /// Adds the tokens allowed at `c` to `mask`.
    mutating func addAllowed(_ c: Cursor, into mask: inout TokenMask) {
        if isFinal(c) {
            for token in constraint.vocabulary.endOfText { mask.insert(token) }
        }
        guard c.state.segment < automaton.segmentCount else { return }
        let forced = forcedStep(c)
        if let first = forced.first {
            mask.insert(first)
            return
        }
        if isChoice(c) {
            let values = constraint.choiceTokens[Int(c.state.segment)]
            for v in c.viable where values[v].count > c.position { mask.insert(values[v][c.position]) }
            if completedChoice(c) != nil { addAllowed(nextSegment(c), into: &mask) }
            return
        }
        let vocabulary = constraint.vocabulary
        let trie = vocabulary.trie
        let automaton = self.automaton
        func cachedWalk(_ start: ByteState) -> TokenMask {
            constraint.maskCache.mask(for: automaton.normalized(start, horizon: trie.maxDepth)) {
                var walked = TokenMask(count: mask.count)
                trie.walk(start: start, step: { automaton.step(&$0, $1) }, visit: { walked.insert($0) })
                return walked
            }
        }
        if let (far, budget) = automaton.nearLimit(c.state, horizon: trie.maxDepth) {
            // Short tokens behave as far from the limit; walk only the longer ones.
            mask.formUnion(cachedWalk(far), intersectedWith: vocabulary.tokensUpToLength[budget])
            trie.walk(
                start: c.state, longerThan: budget, step: { automaton.step(&$0, $1) },
                visit: { mask.insert($0) })
        } else {
            mask.formUnion(cachedWalk(c.state))
        }
        if automaton.canEnd(c.state) { addAllowed(nextSegment(c), into: &mask) }
    }
}
