import DSPyTestSupport
import DSPyUtilities
import Foundation

@testable import DSPyEngine

/// The LoRA adapters of `Tests/Fixtures/lora` and llama.cpp's results with them.
///
/// The adapter files are regenerated for each test run by `make_lora_fixtures.py write`
/// (python3 with gguf and numpy, as for the tiny models) from the tiny models of
/// ``TinyModelFixtures`` and the default model; tests compare each file's SHA-256 with the
/// one llama.cpp ran on (`lora-fixtures.json`).
enum LoRAFixtures {
    static let folder = Fixtures.packageRoot.appendingPathComponent("Tests/Fixtures/lora")

    /// Why the adapters could not be written.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    struct Oracle: Decodable {
        let cases: [Case]
    }

    struct Case: Decodable {
        let model: String
        let adapter: String
        let adapterInfo: AdapterInfo
        let loraScale: Float
        let prompts: [Prompt]

        enum CodingKeys: String, CodingKey {
            case model, adapter, prompts
            case adapterInfo = "adapter_info"
            case loraScale = "lora_scale"
        }
    }

    struct AdapterInfo: Decodable {
        let rank: Int
        let alpha: Float
        let sha256: String
    }

    struct Prompt: Decodable {
        let name: String
        let ids: [Int32]
        let baseGreedyIDs: [Int32]
        let greedyIDs: [Int32]
        let greedySteps: [TinyModelFixtures.Oracle.Step]
        let lastLogits: Logits

        enum CodingKeys: String, CodingKey {
            case name, ids
            case baseGreedyIDs = "base_greedy_ids"
            case greedyIDs = "greedy_ids"
            case greedySteps = "greedy_steps"
            case lastLogits = "last_logits"
        }
    }

    struct Logits: Decodable {
        /// All logits (tiny models only).
        let values: [Float]?
        /// The 20 best [id, logit] pairs.
        let top20: [[Double]]
    }

    static func oracle() throws -> Oracle {
        try JSONDecoder().decode(Oracle.self, from: Data(contentsOf: folder.appendingPathComponent("lora-fixtures.json")))
    }

    /// The tiny models' adapters, written once per process into a temporary folder.
    static let tinyAdapters: Result<URL, LoRAFixtures.Failure> = {
        do {
            let models = try TinyModelFixtures.generated.get()
            let files = TinyModelFiles.architectures.map { models.appendingPathComponent("tiny-\($0)-f32.gguf").path }
            return write(files, into: "tiny")
        } catch {
            return .failure(.init(description: "\(error)"))
        }
    }()

    /// The default model's adapter (rank 8, every linear matrix: about 10 MB), written once per process.
    static let defaultModelAdapter: Result<URL, LoRAFixtures.Failure> = write(
        [Fixtures.defaultModel.path], into: "smollm2")

    /// The adapter file for `model` (a file name from the fixtures).
    static func adapterFile(for model: String) throws -> URL {
        let folder = try (model.hasPrefix("tiny-") ? tinyAdapters : defaultModelAdapter).get()
        return folder.appendingPathComponent(model.replacingOccurrences(of: ".gguf", with: ".lora.gguf"))
    }

    /// The base model file of a case.
    static func modelFile(_ model: String) throws -> URL {
        model.hasPrefix("tiny-")
            ? try TinyModelFixtures.generated.get().appendingPathComponent(model) : Fixtures.defaultModel
    }

    private static func write(_ models: [String], into name: String) -> Result<URL, LoRAFixtures.Failure> {
        let output = FileManager.default.temporaryDirectory
            .appendingPathComponent("dspyc-lora-\(name)-\(ProcessInfo.processInfo.processIdentifier)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", folder.appendingPathComponent("make_lora_fixtures.py").path, "write", output.path] + models
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        do { try process.run() } catch {
            return .failure(.init(description: "cannot run python3: \(error)"))
        }
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            return .failure(.init(description: "make_lora_fixtures.py write failed: \(TinyModelFiles.pipCommand)\n\(message)"))
        }
        return .success(output)
    }

    /// A small adapter on some of `base`'s matrices with values from `seed` (for format tests).
    static func randomAdapter(base: GGUFFile, rank: Int, alpha: Float, targets: [String], seed: UInt64) throws -> LoRAAdapter {
        var random = SeededRandom(seed: seed)
        var pairs: [String: LoRAPair] = [:]
        for info in base.tensors {
            guard let (_, slot) = LoRASlot.parse(info.name), targets.contains(slot.rawValue) else { continue }
            let (inputs, outputs) = (info.shape[0], info.shape[1])
            let values = { (count: Int) in (0..<count).map { _ in Float(random.unit() * 2 - 1) * 0.1 } }
            pairs[info.name] = try LoRAPair(
                rank: rank, inputs: inputs, outputs: outputs, a: values(rank * inputs), b: values(outputs * rank))
        }
        return LoRAAdapter(architecture: base.metadata["general.architecture"]?.string ?? "", alpha: alpha, pairs: pairs)
    }
}
