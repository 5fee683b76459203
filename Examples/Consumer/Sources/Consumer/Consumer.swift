import DSPy

/// A program of the consumer's own, written against the DSPy library.
public struct Greeting: Signature {
    public static let instructions = "Greet the person warmly in one short sentence."

    @Input public var name: String = ""
    @Output public var greeting: String

    public init() {}
}
