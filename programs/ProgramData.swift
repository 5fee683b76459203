import Foundation

/// Where the example programs' files live.
///
/// Data files sit next to each program's source (`programs/<name>/data/*.jsonl`)
/// and are found from this file's own path, so the same URLs work from
/// `swift run`, `swift test` and the `dspyc-compile` plugin (which builds
/// dspyc from its source checkout). They are excluded from the target in
/// `Package.swift`, not bundled as resources.
enum ProgramData {
    /// The `programs/` folder.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

    /// `programs/<folder>/data/<split>.jsonl`.
    static func url(_ folder: String, _ split: Split) -> URL {
        root.appendingPathComponent(folder).appendingPathComponent("data").appendingPathComponent("\(split.rawValue).jsonl")
    }

    /// The splits every dataset ships: train for optimizers, dev for reported scores,
    /// test for a final check only.
    enum Split: String, CaseIterable {
        case train, dev, test
    }
}
