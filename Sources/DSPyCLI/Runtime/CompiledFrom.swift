import DSPyStore
import DSPyUtilities
import Foundation

/// A data file as a compile used it: where it was and what it held.
///
/// The content hash, not the path, is what identifies the data: the same
/// examples at another path are the same data, and an edited file is not.
struct DataFile: Codable, Equatable, Sendable {
    /// The absolute path at compile time.
    var path: String
    /// The SHA-256 of the file's bytes, lowercase hex.
    var sha256: String

    /// Reads and hashes `url`. Cost: one read of the file.
    ///
    /// - Throws: ``CLIError`` naming the file when it cannot be read.
    init(_ url: URL) throws {
        let absolute = url.standardizedFileURL
        guard let data = FileManager.default.contents(atPath: absolute.path) else {
            throw CLIError("cannot read \(absolute.path)")
        }
        path = absolute.path
        sha256 = SHA256.hash(Array(data)).hexString
    }

    /// The file, when it is still at ``path`` with the same content; otherwise an error
    /// that says what changed and which `flag` picks the data explicitly.
    func unchanged(flag: String) throws -> URL {
        let url = URL(fileURLWithPath: path)
        guard let now = try? DataFile(url) else {
            throw CLIError("the compile used \(path) as \(flag), and it is gone; pass \(flag) FILE")
        }
        guard now.sha256 == sha256 else {
            throw CLIError("\(path) (the compile's \(flag)) has changed since the compile; pass \(flag) FILE")
        }
        return url
    }
}

/// What a compiled program was compiled from, stored in its record's metadata
/// (`compiled_from`) so `run`, `eval` and `export` can find the compile for the
/// program *and* the data they name, and say which data a compile used.
///
/// For a registered program `module` and `instructions` are `nil` (the program's
/// code defines them); for an ad-hoc program they are the `--module` and
/// `--instructions` it was compiled with.
struct CompiledFrom: Codable, Equatable, Sendable {
    var trainset: DataFile
    var devset: DataFile
    /// The metric's canonical name (`exact-match`, `f1`, …).
    var metric: String
    /// `predict` or `cot`, for ad-hoc programs.
    var module: String?
    /// The ad-hoc signature's instructions, if any were given.
    var instructions: String?

    /// The metadata key the description is stored under.
    static let metadataKey = "compiled_from"

    /// The description stored in `record`, or `nil` for a record saved before
    /// descriptions were kept (or one whose description does not decode).
    init?(record: CompiledProgramRecord) {
        guard let value = record.metadata[Self.metadataKey],
              let data = try? JSONEncoder().encode(value),
              let decoded = try? JSONDecoder().decode(CompiledFrom.self, from: data)
        else { return nil }
        self = decoded
    }

    init(trainset: DataFile, devset: DataFile, metric: String, module: String?, instructions: String?) {
        self.trainset = trainset
        self.devset = devset
        self.metric = metric
        self.module = module
        self.instructions = instructions
    }

    /// The description as a metadata value.
    func metadataValue() throws -> StoredJSON {
        let text = String(decoding: try JSONEncoder().encode(self), as: UTF8.self)
        return try StoredJSON.parse(text, field: Self.metadataKey)
    }

    /// The data as the flags that name it, e.g. `--trainset a.jsonl --devset b.jsonl --metric f1`
    /// (shell-quoted; the metric only when it is not the default).
    var flags: String {
        var words = ["--trainset", trainset.path, "--devset", devset.path]
        if metric != "exact-match" { words += ["--metric", metric] }
        return words.map(Shell.quote).joined(separator: " ")
    }
}

/// Which compiles of an ad-hoc program a command accepts: the program must match
/// (module and instructions, with their defaults), and each of `trainset`,
/// `devset` and `metric` that is set must match (files by content); one that
/// is `nil` matches any compile.
struct AdHocQuery: Sendable {
    var module: String
    var instructions: String?
    var trainset: DataFile?
    var devset: DataFile?
    var metric: String?

    /// Whether the compile described by `from` is one this query names.
    func matches(_ from: CompiledFrom) -> Bool {
        guard from.module == module, from.instructions == instructions else { return false }
        if let trainset, trainset.sha256 != from.trainset.sha256 { return false }
        if let devset, devset.sha256 != from.devset.sha256 { return false }
        if let metric, metric != from.metric { return false }
        return true
    }
}
