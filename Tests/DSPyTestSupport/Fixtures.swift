import Foundation

/// Locations of the fixtures that tests read, all inside the repository.
///
/// llama.cpp's golden outputs are copied into `Tests/Fixtures/golden` (their README
/// says where they came from); the datasets are the programs' own data under
/// `programs/NAME/data`. The default model lives in the model cache
/// (`$DSPYC_HOME/models`), pulled by `scripts/test`.
public enum Fixtures {
    /// The package root, found from this source file's path.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The golden outputs of llama.cpp for the default model (`Tests/Fixtures/golden`).
    public static let golden: URL = packageRoot.appendingPathComponent("Tests/Fixtures/golden")

    /// A split (`train`, `dev` or `test`) of a built-in program's dataset, e.g. `sentiment`.
    public static func dataset(_ program: String, split: String) -> URL {
        packageRoot.appendingPathComponent("programs/\(program)/data/\(split).jsonl")
    }

    /// The dspyc home used by tests: `$DSPYC_HOME` or `~/.cache/dspyc`.
    public static var dspycHome: URL {
        if let home = ProcessInfo.processInfo.environment["DSPYC_HOME"], !home.isEmpty {
            return URL(fileURLWithPath: home)
        }
        return FileManager.default.homeDirectoryForCurrentUser
            .appendingPathComponent(".cache/dspyc")
    }

    /// The default model's GGUF file in the model cache (pulled by `.ci/run`).
    public static var defaultModel: URL {
        dspycHome.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf")
    }

    /// Gemma 3 270M (`gemma3-270m`, Q4_K_M) in the model cache, pulled by `scripts/test`;
    /// `$DSPYC_GEMMA_GGUF` names another copy.
    public static var gemmaModel: URL {
        if let path = ProcessInfo.processInfo.environment["DSPYC_GEMMA_GGUF"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return dspycHome.appendingPathComponent("models/gemma-3-270m-q4_k_m.gguf")
    }

    /// ``gemmaModel``, or an error that says how to get it: tests on Gemma fail, not skip,
    /// when it is missing.
    public static func requireGemmaModel() throws -> URL {
        let url = gemmaModel
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw MissingFixture(
                "Gemma 3 270M is not at \(url.path): run `dspyc models pull gemma3-270m` (scripts/test does)")
        }
        return url
    }

    /// llama.cpp's outputs for Gemma 3 270M (`Tests/Fixtures/gemma3`).
    public static let gemma3: URL = packageRoot.appendingPathComponent("Tests/Fixtures/gemma3")
}

/// A fixture a test needs is not where it should be; the message says how to make it.
public struct MissingFixture: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
