// Foundation's Process exists on macOS, Linux and Windows only, not on iOS or visionOS,
// where the DSPy library (which does not spawn processes) must still build.
#if os(macOS) || os(Linux) || os(Windows) || os(FreeBSD) || os(OpenBSD)
import Foundation

/// Runs a child process and collects what it prints.
///
/// Both output streams are read as they come, so a chatty child never blocks
/// on a full pipe; each complete line is passed to `onLine` (for progress) and
/// the whole text is kept for error messages.
///
/// Package access: internal to dspyc's modules, so it cannot clash with swift-subprocess.
package enum Subprocess {
    /// What a finished child left behind.
    package struct Result: Sendable {
        /// The exit status (or 128 + signal when it was killed).
        package var status: Int32
        /// Standard output and standard error, interleaved as read.
        package var output: String
    }

    /// Runs `executable` (a path, or a name looked up on `PATH`) with `arguments`.
    ///
    /// With `inheritOutput`, the child writes straight to this process's
    /// standard error (so its own progress bars show) and no output is kept.
    ///
    /// - Throws: `SubprocessError.notFound` when the executable cannot be
    ///   started; a non-zero exit is not an error here — callers decide.
    package static func run(
        _ executable: String, _ arguments: [String],
        environment: [String: String]? = nil,
        inheritOutput: Bool = false,
        onLine: (@Sendable (String) -> Void)? = nil
    ) throws -> Result {
        let process = Process()
        if executable.contains("/") {
            process.executableURL = URL(fileURLWithPath: executable)
        } else if let found = which(executable) {
            process.executableURL = found
        } else {
            throw SubprocessError.notFound(executable)
        }
        process.arguments = arguments
        if let environment { process.environment = environment }
        let pipe = Pipe()
        if inheritOutput {
            process.standardOutput = FileHandle.standardError
            process.standardError = FileHandle.standardError
        } else {
            process.standardOutput = pipe
            process.standardError = pipe
        }
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw SubprocessError.notFound(executable)
        }
        if inheritOutput {
            process.waitUntilExit()
            return Result(status: process.terminationStatus, output: "")
        }
        var collected = Data()
        var pending = Data()
        let handle = pipe.fileHandleForReading
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            collected.append(chunk)
            guard let onLine else { continue }
            pending.append(chunk)
            while let newline = pending.firstIndex(where: { $0 == 0x0A || $0 == 0x0D }) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                if !line.trimmingCharacters(in: .whitespaces).isEmpty { onLine(line) }
            }
        }
        process.waitUntilExit()
        let status = process.terminationReason == .uncaughtSignal
            ? 128 + process.terminationStatus : process.terminationStatus
        return Result(status: status, output: String(decoding: collected, as: UTF8.self))
    }

    /// Finds `name` on `PATH`.
    package static func which(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }
}

/// A child process could not be started.
package enum SubprocessError: Error, Equatable, CustomStringConvertible {
    /// The executable was not found or could not be run.
    case notFound(String)

    package var description: String {
        switch self {
        case .notFound(let name): return "cannot run '\(name)': not found or not executable"
        }
    }
}
#endif
