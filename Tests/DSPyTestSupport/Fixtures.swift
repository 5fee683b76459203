import Foundation

/// Locations of the shared fixtures that tests read.
///
/// The project expects `../shared` beside its root (as CI lays it out); the
/// default model lives in the model cache (`$DSPYC_HOME/models`).
public enum Fixtures {
    /// The package root, found from this source file's path.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared` beside the package root.
    public static let shared: URL = packageRoot.deletingLastPathComponent()
        .appendingPathComponent("shared")

    /// The golden outputs of llama.cpp for the default model.
    public static let golden: URL = shared.appendingPathComponent("golden")

    /// The labelled datasets.
    public static let data: URL = shared.appendingPathComponent("data")

    /// The dspyc home used by tests: `$DSPYC_HOME` or `~/.cache/dspyc`.
    public static var dspycHome: URL {
        if let home = ProcessInfo.processInfo.environment["DSPYC_HOME"], !home.isEmpty {
            return URL(fileURLWithPath: home)
        }
        return FileManager.default.homeDirectoryForCurrentUser
            .appendingPathComponent(".cache/dspyc")
    }

    /// The default model's GGUF file in the model cache (pulled by `.ci/run`).
    public static var defaultModel: URL {
        dspycHome.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf")
    }
}
