extension GGUFMetadata {
    /// The integer under `key`, checked to lie in `range`.
    ///
    /// Loaders read every count and size through this (or its optional twin), so a
    /// zero, negative or absurd value in a corrupt file becomes an error naming the
    /// key instead of a trap or a giant allocation later.
    ///
    /// - Throws: `EngineError.missingMetadata`, `.metadataTypeMismatch`, or
    ///   `.invalidMetadata` when the value is outside `range`.
    public func requiredInt(_ key: String, in range: ClosedRange<Int>) throws -> Int {
        try checked(key, try requiredInt(key), in: range)
    }

    /// The integer under `key` checked to lie in `range`, or nil when absent.
    /// - Throws: `EngineError.metadataTypeMismatch` or `.invalidMetadata`.
    public func optionalInt(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        try optionalInt(key).map { try checked(key, $0, in: range) }
    }

    /// The number under `key`, checked to be finite and greater than zero (an
    /// epsilon, a frequency base).
    /// - Throws: `EngineError.missingMetadata`, `.metadataTypeMismatch` or `.invalidMetadata`.
    public func requiredPositiveFloat(_ key: String) throws -> Float {
        try checkedPositive(key, try requiredFloat(key))
    }

    /// The number under `key` checked to be finite and greater than zero, or nil when absent.
    /// - Throws: `EngineError.metadataTypeMismatch` or `.invalidMetadata`.
    public func optionalPositiveFloat(_ key: String) throws -> Float? {
        try optionalFloat(key).map { try checkedPositive(key, $0) }
    }

    /// The integer under `key` as a token id of a vocabulary of `vocabularySize`
    /// tokens, or nil when absent.
    ///
    /// Any integer width is accepted; the value must name a token (`0..<vocabularySize`),
    /// so a `UINT32` of 2³²−1 or a negative `INT32` is refused rather than converted.
    /// - Throws: `EngineError.metadataTypeMismatch` or `.invalidMetadata`.
    public func optionalTokenID(_ key: String, vocabularySize: Int) throws -> Int32? {
        guard let value = try optionalInt(key) else { return nil }
        guard value >= 0, value < vocabularySize, let id = Int32(exactly: value) else {
            throw EngineError.invalidMetadata(
                path: path, key: key, reason: "token id \(value) is outside the vocabulary (0..<\(vocabularySize))")
        }
        return id
    }

    private func checked(_ key: String, _ value: Int, in range: ClosedRange<Int>) throws -> Int {
        guard range.contains(value) else {
            throw EngineError.invalidMetadata(
                path: path, key: key, reason: "\(value) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    private func checkedPositive(_ key: String, _ value: Float) throws -> Float {
        guard value.isFinite, value > 0 else {
            throw EngineError.invalidMetadata(path: path, key: key, reason: "\(value) is not a finite number greater than 0")
        }
        return value
    }
}
