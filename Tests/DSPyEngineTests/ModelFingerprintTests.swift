import DSPyTestSupport
import Foundation
import Testing

@testable import DSPyEngine

/// A small valid GGUF whose metadata says `name` and whose one tensor holds `fill`.
private func model(name: String, fill: UInt8 = 1, extent: UInt64 = 8) -> SyntheticGGUF {
    var gguf = SyntheticGGUF()
    gguf.metadata = [("general.architecture", .string("llama")), ("general.name", .string(name))]
    gguf.tensors = [.init(name: "t", type: 0, shape: [extent], data: [UInt8](repeating: fill, count: Int(extent) * 4))]
    return gguf
}

/// A catalog entry that names the file at `url` by content.
private func catalogEntry(for url: URL, name: String = "test-model") throws -> ModelDescriptor {
    let file = try GGUFFile(contentsOf: url)
    return ModelDescriptor(
        name: name, fileName: "model.gguf", size: Int64(file.fileSize), sha256: String(repeating: "ab", count: 32),
        quantization: "F32", parameters: "0", licence: "none", parts: [], directorySHA256: file.directoryDigest())
}

@Suite("Models are fingerprinted by content")
struct ModelFingerprintTests {
    @Test("Two files with the same name and size but different metadata get different fingerprints")
    func sameNameAndSizeDifferentContent() throws {
        let a = try model(name: "alpha").write(named: "model.gguf")
        let b = try model(name: "bravo").write(named: "model.gguf")
        defer { for url in [a, b] { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) } }
        let sizeA = try FileManager.default.attributesOfItem(atPath: a.path)[.size] as? Int
        let sizeB = try FileManager.default.attributesOfItem(atPath: b.path)[.size] as? Int
        #expect(sizeA == sizeB)
        let fingerprintA = try ModelFingerprint(contentsOf: a)
        let fingerprintB = try ModelFingerprint(contentsOf: b)
        #expect(fingerprintA != fingerprintB)
        #expect(fingerprintA.description != fingerprintB.description)
        #expect(fingerprintA.catalogName == nil)
        #expect(fingerprintA.description.hasPrefix("gguf@directory-sha256:"))
    }

    @Test("A different tensor shape changes the fingerprint; different tensor data alone does not")
    func directoryCountsDataDoesNot() throws {
        let base = try model(name: "m", fill: 1).write()
        let otherData = try model(name: "m", fill: 2).write()
        let otherShape = try model(name: "m", extent: 16).write()
        defer { for url in [base, otherData, otherShape] { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) } }
        #expect(try ModelFingerprint(contentsOf: base) == ModelFingerprint(contentsOf: otherData))
        #expect(try ModelFingerprint(contentsOf: base) != ModelFingerprint(contentsOf: otherShape))
    }

    @Test("Renaming or moving a file keeps its fingerprint")
    func renameKeeps() throws {
        let original = try model(name: "alpha").write(named: "model.gguf")
        defer { try? FileManager.default.removeItem(at: original.deletingLastPathComponent()) }
        let before = try ModelFingerprint(contentsOf: original)
        let folder = original.deletingLastPathComponent().appendingPathComponent("elsewhere/deeper")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let moved = folder.appendingPathComponent("renamed-model.gguf")
        try FileManager.default.moveItem(at: original, to: moved)
        #expect(try ModelFingerprint(contentsOf: moved) == before)
    }

    @Test("Changing the numerics version changes the fingerprint")
    func numericsVersionCounts() throws {
        let url = try model(name: "alpha").write()
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let current = try ModelFingerprint(contentsOf: url)
        let next = try ModelFingerprint(contentsOf: url, numericsVersion: EngineNumerics.version + 1)
        #expect(current.numericsVersion == EngineNumerics.version)
        #expect(current != next)
        #expect(current.description != next.description)
        #expect(current.description.hasSuffix("/numerics-\(EngineNumerics.version)"))
    }

    @Test("A catalog model is named by the catalog's SHA-256, under any file name")
    func catalogModelUsesCatalogDigest() throws {
        let url = try model(name: "alpha").write(named: "whatever-it-is-called.gguf")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let entry = try catalogEntry(for: url)
        let fingerprint = try ModelFingerprint(contentsOf: url, catalog: [entry])
        #expect(fingerprint.catalogName == "test-model")
        #expect(fingerprint.sha256 == entry.sha256)
        #expect(fingerprint.description == "test-model@sha256:\(entry.sha256)/numerics-\(EngineNumerics.version)")

        // Same file name and size as the catalog entry, other content: not the catalog model.
        let impostor = try model(name: "bravo").write(named: "whatever-it-is-called.gguf")
        defer { try? FileManager.default.removeItem(at: impostor.deletingLastPathComponent()) }
        #expect(try ModelFingerprint(contentsOf: impostor, catalog: [entry]).catalogName == nil)
    }

    @Test("The default model is recognised as the catalog's SmolLM2 by its directory digest")
    func defaultModelIsCatalogModel() throws {
        let file = try GGUFFile(contentsOf: Fixtures.defaultModel)
        #expect(file.directoryDigest() == ModelDescriptor.smolLM2.directorySHA256)
        let fingerprint = ModelFingerprint(file: file)
        #expect(fingerprint.catalogName == ModelDescriptor.smolLM2.name)
        #expect(fingerprint.sha256 == ModelDescriptor.smolLM2.sha256)
    }
}
