/// GPT-2's byte-level alphabet: a reversible map from the 256 byte values to
/// printable Unicode scalars.
///
/// Byte-level BPE vocabularies store token texts in this alphabet, so that every
/// byte sequence (including invalid UTF-8 and control bytes) has a printable
/// spelling: printable Latin-1 bytes (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) stand for
/// themselves and the other 68 bytes map, in order, to U+0100, U+0101, …
/// A space (0x20) becomes `Ġ` (U+0120) and a newline `Ċ` (U+010A).
enum ByteLevelAlphabet {
    /// The scalar that spells each byte.
    static let scalarForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if isPrintable(byte) {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The byte each alphabet scalar stands for, keyed by scalar value.
    static let byteForScalar: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for (byte, scalar) in scalarForByte.enumerated() {
            map[scalar.value] = UInt8(byte)
        }
        return map
    }()

    /// Spells `bytes` in the alphabet (the form token texts take in the vocabulary).
    static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var scalars = String.UnicodeScalarView()
        for byte in bytes { scalars.append(scalarForByte[Int(byte)]) }
        return String(scalars)
    }

    /// The bytes a vocabulary text stands for; `nil` when it contains a scalar
    /// outside the alphabet (such texts are not byte-level tokens).
    static func decode(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            guard let byte = byteForScalar[scalar.value] else { return nil }
            bytes.append(byte)
        }
        return bytes
    }

    private static func isPrintable(_ byte: Int) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }
}
