import DSPyUtilities
import Foundation
import Testing

@testable import DSPyEngine

/// Builds a real, minimal wheel in `folder` holding `member` with `contents`.
private func makeWheel(in folder: URL, package: String, version: String, member: String, contents: [UInt8]) throws {
    let module = package.replacingOccurrences(of: "-", with: "_")
    let wheel = folder.appendingPathComponent("\(module)-\(version)-py3-none-any.whl").path
    let payload = folder.appendingPathComponent("payload.bin")
    try Data(contents).write(to: payload)
    let script = """
        import sys, zipfile
        wheel, module, version, member, payload = sys.argv[1:6]
        info = f"{module}-{version}.dist-info"
        with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
            z.write(payload, member)
            z.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\\nName: {module}\\nVersion: {version}\\n")
            z.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
            z.writestr(f"{info}/RECORD", "")
        """
    let result = try Subprocess.run("python3", ["-c", script, wheel, module, version, member, payload.path])
    #expect(result.status == 0, "\(result.output)")
}

private func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("dspyc-fetch-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

private func descriptor(contents: [UInt8], sha256: String? = nil, parts: Int = 1) -> ModelDescriptor {
    ModelDescriptor(
        name: "tiny", fileName: "tiny.gguf", size: Int64(contents.count),
        sha256: sha256 ?? SHA256.hash(contents).hexString, quantization: "F32", parameters: "0",
        licence: "test",
        parts: (0..<parts).map { .init(package: "tiny-model-part\($0)", version: "1.0.0", member: "tiny_model_part\($0)/tiny.gguf.part") })
}

@Suite("Model fetching with pip")
struct ModelFetcherTests {
    @Test("A pull installs the verified file, and a second pull does nothing")
    func pullIsIdempotent() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let contents = Array("GGUF pretend model bytes".utf8)
        let wheels = root.appendingPathComponent("wheels")
        try FileManager.default.createDirectory(at: wheels, withIntermediateDirectories: true)
        // Two parts, concatenated in order, as the gemma3 package does.
        try makeWheel(in: wheels, package: "tiny-model-part0", version: "1.0.0",
                      member: "tiny_model_part0/tiny.gguf.part", contents: Array(contents[..<10]))
        try makeWheel(in: wheels, package: "tiny-model-part1", version: "1.0.0",
                      member: "tiny_model_part1/tiny.gguf.part", contents: Array(contents[10...]))
        let cache = ModelCache(directory: root.appendingPathComponent("models"))
        let fetcher = ModelFetcher(cache: cache, pipOptions: ["--no-index", "--find-links", wheels.path],
                                   showProgress: false, log: { _ in })
        let model = descriptor(contents: contents, parts: 2)
        let first = try fetcher.pull(model)
        #expect(first == .pulled(cache.path(for: model)))
        #expect(try Data(contentsOf: cache.path(for: model)) == Data(contents))
        #expect(try fetcher.pull(model) == .alreadyPresent(cache.path(for: model)))
        try cache.verify(model, showProgress: false)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: cache.directory.path)
        #expect(leftovers == ["tiny.gguf"])
    }

    @Test("A checksum mismatch is an error and leaves no file under the model's name")
    func checksumMismatch() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let contents = Array("some bytes".utf8)
        try makeWheel(in: root, package: "tiny-model-part0", version: "1.0.0",
                      member: "tiny_model_part0/tiny.gguf.part", contents: contents)
        let cache = ModelCache(directory: root.appendingPathComponent("models"))
        let fetcher = ModelFetcher(cache: cache, pipOptions: ["--no-index", "--find-links", root.path],
                                   showProgress: false, log: { _ in })
        let model = descriptor(contents: contents, sha256: String(repeating: "0", count: 64))
        #expect {
            try fetcher.pull(model)
        } throws: { error in
            guard case ModelCacheError.checksumMismatch(_, let expected, let actual) = error else { return false }
            return expected == model.sha256 && actual == SHA256.hash(contents).hexString
        }
        #expect(cache.status(of: model) == .missing)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.directory.path).isEmpty)
    }

    @Test("A truncated file is reported by locate and by verify")
    func truncatedFile() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let contents = Array("twenty bytes of data".utf8)
        let model = descriptor(contents: contents)
        let cache = ModelCache(directory: root)
        try Data(contents.prefix(7)).write(to: cache.path(for: model))
        #expect(throws: ModelCacheError.sizeMismatch(path: cache.path(for: model).path, expected: 20, actual: 7)) {
            try cache.locate(model)
        }
        #expect(throws: ModelCacheError.self) { try cache.verify(model, showProgress: false) }
        let fetcher = ModelFetcher(cache: cache, showProgress: false, log: { _ in })
        #expect(throws: ModelCacheError.sizeMismatch(path: cache.path(for: model).path, expected: 20, actual: 7)) {
            try fetcher.ensure(model)
        }
    }

    @Test("pip that cannot run, a failing pip and an unknown model are clear errors")
    func pipErrors() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let model = descriptor(contents: [1, 2, 3])
        let cache = ModelCache(directory: root)
        let noPython = ModelFetcher(cache: cache, python: "/nonexistent/python3", showProgress: false, log: { _ in })
        #expect(throws: ModelCacheError.pipUnavailable("cannot run '/nonexistent/python3': not found or not executable")) {
            try noPython.pull(model)
        }
        let offline = ModelFetcher(cache: cache, pipOptions: ["--no-index", "--find-links", root.path],
                                   showProgress: false, log: { _ in })
        #expect {
            try offline.pull(model)
        } throws: { error in
            guard case ModelCacheError.pipFailed(let requirement, _, _) = error else { return false }
            return requirement == "tiny-model-part0==1.0.0"
        }
        #expect(throws: ModelCacheError.unknownModel("nope", known: ["smollm2-135m-instruct", "gemma3-270m"])) {
            try ModelDescriptor.named("nope")
        }
    }

    @Test("A cache folder that cannot be created is a clear error naming it")
    func unwritableCache() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("not-a-folder")
        try Data("x".utf8).write(to: file)
        let cache = ModelCache(directory: file.appendingPathComponent("models"))
        let fetcher = ModelFetcher(cache: cache, showProgress: false, log: { _ in })
        #expect {
            try fetcher.pull(descriptor(contents: [1]))
        } throws: { error in
            guard case ModelCacheError.notWritable(let path, _) = error else { return false }
            return path == cache.directory.path
        }
    }
}
