/// One node of a compiled JSON schema. The schema is a tree (no recursion), so every
/// node knows statically where to continue when it closes: its parent's next step.
struct JSONNode: Sendable {
    enum Kind: UInt8, Sendable { case string, integer, number, choice, array, object, dictionary, alternatives }
    var kind: Kind
    var nullable: Bool
    var parent: Int32
    /// Property index in the parent object.
    var index: Int32
    /// String: maximum characters; array: maximum items; dictionary: maximum entries.
    var limit: Int32
    /// Array, dictionary: the counter slot in ``ByteState/arrays`` (0...3).
    var slot: Int32
    /// Children in `ByteAutomaton.children`.
    var childStart: Int32
    var childCount: Int32
    /// Object: key literals then the closing literal; choice: the values.
    /// Children: object properties in order; an array's item; a dictionary's key
    /// (a string) and value; the alternatives.
    var literalStart: Int32
    var literalCount: Int32
}

/// The phases of ``ByteState/phase`` inside a JSON value.
enum JSONPhase {
    static let start: UInt8 = 0, null: UInt8 = 1
    static let string: UInt8 = 2, escape: UInt8 = 3, hex: UInt8 = 4
    static let choice: UInt8 = 5
    static let arrayOpen: UInt8 = 6, arrayAfterItem: UInt8 = 7, arrayAfterComma: UInt8 = 8
    static let object: UInt8 = 9
    static let minus: UInt8 = 10, zero: UInt8 = 11, integer: UInt8 = 12, dot: UInt8 = 13
    static let fraction: UInt8 = 14, exponentMark: UInt8 = 15, exponentSign: UInt8 = 16
    static let exponent: UInt8 = 17
    static let dictionaryOpen: UInt8 = 18, dictionaryColon: UInt8 = 19
    static let dictionaryAfterValue: UInt8 = 20, dictionaryAfterComma: UInt8 = 21

    /// Phases in which a number is complete (but could continue).
    @inline(__always)
    static func isAcceptingNumber(_ phase: UInt8) -> Bool {
        phase == zero || phase == integer || phase == fraction || phase == exponent
    }
}

/// The result of one JSON byte.
enum JSONStep {
    /// The byte was consumed inside the value.
    case consumed
    /// The byte was consumed and closed the top-level value.
    case consumedAndClosed
    /// The top-level value (a number) closed before this byte, which is not consumed.
    case closedBefore
    case rejected
}
