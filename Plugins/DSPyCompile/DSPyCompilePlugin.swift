import Foundation
import PackagePlugin

/// `swift package dspyc-compile`: compiles dspyc programs by running the `dspyc` tool.
///
/// The plugin stays dumb: it builds `dspyc` in release (an LLM engine is far
/// too slow in debug), then runs `dspyc compile NAME --output
/// programs/compiled/NAME.json ARGS…` once per `--program`, streaming the
/// tool's output. All compile logic lives in `dspyc`.
///
/// The plugin declares no tool dependency on purpose: SwiftPM would build a
/// tool dependency (in debug, unless `swift package -c release`) before every
/// invocation, `--help` included, and the release build below would then
/// build dspyc a second time. `packageManager.build` builds it once, in
/// release, only when there is something to compile.
///
/// ```
/// swift package --allow-writing-to-package-directory dspyc-compile --program sentiment
/// swift package --allow-writing-to-package-directory dspyc-compile --program sentiment --program country-region -- --optimizer labeled
/// ```
@main
struct DSPyCompilePlugin: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        do {
            try compile(CompileRequest(arguments), package: context.package.directoryURL)
        } catch let error as PluginError {
            // A diagnosed error makes `swift package` exit 1 without a stack of wrappers.
            Diagnostics.error(error.description)
        }
    }

    /// Builds the tool and compiles each requested program into `programs/compiled/`.
    func compile(_ request: CompileRequest, package: URL) throws {
        if request.showHelp {
            say(CompileRequest.usage)
            return
        }
        let tool = try buildTool(packageManager: packageManager, configuration: request.configuration)
        let outputDirectory = package.appendingPathComponent("programs/compiled")
        try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        for program in request.programs {
            let output = outputDirectory.appendingPathComponent("\(program).json")
            let arguments = ["compile", program, "--output", output.path] + request.passThrough
            say("dspyc-compile: dspyc \(arguments.joined(separator: " "))")
            let status = try run(tool, arguments: arguments, in: package)
            guard status == 0 else {
                throw PluginError.toolFailed(program: program, status: status)
            }
            say("dspyc-compile: \(program) -> \(output.path)")
        }
    }

    /// Builds the `dspyc` product and returns its executable.
    func buildTool(
        packageManager: PackageManager, configuration: PackageManager.BuildConfiguration
    ) throws -> URL {
        say("dspyc-compile: building dspyc (\(configuration == .release ? "release" : "debug"))…")
        // Echo the build log: a first release build takes minutes and should not look hung.
        let parameters = PackageManager.BuildParameters(configuration: configuration, logging: .concise, echoLogs: true)
        let result = try packageManager.build(.product("dspyc"), parameters: parameters)
        guard result.succeeded else {
            throw PluginError.buildFailed
        }
        guard let tool = result.builtArtifacts.first(where: { $0.kind == .executable && $0.url.lastPathComponent == "dspyc" }) else {
            throw PluginError.toolNotBuilt(result.builtArtifacts.map(\.url.lastPathComponent))
        }
        return tool.url
    }

    /// Writes a line straight to standard output (unbuffered, so it interleaves with the tool's output).
    func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Runs `tool` with the plugin's own standard output and error, and waits.
    func run(_ tool: URL, arguments: [String], in directory: URL) throws -> Int32 {
        let process = Process()
        process.executableURL = tool
        process.arguments = arguments
        process.currentDirectoryURL = directory
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
