import DSPyEngine
import DSPyPrograms
import DSPyTestSupport
import Foundation
import Testing
@testable import DSPyCLI

/// A compile of the registered `sentiment` program as `dspyc compile sentiment` sets it up.
private func sentimentDriver() throws -> (CompileDriver, CompiledFrom) {
    let spec = try ProgramRegistry.named("sentiment")
    let driver = CompileDriver(
        spec: spec, optimizer: spec.optimizer, settings: spec.optimizerSettings, seed: 0, devLimit: nil,
        concurrency: 1, structuredDecoding: true, modelOptions: try ModelOptions.parse([]))
    return (driver, try driver.compiledFrom())
}

/// A fresh folder under the temporary directory.
private func scratchFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("dspyc-fingerprint-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite("Compile fingerprints name the model by content", .serialized)
struct CompileFingerprintTests {
    @Test("A renamed copy of the model in another folder keeps the compile fingerprint")
    func renamedModelKeepsFingerprint() throws {
        let (driver, from) = try sentimentDriver()
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let copy = folder.appendingPathComponent("my-renamed-model.gguf")
        try FileManager.default.copyItem(at: Fixtures.defaultModel, to: copy)
        #expect(try driver.fingerprint(from: from, modelURL: copy) == driver.fingerprint(from: from, modelURL: Fixtures.defaultModel))
    }

    @Test("A file with the default model's name and size but other metadata gets another compile fingerprint")
    func sameNameAndSizeOtherContent() throws {
        let (driver, from) = try sentimentDriver()
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var bytes = try Data(contentsOf: Fixtures.defaultModel)
        // Change one letter of the metadata (the model's name) in place: same size, same file name.
        let header = bytes.prefix(1 << 16)
        let range = try #require(header.range(of: Data("Smollm2".utf8)), "no model name in the header")
        bytes[range.lowerBound] = UInt8(ascii: "X")
        let impostor = folder.appendingPathComponent(Fixtures.defaultModel.lastPathComponent)
        try bytes.write(to: impostor)
        let fingerprint = try ModelFingerprint(contentsOf: impostor)
        #expect(fingerprint.catalogName == nil)
        #expect(try driver.fingerprint(from: from, modelURL: impostor) != driver.fingerprint(from: from, modelURL: Fixtures.defaultModel))
    }

    @Test("Another engine numerics version gives another compile fingerprint, so the stored compile is not reused")
    func numericsVersionChangesFingerprint() throws {
        let (driver, from) = try sentimentDriver()
        let current = try ModelFingerprint(contentsOf: Fixtures.defaultModel)
        let next = try ModelFingerprint(contentsOf: Fixtures.defaultModel, numericsVersion: EngineNumerics.version + 1)
        #expect(try driver.fingerprint(from: from, model: current) == driver.fingerprint(from: from, modelURL: Fixtures.defaultModel))
        #expect(try driver.fingerprint(from: from, model: current) != driver.fingerprint(from: from, model: next))
    }
}
