import Foundation

/// Where dspyc keeps its models and its database.
///
/// `$DSPYC_HOME` when set and not empty, else `~/.cache/dspyc` (on iOS and visionOS,
/// `dspyc` in the app's caches folder). Nothing here
/// creates the folder; writers create what they need and report failures with
/// the path.
public enum DSPyHome {
    /// The home folder for the current process environment.
    public static var url: URL {
        url(environment: ProcessInfo.processInfo.environment)
    }

    /// The home folder for a given environment (testable).
    public static func url(environment: [String: String]) -> URL {
        if let home = environment["DSPYC_HOME"], !home.isEmpty {
            return URL(fileURLWithPath: home, isDirectory: true)
        }
        #if os(macOS) || os(Linux)
        return FileManager.default.homeDirectoryForCurrentUser
            .appendingPathComponent(".cache/dspyc", isDirectory: true)
        #else
        // iOS and visionOS have no user home: the app's caches folder stands in for it.
        let caches = FileManager.default.urls(for: .cachesDirectory, in: .userDomainMask).first
            ?? FileManager.default.temporaryDirectory
        return caches.appendingPathComponent("dspyc", isDirectory: true)
        #endif
    }

    /// `<home>/models`, the model cache.
    public static var models: URL { url.appendingPathComponent("models", isDirectory: true) }
}
