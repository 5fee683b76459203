import Foundation
import Testing

/// The `dspyc-compile` command plugin, driven from `Examples/Consumer`, a package that
/// depends on dspyc by path.
///
/// The listing and the plugin's own `--help` and argument errors are cheap (no
/// dspyc build) and always run. Building dspyc in release inside the consumer's
/// `.build` takes minutes, so the invocation that runs the tool is opt-in:
/// `DSPYC_PLUGIN_TEST=1 swift test --filter PluginTests`.
@Suite("The dspyc-compile plugin works from a dependent package", .serialized)
struct PluginTests {
    static let consumer = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Examples/Consumer")

    static var runsToolBuild: Bool { ProcessInfo.processInfo.environment["DSPYC_PLUGIN_TEST"] == "1" }

    @Test("`swift package plugin --list` in the consumer lists dspyc-compile")
    func listed() throws {
        let run = try Self.swiftPackage(["plugin", "--list"])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("dspyc-compile"), "\(run.output)")
    }

    @Test("The plugin's --help answers without building dspyc")
    func help() throws {
        let run = try Self.swiftPackage(["--allow-writing-to-package-directory", "dspyc-compile", "--help"])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("USAGE: swift package --allow-writing-to-package-directory dspyc-compile --program NAME"))
        #expect(!run.output.contains("building dspyc"))
        #expect(!run.output.contains("Build of product 'dspyc'"), "\(run.output)")
    }

    @Test("No --program is a clear error and exit 1")
    func noProgram() throws {
        let run = try Self.swiftPackage(["--allow-writing-to-package-directory", "dspyc-compile"])
        #expect(run.status == 1)
        #expect(run.output.contains("no program given; pass --program NAME"), "\(run.output)")
    }

    @Test("The plugin builds dspyc in release and runs `dspyc compile`", .enabled(if: PluginTests.runsToolBuild))
    func runsTool() throws {
        // `-- --help` reaches `dspyc compile sentiment --output … --help`: the tool runs and exits 0
        // without a model, which proves the build, the hand-off and the argument pass-through.
        let run = try Self.swiftPackage(
            ["--allow-writing-to-package-directory", "dspyc-compile", "--program", "sentiment", "--", "--help"])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("dspyc-compile: building dspyc (release)"), "\(run.output)")
        #expect(run.output.lowercased().contains("usage: dspyc compile"), "\(run.output)")
        let tool = Self.consumer.appendingPathComponent(".build/release/dspyc")
        #expect(FileManager.default.isExecutableFile(atPath: tool.path), "no release dspyc at \(tool.path)")
    }

    @Test("A failing dspyc run is a plugin error", .enabled(if: PluginTests.runsToolBuild))
    func toolFailure() throws {
        let run = try Self.swiftPackage(
            ["--allow-writing-to-package-directory", "dspyc-compile", "--program", "no-such-program"])
        #expect(run.status == 1)
        #expect(run.output.contains("dspyc compile no-such-program failed with exit code"), "\(run.output)")
    }

    /// Runs `swift package ARGS` in the consumer package; returns its exit status and merged output.
    static func swiftPackage(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swift", "package"] + arguments
        process.currentDirectoryURL = consumer
        process.standardInput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
