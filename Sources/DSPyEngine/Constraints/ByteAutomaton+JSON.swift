/// JSON values, byte by byte, in the compact layout of ``ConstraintSegment/json(_:)``.
extension ByteAutomaton {
    private static let nullBytes: [UInt8] = Array("null".utf8)

    /// Advances a state inside a JSON segment by one byte.
    func stepJSON(_ s: inout ByteState, _ b: UInt8) -> JSONStep {
        while true {
            let node = nodes[Int(s.node)]
            switch s.phase {
            case JSONPhase.start:
                if node.nullable, b == UInt8(ascii: "n") {
                    s.phase = JSONPhase.null
                    s.offset = 1
                    return .consumed
                }
                switch node.kind {
                case .string:
                    guard b == UInt8(ascii: "\"") else { return .rejected }
                    s.phase = JSONPhase.string
                    s.count = 0
                    s.utf8 = 0
                    return .consumed
                case .integer, .number:
                    s.count = 1
                    switch b {
                    case UInt8(ascii: "-"): s.phase = JSONPhase.minus
                    case UInt8(ascii: "0"): s.phase = JSONPhase.zero
                    case UInt8(ascii: "1")...UInt8(ascii: "9"): s.phase = JSONPhase.integer
                    default: return .rejected
                    }
                    return .consumed
                case .choice:
                    s.phase = JSONPhase.choice
                    s.offset = 0
                    s.choices = node.literalCount >= 64 ? .max : (1 << UInt64(node.literalCount)) - 1
                    continue
                case .array:
                    guard b == UInt8(ascii: "[") else { return .rejected }
                    setArrayCount(&s, slot: node.slot, 0)
                    s.phase = JSONPhase.arrayOpen
                    return .consumed
                case .object:
                    s.phase = JSONPhase.object
                    s.count = 0
                    s.offset = 0
                    continue
                case .dictionary:
                    guard b == UInt8(ascii: "{") else { return .rejected }
                    setArrayCount(&s, slot: node.slot, 0)
                    s.phase = JSONPhase.dictionaryOpen
                    return .consumed
                case .alternatives:
                    // Alternatives start with disjoint bytes: the first byte picks one.
                    var picked: Int32 = -1
                    for k in 0..<Int(node.childCount) {
                        let entry = Int(node.childStart) + k
                        if childFirstBytes[entry * 4 + Int(b >> 6)] & (1 << UInt64(b & 63)) != 0 {
                            picked = children[entry]
                            break
                        }
                    }
                    guard picked >= 0 else { return .rejected }
                    s.node = picked
                    continue
                }
            case JSONPhase.null:
                guard Self.nullBytes[Int(s.offset)] == b else { return .rejected }
                s.offset += 1
                return s.offset == 4 ? close(&s) : .consumed
            case JSONPhase.string:
                if b == UInt8(ascii: "\""), UTF8Check.isComplete(s.utf8) { return close(&s) }
                if b == UInt8(ascii: "\\") {
                    guard UTF8Check.isComplete(s.utf8), s.count < node.limit else { return .rejected }
                    s.phase = JSONPhase.escape
                    return .consumed
                }
                guard b >= 0x20 else { return .rejected }
                let isContinuation = !UTF8Check.isComplete(s.utf8)
                if !isContinuation, s.count >= node.limit { return .rejected }
                guard UTF8Check.step(&s.utf8, b) else { return .rejected }
                if !isContinuation { s.count += 1 }
                return .consumed
            case JSONPhase.escape:
                switch b {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                    UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    s.phase = JSONPhase.string
                    s.count += 1
                case UInt8(ascii: "u"):
                    s.phase = JSONPhase.hex
                    s.offset = 0
                default:
                    return .rejected
                }
                return .consumed
            case JSONPhase.hex:
                let isHex =
                    (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
                    || (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "f"))
                    || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "F"))
                // No surrogate escapes (\uD800-\uDFFF): a lone one does not decode.
                guard isHex, !(s.offset == 0 && (b == UInt8(ascii: "d") || b == UInt8(ascii: "D"))) else {
                    return .rejected
                }
                s.offset += 1
                if s.offset == 4 {
                    s.phase = JSONPhase.string
                    s.count += 1
                }
                return .consumed
            case JSONPhase.choice:
                var viable: UInt64 = 0
                var closed = false
                var bits = s.choices
                while bits != 0 {
                    let i = bits.trailingZeroBitCount
                    bits &= bits - 1
                    let value = literals[Int(node.literalStart) + i]
                    if Int(s.offset) < value.count, bytePool[value.lowerBound + Int(s.offset)] == b {
                        viable |= 1 << UInt64(i)
                        if Int(s.offset) + 1 == value.count { closed = true }
                    }
                }
                guard viable != 0 else { return .rejected }
                s.choices = viable
                s.offset += 1
                // Values are prefix-free, so a completed value is the only one left.
                return closed ? close(&s) : .consumed
            case JSONPhase.arrayOpen:
                if b == UInt8(ascii: "]") { return close(&s) }
                guard node.limit > 0 else { return .rejected }
                setArrayCount(&s, slot: node.slot, 1)
                s.node = children[Int(node.childStart)]
                s.phase = JSONPhase.start
                continue
            case JSONPhase.arrayAfterItem:
                if b == UInt8(ascii: "]") { return close(&s) }
                guard b == UInt8(ascii: ","), arrayCount(s, slot: node.slot) < node.limit else {
                    return .rejected
                }
                s.phase = JSONPhase.arrayAfterComma
                return .consumed
            case JSONPhase.arrayAfterComma:
                guard b == UInt8(ascii: " ") else { return .rejected }
                setArrayCount(&s, slot: node.slot, arrayCount(s, slot: node.slot) + 1)
                s.node = children[Int(node.childStart)]
                s.phase = JSONPhase.start
                return .consumed
            case JSONPhase.dictionaryOpen:
                if b == UInt8(ascii: "}") { return close(&s) }
                guard node.limit > 0 else { return .rejected }
                setArrayCount(&s, slot: node.slot, 1)
                s.node = children[Int(node.childStart)]  // the key
                s.phase = JSONPhase.start
                continue
            case JSONPhase.dictionaryColon:
                let colon: UInt8 = s.offset == 0 ? UInt8(ascii: ":") : UInt8(ascii: " ")
                guard b == colon else { return .rejected }
                s.offset += 1
                if s.offset == 2 {
                    s.node = children[Int(node.childStart) + 1]  // the value
                    s.phase = JSONPhase.start
                }
                return .consumed
            case JSONPhase.dictionaryAfterValue:
                if b == UInt8(ascii: "}") { return close(&s) }
                guard b == UInt8(ascii: ","), arrayCount(s, slot: node.slot) < node.limit else {
                    return .rejected
                }
                s.phase = JSONPhase.dictionaryAfterComma
                return .consumed
            case JSONPhase.dictionaryAfterComma:
                guard b == UInt8(ascii: " ") else { return .rejected }
                setArrayCount(&s, slot: node.slot, arrayCount(s, slot: node.slot) + 1)
                s.node = children[Int(node.childStart)]
                s.phase = JSONPhase.start
                return .consumed
            case JSONPhase.object:
                let literal = literals[Int(node.literalStart) + Int(s.count)]
                guard bytePool[literal.lowerBound + Int(s.offset)] == b else { return .rejected }
                s.offset += 1
                guard Int(s.offset) == literal.count else { return .consumed }
                if s.count < node.childCount {
                    s.node = children[Int(node.childStart) + Int(s.count)]
                    s.phase = JSONPhase.start
                    return .consumed
                }
                return close(&s)
            default:
                if stepNumber(&s, b, isInteger: node.kind == .integer) { return .consumed }
                guard JSONPhase.isAcceptingNumber(s.phase) else { return .rejected }
                if close(&s) == .consumedAndClosed { return .closedBefore }
                continue  // the byte belongs to the parent
            }
        }
    }

    /// Number phases; `false` when `b` does not continue the number.
    @inline(__always)
    private func stepNumber(_ s: inout ByteState, _ b: UInt8, isInteger: Bool) -> Bool {
        let isDigit = b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")
        let intLimit: Int32 = isInteger ? 18 : 16
        switch s.phase {
        case JSONPhase.minus:
            guard isDigit else { return false }
            s.phase = b == UInt8(ascii: "0") ? JSONPhase.zero : JSONPhase.integer
        case JSONPhase.zero, JSONPhase.integer:
            if isDigit, s.phase == JSONPhase.integer, s.count < intLimit {
                s.count += 1
            } else if !isInteger, b == UInt8(ascii: ".") {
                s.phase = JSONPhase.dot
            } else if !isInteger, b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
                s.phase = JSONPhase.exponentMark
            } else {
                return false
            }
        case JSONPhase.dot:
            guard isDigit else { return false }
            s.phase = JSONPhase.fraction
            s.count = 1
        case JSONPhase.fraction:
            if isDigit, s.count < 16 {
                s.count += 1
            } else if b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
                s.phase = JSONPhase.exponentMark
            } else {
                return false
            }
        case JSONPhase.exponentMark:
            if b == UInt8(ascii: "+") || b == UInt8(ascii: "-") {
                s.phase = JSONPhase.exponentSign
            } else if isDigit {
                s.phase = JSONPhase.exponent
                s.count = 1
            } else {
                return false
            }
        case JSONPhase.exponentSign:
            guard isDigit else { return false }
            s.phase = JSONPhase.exponent
            s.count = 1
        case JSONPhase.exponent:
            guard isDigit, s.count < 2 else { return false }
            s.count += 1
        default:
            return false
        }
        return true
    }

    /// Closes the current node: continues in the parent, or reports the top-level
    /// value closed.
    @inline(__always)
    private func close(_ s: inout ByteState) -> JSONStep {
        var node = nodes[Int(s.node)]
        var id = s.node
        // An alternative closes its alternatives node too.
        while node.parent >= 0, nodes[Int(node.parent)].kind == .alternatives {
            id = node.parent
            node = nodes[Int(id)]
        }
        guard node.parent >= 0 else { return .consumedAndClosed }
        let parent = nodes[Int(node.parent)]
        s.node = node.parent
        s.offset = 0
        s.utf8 = 0
        switch parent.kind {
        case .object:
            s.phase = JSONPhase.object
            s.count = node.index + 1
        case .dictionary:
            s.phase = node.index == 0 ? JSONPhase.dictionaryColon : JSONPhase.dictionaryAfterValue
        default:
            s.phase = JSONPhase.arrayAfterItem
        }
        return .consumed
    }
}
