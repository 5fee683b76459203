/// The byte-level matcher behind an ``OutputConstraint``: segments compiled into flat
/// tables, and a `step` function over ``ByteState``.
///
/// Literals, free text and JSON are matched byte by byte; choice segments are
/// barriers here (the decoder matches them token by token), so a byte walk stops at
/// the start of a choice. Transitions that consume nothing happen eagerly: when a
/// literal, a free-text terminator or a closed JSON value completes, the state moves
/// to the start of the next segment at once. The only states that can end without
/// consuming a byte are those of a top-level JSON number whose next byte decides
/// (`canEnd`).
///
/// Cost: `step` is a few comparisons and table reads; no allocation.
struct ByteAutomaton: Sendable {
    enum Kind: UInt8, Sendable { case literal, freeText, json, choice }

    struct Segment: Sendable {
        var kind: Kind
        /// Literal bytes or free-text terminator, in `bytePool`.
        var bytes: Range<Int> = 0..<0
        /// Free-text limit in bytes.
        var maxBytes: Int32 = 0
        /// Root JSON node.
        var root: Int32 = -1
    }

    var segments: [Segment] = []
    /// Literal and terminator bytes, JSON literals.
    var bytePool: [UInt8] = []
    /// KMP failure table per free-text terminator, parallel to `bytePool`.
    var failure: [Int32] = []
    /// JSON nodes (see `ByteAutomaton+JSON.swift`).
    var nodes: [JSONNode] = []
    /// JSON literal table: object key literals, enumeration values.
    var literals: [Range<Int>] = []
    /// JSON child node ids (object properties in order; an array's item).
    var children: [Int32] = []
    /// The bytes each child can start with, 256 bits (4 words) per `children` entry.
    var childFirstBytes: [UInt64] = []

    var segmentCount: Int32 { Int32(segments.count) }

    /// The state at the start of segment `index` (past the end: complete).
    func start(_ index: Int32) -> ByteState {
        var state = ByteState(segment: index)
        if index < segmentCount, segments[Int(index)].kind == .json {
            state.node = segments[Int(index)].root
        }
        return state
    }

    /// Appends `bytes` to the pool and returns their range.
    mutating func intern(_ bytes: [UInt8]) -> Range<Int> {
        let start = bytePool.count
        bytePool.append(contentsOf: bytes)
        // KMP failure function, used only for terminators but cheap to keep for all.
        failure.append(contentsOf: [Int32](repeating: 0, count: bytes.count))
        var k: Int32 = 0
        for i in 1..<max(bytes.count, 1) {
            while k > 0, bytes[i] != bytes[Int(k)] { k = failure[start + Int(k) - 1] }
            if bytes[i] == bytes[Int(k)] { k += 1 }
            failure[start + i] = k
        }
        return start..<bytePool.count
    }

    /// Advances `state` by one byte; `false` (state unspecified) if rejected.
    @inline(__always)
    func step(_ state: inout ByteState, _ b: UInt8) -> Bool {
        while state.segment < segmentCount {
            let segment = segments[Int(state.segment)]
            switch segment.kind {
            case .literal:
                guard bytePool[segment.bytes.lowerBound + Int(state.offset)] == b else { return false }
                state.offset += 1
                if Int(state.offset) == segment.bytes.count { advance(&state) }
                return true
            case .freeText:
                return stepFreeText(&state, b, segment)
            case .json:
                switch stepJSON(&state, b) {
                case .consumed: return true
                case .rejected: return false
                case .consumedAndClosed:
                    advance(&state)
                    return true
                case .closedBefore: advance(&state)  // the byte belongs to the next segment
                }
            case .choice:
                return false
            }
        }
        return false
    }

    /// Moves to the start of the next segment, skipping empty literals.
    @inline(__always)
    func advance(_ state: inout ByteState) {
        state = start(state.segment + 1)
    }

    /// Whether the state may end here (without another byte) and move on to the next
    /// segment: only a complete top-level JSON number whose digits could continue.
    func canEnd(_ state: ByteState) -> Bool {
        guard state.segment < segmentCount, segments[Int(state.segment)].kind == .json else {
            return false
        }
        return jsonCanEnd(state)
    }

    /// Whether the whole automaton is complete in `state`.
    func isFinal(_ state: ByteState) -> Bool {
        var s = state
        while s.segment < segmentCount {
            guard canEnd(s) else { return false }
            s = start(s.segment + 1)
        }
        return true
    }

