/// Counters, end checks and cache normalization of states inside JSON values.
extension ByteAutomaton {
    @inline(__always)
    func arrayCount(_ s: ByteState, slot: Int32) -> Int32 {
        Int32((s.arrays >> UInt64(slot * 16)) & 0xFFFF)
    }

    @inline(__always)
    func setArrayCount(_ s: inout ByteState, slot: Int32, _ value: Int32) {
        let shift = UInt64(slot * 16)
        s.arrays = (s.arrays & ~(0xFFFF << shift)) | (UInt64(value & 0xFFFF) << shift)
    }

    /// Whether a top-level JSON number is complete here.
    func jsonCanEnd(_ s: ByteState) -> Bool {
        guard s.node >= 0, JSONPhase.isAcceptingNumber(s.phase) else { return false }
        var parent = nodes[Int(s.node)].parent
        while parent >= 0, nodes[Int(parent)].kind == .alternatives { parent = nodes[Int(parent)].parent }
        return parent < 0
    }

    /// `s` with counters that cannot matter within `horizon` bytes replaced, and
    /// array counters of arrays not on the current path cleared.
    func jsonNormalized(_ state: ByteState, horizon: Int) -> ByteState {
        var s = state
        guard s.node >= 0 else { return s }
        let current = nodes[Int(s.node)]
        if current.kind == .string, s.phase == JSONPhase.string || s.phase == JSONPhase.escape
            || s.phase == JSONPhase.hex, Int(s.count) + horizon < Int(current.limit)
        {
            s.count = -1
        }
        var arrays: UInt64 = 0
        var id = s.node
        var onPath = !((current.kind == .array || current.kind == .dictionary) && s.phase == JSONPhase.start)
        while id >= 0 {
            let node = nodes[Int(id)]
            if node.kind == .array || node.kind == .dictionary, onPath {
                var count = arrayCount(state, slot: node.slot)
                // Each further item needs at least 3 bytes (", x").
                if Int(count) + horizon / 3 + 1 < Int(node.limit) { count = 0xFFFF }
                let shift = UInt64(node.slot * 16)
                arrays |= UInt64(count) << shift
            }
            onPath = true
            id = node.parent
        }
        s.arrays = arrays
        return s
    }
}
