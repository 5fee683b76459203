extension OutputConstraint {
    /// The terminator of a free-text value in an XMLAdapter completion: any `<`, which
    /// can then only begin the field's closing tag (a bare `<` is malformed XML anyway).
    public static let xmlAdapterTextTerminator = "<"

    /// The automaton of a DSPy XMLAdapter completion for these output fields, in order.
    ///
    /// The completion is what DSPy 3.4's XMLAdapter writes in its demo assistant turns:
    ///
    ///     <a>\n{a}\n</a>\n\n<b>\n{b}\n</b>
    ///
    /// Opening and closing tags are forced; each value is constrained by its kind (choice
    /// values should be given XML-escaped); a text value contains no `<` and ends when the
    /// model starts its closing tag (or after `maxTextBytes` bytes), after which the rest of
    /// the tag is forced. Text may still contain a bare `&`, which DSPy's parser rejects
    /// (the call then falls back to JSONAdapter, as in DSPy).
    ///
    /// - Throws: ``ConstraintError`` when a field cannot be compiled or tokenized.
    public static func xmlAdapterCompletion(
        fields: [ConstrainedField], vocabulary: ConstraintVocabulary, maxTextBytes: Int = 2048
    ) throws -> OutputConstraint {
        try OutputConstraint(segments: xmlAdapterSegments(fields: fields, maxTextBytes: maxTextBytes), vocabulary: vocabulary)
    }

    /// The segments of ``xmlAdapterCompletion(fields:vocabulary:maxTextBytes:)``: an opening
    /// literal, then per field its value and a literal closing it (and opening the next), so
    /// field `i`'s value is segment `2i + 1`, as for ChatAdapter completions.
    public static func xmlAdapterSegments(fields: [ConstrainedField], maxTextBytes: Int = 2048) -> [ConstraintSegment] {
        guard let first = fields.first else { return [] }
        var segments: [ConstraintSegment] = [.literal("<\(first.name)>\n")]
        for (i, field) in fields.enumerated() {
            var closing = "</\(field.name)>"
            switch field.kind {
            case .text: segments.append(.freeText(until: xmlAdapterTextTerminator, maxBytes: maxTextBytes))
            case .choice(let values): segments.append(.choice(values)); closing = "\n" + closing
            case .integer: segments.append(.integer); closing = "\n" + closing
            case .number: segments.append(.number); closing = "\n" + closing
            case .boolean: segments.append(.boolean); closing = "\n" + closing
            case .json(let schema): segments.append(.json(schema)); closing = "\n" + closing
            }
            if i + 1 < fields.count { closing += "\n\n<\(fields[i + 1].name)>\n" }
            segments.append(.literal(closing))
        }
        return segments
    }
}
