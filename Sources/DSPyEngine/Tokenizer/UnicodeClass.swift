/// The Unicode classes that pre-tokenizer rules test: letter (`\p{L}`), number
/// (`\p{N}`) and white space (`\s`).
///
/// Letters are the general categories Lu, Ll, Lt, Lm and Lo, numbers Nd, Nl and
/// No, and white space the `White_Space` property, as in llama.cpp's tables.
/// ASCII is answered from a table; other scalars from `Unicode.Scalar.Properties`.
struct UnicodeClass: OptionSet, Sendable {
    let rawValue: UInt8

    static let letter = UnicodeClass(rawValue: 1)
    static let number = UnicodeClass(rawValue: 2)
    static let whitespace = UnicodeClass(rawValue: 4)
    /// Set for every scalar inside the text being split; absent for positions past
    /// either end, so rules can tell "no character" from "some other character".
    static let present = UnicodeClass(rawValue: 8)

    /// The classes of scalar value `value`.
    @inline(__always)
    static func of(_ value: UInt32) -> UnicodeClass {
        if value < 128 { return asciiTable[Int(value)] }
        return nonASCII(value)
    }

    private static let asciiTable: [UnicodeClass] = (0..<128).map { value in
        var result: UnicodeClass = .present
        switch value {
        case 0x41...0x5A, 0x61...0x7A: result.insert(.letter)
        case 0x30...0x39: result.insert(.number)
        case 0x09...0x0D, 0x20: result.insert(.whitespace)
        default: break
        }
        return result
    }

    private static func nonASCII(_ value: UInt32) -> UnicodeClass {
        guard let scalar = Unicode.Scalar(value) else { return .present }
        var result: UnicodeClass = .present
        let properties = scalar.properties
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            result.insert(.letter)
        case .decimalNumber, .letterNumber, .otherNumber:
            result.insert(.number)
        default:
            break
        }
        if properties.isWhitespace { result.insert(.whitespace) }
        return result
    }
}
