import DSPyTestSupport
import DSPyUtilities
import Foundation

/// The tiny random-weight models of `Tests/Fixtures/tiny-models` and llama.cpp's results on them.
///
/// All model files (F32, Q8_0 and Q4_K_M) are regenerated once per test run by
/// `make_tiny_models.py` (python3 with `gguf==0.19.0` and numpy) into a temporary folder;
/// its Q4_K_M files are byte-identical to llama.cpp's quantizer output, and tests compare each
/// file's SHA-256 with the fixture's `file_sha256`. See the README beside the script.
enum TinyModelFixtures {
    static let folder = Fixtures.packageRoot.appendingPathComponent("Tests/Fixtures/tiny-models")

    /// llama.cpp's results for one model file (`tiny-ARCH-QUANT.json`).
    struct Oracle: Decodable {
        let arch: String
        let quant: String
        let file: String
        let fileSHA256: String
        let prompts: [Prompt]

        struct Prompt: Decodable {
            let name: String
            let ids: [Int32]
            let lastLogits: Logits
            let greedyIDs: [Int32]
            let greedySteps: [Step]
            /// What llama.cpp tokenized: the rendered chat, or a text cut to its first ids.
            let source: Source?

            struct Source: Decodable {
                let rendered: String?
                let text: String?
            }

            enum CodingKeys: String, CodingKey {
                case name, ids, source
                case lastLogits = "last_logits"
                case greedyIDs = "greedy_ids"
                case greedySteps = "greedy_steps"
            }
        }

        struct Logits: Decodable {
            let values: [Float]
            let sha256: String
        }

        struct Step: Decodable {
            let id: Int32
            /// llama.cpp's five best [id, logit] pairs at this step.
            let top5: [[Double]]
            let margin: Float
        }

        enum CodingKeys: String, CodingKey {
            case arch, quant, file, prompts
            case fileSHA256 = "file_sha256"
        }
    }

    /// The folder the models were generated into (the script's 256-token context), once per process.
    static let generated = TinyModelFiles.generate(contextLength: nil)

    /// The regenerated model file `tiny-ARCH-QUANT.gguf` (QUANT = f32, q8_0 or q4_k_m).
    static func modelFile(arch: String, quant: String) throws -> URL {
        try generated.get().appendingPathComponent("tiny-\(arch)-\(quant).gguf")
    }

    static func oracle(arch: String, quant: String) throws -> Oracle {
        let data = try Data(contentsOf: folder.appendingPathComponent("tiny-\(arch)-\(quant).json"))
        return try JSONDecoder().decode(Oracle.self, from: data)
    }

    static func sha256(of url: URL) throws -> String {
        try SHA256.hash(Data(contentsOf: url)).hexString
    }
}
