import Foundation

/// A GGUF model named by its content, for LM-call cache keys and compile fingerprints.
///
/// A file whose size and directory digest (``GGUFFile/directoryDigest()``: header,
/// metadata and tensor directory) match a catalog model is named by the catalog's
/// whole-file SHA-256; any other file by its directory digest. Either way the name does
/// not depend on the file's name or folder, so renaming or moving a model keeps its
/// cached calls and compiled programs, while two files of the same name and size with
/// different metadata or tensors never share them. The engine's numerics version
/// (``EngineNumerics/version``) is part of the name, so a kernel change never replays
/// answers computed by the old kernels.
///
/// Tensor data are not hashed (a 250 MB model would cost a second per run): two files that
/// differ only inside tensor data share a fingerprint. `dspyc models verify` hashes whole
/// catalog files.
///
/// ```swift
/// let fingerprint = try ModelFingerprint(contentsOf: url)
/// print(fingerprint)  // smollm2-135m-instruct@sha256:b179c952…/numerics-1
/// ```
public struct ModelFingerprint: Sendable, Hashable, CustomStringConvertible {
    /// The catalog model the file is, if it is one.
    public let catalogName: String?
    /// The catalog's SHA-256 of the whole file for a catalog model, else the directory digest.
    public let sha256: String
    /// The engine numerics version the fingerprint was made for.
    public let numericsVersion: Int

    /// Names the model in an opened file.
    ///
    /// - Parameters:
    ///   - catalog: the models recognised by content (default: every model dspyc knows).
    ///   - numericsVersion: the engine's numerics version (tests pass another one).
    /// Cost: one SHA-256 of the directory (about 1.8 MB for SmolLM2-135M).
    public init(
        file: GGUFFile, catalog: [ModelDescriptor] = ModelDescriptor.catalog,
        numericsVersion: Int = EngineNumerics.version
    ) {
        let digest = file.directoryDigest()
        let size = Int64(file.fileSize)
        if let model = catalog.first(where: { $0.directorySHA256 == digest && $0.size == size }) {
            catalogName = model.name
            sha256 = model.sha256
        } else {
            catalogName = nil
            sha256 = digest
        }
        self.numericsVersion = numericsVersion
    }

    /// Names the model in the GGUF file at `url` (maps and parses it; no tensor data is read).
    ///
    /// - Throws: what ``GGUFFile/init(contentsOf:)`` throws, naming the file.
    public init(
        contentsOf url: URL, catalog: [ModelDescriptor] = ModelDescriptor.catalog,
        numericsVersion: Int = EngineNumerics.version
    ) throws {
        self.init(file: try GGUFFile(contentsOf: url), catalog: catalog, numericsVersion: numericsVersion)
    }

    /// `<catalog name>@sha256:<file digest>/numerics-<n>` for a catalog model,
    /// `gguf@directory-sha256:<directory digest>/numerics-<n>` for any other file.
    public var description: String {
        if let catalogName { return "\(catalogName)@sha256:\(sha256)/numerics-\(numericsVersion)" }
        return "gguf@directory-sha256:\(sha256)/numerics-\(numericsVersion)"
    }
}
