/// Writing commands that a user can paste into a POSIX shell (sh, bash, zsh).
enum Shell {
    /// `word` as one shell word: unchanged when it holds only characters no shell
    /// treats specially, in single quotes when it has no `'`, in double quotes when
    /// it has `'` but none of `"`, `$`, `` ` ``, `\` and `!`, and otherwise in single
    /// quotes with each `'` written as `'\''`.
    ///
    /// `text -> answer` becomes `'text -> answer'`; `Literal['a', 'b']` becomes
    /// `"Literal['a', 'b']"`.
    static func quote(_ word: String) -> String {
        if !word.isEmpty, word.unicodeScalars.allSatisfy(isPlain) { return word }
        if !word.contains("'") { return "'" + word + "'" }
        if !word.contains(where: { "\"$`\\!".contains($0) }) { return "\"" + word + "\"" }
        return "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    /// `words` as a command line, each word quoted as ``quote(_:)`` does.
    static func command(_ words: [String]) -> String {
        words.map(quote).joined(separator: " ")
    }

    private static func isPlain(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9": return true
        case "_", "-", ".", "/", ",", ":", "@", "+": return true
        default: return false
        }
    }
}
