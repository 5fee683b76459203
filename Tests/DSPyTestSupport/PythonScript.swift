import Foundation

/// Runs a Python 3 script (`python3 -c`) with arguments and returns what it prints.
///
/// Awaits the process by polling every 20 ms instead of blocking, so it never holds one of
/// the (two, here) cooperative threads; scripts bound their own waits with socket timeouts,
/// so a misbehaving server fails the calling test rather than hanging it.
public func python(_ script: String, _ arguments: [String]) async throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("dspyc-python-\(UUID().uuidString).out")
    guard FileManager.default.createFile(atPath: output.path, contents: nil) else {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: output.path])
    }
    defer { try? FileManager.default.removeItem(at: output) }
    let handle = try FileHandle(forWritingTo: output)
    process.standardOutput = handle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
    try handle.close()
    return try String(contentsOf: output, encoding: .utf8)
}
