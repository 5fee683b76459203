import DSPyTestSupport
import DSPyUtilities
import Foundation

/// Runs the built `dspyc` executable in a fresh `$DSPYC_HOME` that holds the default model.
struct DSPyCRunner {
    let home: URL

    /// A new home folder with the model hard-linked (or copied) into its cache.
    init() throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("dspyc-cli-\(UUID().uuidString)")
        let models = home.appendingPathComponent("models")
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        let target = models.appendingPathComponent(Fixtures.defaultModel.lastPathComponent)
        do {
            try FileManager.default.linkItem(at: Fixtures.defaultModel, to: target)
        } catch {
            try FileManager.default.copyItem(at: Fixtures.defaultModel, to: target)
        }
    }

    /// The `dspyc` built beside the test bundle.
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dspyc")
    }

    /// Runs `dspyc arguments`; returns the exit status and the interleaved output.
    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        var environment = ProcessInfo.processInfo.environment
        environment["DSPYC_HOME"] = home.path
        let result = try Subprocess.run(Self.executable.path, arguments, environment: environment)
        return (result.status, result.output)
    }

    /// Writes `lines` as a JSONL file in the home folder.
    func write(_ name: String, _ lines: [String]) throws -> String {
        let url = home.appendingPathComponent(name)
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
        return url.path
    }

    func remove() { try? FileManager.default.removeItem(at: home) }
}
