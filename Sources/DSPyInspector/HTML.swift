/// HTML escaping for the inspector's web page: every logged text (prompts,
/// completions, module paths, error messages) goes through ``escape(_:)``
/// before it is put in a page.
public enum HTML {
    /// Escapes `&`, `<`, `>`, `"` and `'`, so the result is safe both as element
    /// text and inside a quoted attribute value.
    ///
    /// ```swift
    /// HTML.escape(#"<script>alert("x")</script>"#)
    /// // "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    /// ```
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