    private func stepFreeText(_ state: inout ByteState, _ b: UInt8, _ segment: Segment) -> Bool {
        let isSpace = b == 0x20 || b == 0x0A || b == 0x09
        let terminator = segment.bytes
        // The text is not empty: it may not start with a blank or with its terminator.
        if state.count == 0, isSpace || b == bytePool[terminator.lowerBound] { return false }
        if b < 0x20, !isSpace { return false }  // no control characters, no CR
        // Match the terminator (KMP).
        var k = Int(state.offset)
        if state.count >= segment.maxBytes, UTF8Check.isComplete(state.utf8) {
            // At the limit only the terminator may follow.
            guard bytePool[terminator.lowerBound + k] == b else { return false }
            k += 1
        } else {
            if UTF8Check.isComplete(state.utf8) {
                // A character must fit before the limit, whole.
                let length: Int32 = b < 0xC0 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
                guard state.count + length <= segment.maxBytes else { return false }
            }
            guard UTF8Check.step(&state.utf8, b) else { return false }
            while k > 0, bytePool[terminator.lowerBound + k] != b {
                k = Int(failure[terminator.lowerBound + k - 1])
            }
            if bytePool[terminator.lowerBound + k] == b { k += 1 }
        }
        // No line of the text may start with "[[" (after optional blanks): DSPy would
        // read `[[ ## name ## ]]` there as a header. Only the terminator may.
        switch b {
        case 0x0A: state.phase = FreeTextPhase.lineStart
        case 0x20, 0x09: if state.phase != FreeTextPhase.lineStart { state.phase = FreeTextPhase.inLine }
        case UInt8(ascii: "["):
            if state.phase == FreeTextPhase.lineStartBracket, k != terminator.count { return false }
            state.phase =
                state.phase == FreeTextPhase.lineStart || state.count == 0
                ? FreeTextPhase.lineStartBracket : FreeTextPhase.inLine
        default: state.phase = FreeTextPhase.inLine
        }
        state.count += 1
        if k == terminator.count {
            // The terminator is the start of the next literal (checked at compile time).
            let next = start(state.segment + 1)
            state = next
            state.offset = Int32(terminator.count)
            if state.segment < segmentCount,
                Int(state.offset) == segments[Int(state.segment)].bytes.count
            {
                advance(&state)
            }
        } else {
            state.offset = Int32(k)
        }
        return true
    }

    /// For a state whose length counter is close to its limit: an equivalent state
    /// far from the limit, and a byte budget such that every token of at most
    /// `budget` bytes is accepted from `state` exactly when it is from `far`.
    /// `nil` when the state is not near a limit (or no such far state exists).
    ///
    /// A near-limit mask is then the far state's (cached) mask restricted to short
    /// tokens, plus a walk over the few longer tokens only.
    func nearLimit(_ state: ByteState, horizon: Int) -> (far: ByteState, budget: Int)? {
        guard state.segment < segmentCount else { return nil }
        let segment = segments[Int(state.segment)]
        switch segment.kind {
        case .freeText:
            // Whole characters must fit before the limit: keep 4 bytes of slack.
            let budget = Int(segment.maxBytes) - Int(state.count) - 4
            guard state.count > 0, Int(state.count) + horizon >= Int(segment.maxBytes),
                1 + horizon < Int(segment.maxBytes), budget > 0
            else { return nil }
            var far = state
            far.count = 1
            return (far, budget)
        case .json:
            guard state.node >= 0 else { return nil }
            let node = nodes[Int(state.node)]
            let inString = state.phase == JSONPhase.string || state.phase == JSONPhase.escape
                || state.phase == JSONPhase.hex
            let budget = Int(node.limit) - Int(state.count) - 1
            guard node.kind == .string, inString, Int(state.count) + horizon >= Int(node.limit),
                horizon < Int(node.limit), budget > 0
            else { return nil }
            var far = state
            far.count = 0
            return (far, budget)
        default:
            return nil
        }
    }

    /// Phases of ``ByteState/phase`` in free text: where the last bytes sit in the line.
    enum FreeTextPhase {
        static let inLine: UInt8 = 0, lineStart: UInt8 = 1, lineStartBracket: UInt8 = 2
    }

    /// The state with counters that cannot matter within `horizon` more bytes
    /// replaced by sentinels, so equivalent states share a cached mask.
    func normalized(_ state: ByteState, horizon: Int) -> ByteState {
        var s = state
        guard s.segment < segmentCount else { return s }
        let segment = segments[Int(s.segment)]
        switch segment.kind {
        case .freeText:
            if s.count > 0, Int(s.count) + horizon < Int(segment.maxBytes) { s.count = 1 }
        case .json:
            s = jsonNormalized(s, horizon: horizon)
        default:
            break
        }
        return s
    }
}
