/// The version of dspyc and its libraries, as `dspyc --version` prints it.
///
/// The one place the version is written; bump it with a release.
public enum DSPyVersion {
    /// Semantic version, `MAJOR.MINOR.PATCH`.
    public static let current = "0.1.0"
}
