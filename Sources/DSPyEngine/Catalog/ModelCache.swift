import DSPyUtilities
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The folder of GGUF files dspyc has fetched (`$DSPYC_HOME/models`).
///
/// A model is *present* when its file exists under its catalog name with the
/// catalog's size; `verify` re-hashes it. Files only ever appear here by an
/// atomic rename of a fully written and verified file, so a partial download
/// never shows under the final name.
public struct ModelCache: Sendable {
    /// The cache folder.
    public let directory: URL

    /// A cache in `directory` (default `$DSPYC_HOME/models`).
    public init(directory: URL = DSPyHome.models) {
        self.directory = directory
    }

    /// Where `model` lives (or would live) in the cache.
    public func path(for model: ModelDescriptor) -> URL {
        directory.appendingPathComponent(model.fileName)
    }

    /// What the cache holds for a model.
    public enum Status: Sendable, Equatable {
        /// The file is there with the right size.
        case present
        /// No file (or a symbolic link whose target does not exist; see `locate`).
        case missing
        /// A file of the wrong size (truncated or foreign).
        case wrongSize(Int64)
    }

    /// Checks presence and size, without hashing (cheap).
    ///
    /// A symbolic link in the cache (`ln -s ~/models/x.gguf $DSPYC_HOME/models/`) is
    /// followed: the size checked is its target's.
    public func status(of model: ModelDescriptor) -> Status {
        switch Self.inspect(path(for: model).path) {
        case .file(let size): return size == model.size ? .present : .wrongSize(size)
        case .missing, .danglingLink: return .missing
        }
    }

    /// The path of a present model.
    ///
    /// - Throws: `ModelCacheError.notPresent`, `.danglingLink` (a link to a file that
    ///   is gone) or `.sizeMismatch` (a truncated file).
    public func locate(_ model: ModelDescriptor) throws -> URL {
        try checkNotDangling(model)
        switch status(of: model) {
        case .present: return path(for: model)
        case .missing: throw ModelCacheError.notPresent(name: model.name, path: path(for: model).path)
        case .wrongSize(let size):
            throw ModelCacheError.sizeMismatch(path: path(for: model).path, expected: model.size, actual: size)
        }
    }

    /// Throws `ModelCacheError.danglingLink` when the model's path is a symbolic link
    /// whose target cannot be reached.
    func checkNotDangling(_ model: ModelDescriptor) throws {
        if case .danglingLink(let target) = Self.inspect(path(for: model).path) {
            throw ModelCacheError.danglingLink(path: path(for: model).path, target: target)
        }
    }

    /// What is at a path, following symbolic links.
    enum Entry: Equatable {
        /// A file (or a link to one) of `size` bytes.
        case file(size: Int64)
        /// Nothing.
        case missing
        /// A symbolic link whose target does not exist (or loops).
        case danglingLink(target: String)
    }

    /// Inspects `path` with `stat`, which follows links, and `lstat` to tell a
    /// dangling link from nothing at all.
    static func inspect(_ path: String) -> Entry {
        var status = stat()
        if stat(path, &status) == 0 { return .file(size: Int64(status.st_size)) }
        var linkStatus = stat()
        guard lstat(path, &linkStatus) == 0, (linkStatus.st_mode & S_IFMT) == S_IFLNK else { return .missing }
        let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "an unreadable target"
        return .danglingLink(target: target)
    }

    /// Re-hashes a present model and compares size and SHA-256 with the catalog.
    ///
    /// Costs one full read of the file (about a quarter of a second per 100 MB).
    /// - Throws: `notPresent`, `danglingLink`, `sizeMismatch` or `checksumMismatch`.
    public func verify(_ model: ModelDescriptor, showProgress: Bool = true) throws {
        let url = try locate(model)
        try Self.checkHash(of: url, size: model.size, sha256: model.sha256,
                           title: "Verifying \(model.name)", showProgress: showProgress)
    }

    /// Hashes `url` and compares it with the expected size and digest.
    static func checkHash(of url: URL, size: Int64, sha256: String, title: String, showProgress: Bool) throws {
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw ModelCacheError.notPresent(name: url.lastPathComponent, path: url.path)
        }
        defer { try? handle.close() }
        let progress = showProgress ? ProgressBar(title: title, total: size, unit: .bytes) : nil
        var hasher = SHA256()
        var count: Int64 = 0
        while true {
            let chunk = handle.readData(ofLength: 4 << 20)
            if chunk.isEmpty { break }
            chunk.withUnsafeBytes { hasher.update($0) }
            count += Int64(chunk.count)
            progress?.advance(by: Int64(chunk.count))
        }
        guard count == size else {
            progress?.finish("wrong size")
            throw ModelCacheError.sizeMismatch(path: url.path, expected: size, actual: count)
        }
        let digest = hasher.finalize().hexString
        guard digest == sha256 else {
            progress?.finish("checksum mismatch")
            throw ModelCacheError.checksumMismatch(path: url.path, expected: sha256, actual: digest)
        }
        progress?.finish("SHA-256 ok")
    }
}
