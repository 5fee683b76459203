@testable import DSPyPrograms
import Foundation
import Testing

@Suite("The example programs' data are embedded in the module, byte for byte")
struct EmbeddedProgramDataTests {
    /// The repository's `programs/` folder, found from this file's path.
    static let programs = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("programs", isDirectory: true)

    /// `<folder>/<split>` for every `programs/*/data/*.jsonl` in the checkout.
    static func dataFiles() throws -> [String: URL] {
        var files: [String: URL] = [:]
        for folder in try FileManager.default.contentsOfDirectory(atPath: programs.path) {
            let data = programs.appendingPathComponent(folder).appendingPathComponent("data")
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: data.path) else { continue }
            for name in names where name.hasSuffix(".jsonl") {
                files["\(folder)/\(name.dropLast(".jsonl".count))"] = data.appendingPathComponent(name)
            }
        }
        return files
    }

    @Test("EmbeddedProgramData.swift holds exactly the data files (run scripts/embed-program-data if not)")
    func matchesTheDataFiles() throws {
        let files = try Self.dataFiles()
        #expect(files.count >= 9)
        #expect(Set(ProgramData.embedded.keys) == Set(files.keys))
        for (key, url) in files {
            let bytes = try Data(contentsOf: url)
            #expect(ProgramData.embedded[key].map { Data($0.utf8) } == bytes, "\(key) differs from \(url.path)")
        }
    }

    @Test("Every program's data URL is a file with the embedded text, outside the source tree",
          arguments: ProgramRegistry.all.map(\.name))
    func urlsAreMaterialized(name: String) throws {
        let spec = try ProgramRegistry.named(name)
        for url in [spec.trainset, spec.devset] {
            #expect(!url.path.hasPrefix(Self.programs.path), "\(url.path) is in the checkout")
            let key = "\(url.deletingLastPathComponent().lastPathComponent)/\(url.deletingPathExtension().lastPathComponent)"
            let embedded = try #require(ProgramData.embedded[key], "no embedded data for \(key)")
            #expect(try Data(contentsOf: url) == Data(embedded.utf8))
        }
    }

    @Test("A dataset that was not embedded gives a URL that does not exist")
    func missingDataset() {
        let url = ProgramData.url("no-such-program", .train)
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }
}
