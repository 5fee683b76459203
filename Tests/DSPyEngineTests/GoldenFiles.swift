import DSPyEngine
import DSPyTestSupport
import Foundation

/// Readers for llama.cpp's golden outputs, copied into `Tests/Fixtures/golden`.
enum GoldenFiles {
    /// A prompt of `golden/logits/NAME.json`: ids, per-position top-5, greedy ids.
    struct LogitsPrompt: Decodable {
        let promptTokenIDs: [Int32]
        let perPositionTop5: [[[Double]]]

        enum CodingKeys: String, CodingKey {
            case promptTokenIDs = "prompt_token_ids"
            case perPositionTop5 = "per_position_top5"
        }

        /// The top-5 token ids at each prompt position.
        var top5IDs: [[Int]] { perPositionTop5.map { $0.map { Int($0[0]) } } }
    }

    /// A prompt of `greedy48.json` with its greedy steps.
    struct GreedyPrompt: Decodable {
        let id: String
        let promptTokenIDs: [Int32]
        let greedy: Greedy

        struct Greedy: Decodable {
            let tokenIDs: [Int32]
            let steps: [Step]
            enum CodingKeys: String, CodingKey {
                case tokenIDs = "token_ids"
                case steps
            }
        }

        struct Step: Decodable {
            let id: Int32
            let top5: [Candidate]
        }

        struct Candidate: Decodable {
            let id: Int32
            let logprob: Double
        }

        enum CodingKeys: String, CodingKey {
            case id
            case promptTokenIDs = "prompt_token_ids"
            case greedy
        }
    }

    /// llama.cpp 0.3.36 built natively on an x86-64 CPU of one level (AVX2 or AVX-512, which
    /// round differently; see `KernelOrder`): a SHA-256 of each golden prompt's last-position
    /// logits, and how far they are from the golden files, which llama.cpp produced on
    /// another CPU (`Fixtures/make_llama_cpp_logits.py`, one file per level:
    /// `Fixtures/llama_cpp_logits.LEVEL.json`).
    struct LocalLlamaCpp: Decodable {
        struct Prompt: Decodable {
            let sha256: String
            let goldenMaxAbsDiff: Float
            let goldenMeanAbsDiff: Double
            enum CodingKeys: String, CodingKey {
                case sha256
                case goldenMaxAbsDiff = "golden_max_abs_diff"
                case goldenMeanAbsDiff = "golden_mean_abs_diff"
            }
        }
        /// llama.cpp's greedy continuation of a `greedy48.json` prompt, built here.
        struct Greedy: Decodable {
            let tokenIDs: [Int32]
            /// How many leading tokens equal the golden file's.
            let goldenAgreement: Int
            enum CodingKeys: String, CodingKey {
                case tokenIDs = "token_ids"
                case goldenAgreement = "golden_agreement"
            }
        }
        /// The level llama.cpp's build used, as the generator read it from llama.cpp's system
        /// info (absent in the first file, recorded on AVX-512 before the generator said).
        let cpuLevel: String?
        let prompts: [String: Prompt]
        let greedy: [String: Greedy]

        enum CodingKeys: String, CodingKey {
            case cpuLevel = "cpu_level"
            case prompts, greedy
        }

        /// The fixture file of `order`'s level.
        static func url(for order: KernelOrder) -> URL {
            URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("Fixtures/llama_cpp_logits.\(order).json")
        }

        /// Whether llama.cpp's outputs were recorded at `order`'s level.
        static func isRecorded(for order: KernelOrder) -> Bool {
            FileManager.default.fileExists(atPath: url(for: order).path)
        }

        /// llama.cpp's outputs at `order`'s level (by default the running CPU's).
        static func load(for order: KernelOrder = .running) throws -> LocalLlamaCpp {
            let url = url(for: order)
            let fixture = try JSONDecoder().decode(LocalLlamaCpp.self, from: Data(contentsOf: url))
            if let level = fixture.cpuLevel, level != order.description {
                throw FixtureError("\(url.lastPathComponent) was recorded at level \(level), not \(order)")
            }
            return fixture
        }
    }

    /// A fixture that does not say what its name says.
    struct FixtureError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// The kernel orders this CPU can run besides its own (the AVX-512 order is emulated on
    /// AVX2 and vice versa): empty without AVX2, whose kernels the orders need.
    static var otherKernelOrders: [KernelOrder] {
        KernelPaths.hasAVX2 ? [KernelOrder.avx2, .avx512].filter { $0 != KernelOrder.running } : []
    }

    /// Golden top-1/top-2 logit gaps below this are near-ties where the argmax may differ.
    static let nearTieLogitMargin = 0.5

    /// Greedy steps whose golden top-2 log-probabilities are closer than this are near-ties.
    static let nearTieLogProbMargin = 0.01

    static let logitsPromptNames = ["raw_capital", "raw_code", "chat_capital", "chat_colors_sys", "long_dspy_demos"]

    static var logitsDirectory: URL { Fixtures.golden.appendingPathComponent("logits") }

    static func logitsPrompt(_ name: String) throws -> LogitsPrompt {
        let data = try Data(contentsOf: logitsDirectory.appendingPathComponent(name + ".json"))
        return try JSONDecoder().decode(LogitsPrompt.self, from: data)
    }

    static func lastLogits(_ name: String) throws -> [Float] {
        let data = try Data(contentsOf: logitsDirectory.appendingPathComponent(name + ".last.f32"))
        return data.withUnsafeBytes { raw in
            (0..<data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }

    static func greedyPrompts() throws -> [GreedyPrompt] {
        struct File: Decodable { let prompts: [GreedyPrompt] }
        let data = try Data(contentsOf: Fixtures.golden.appendingPathComponent("greedy48.json"))
        return try JSONDecoder().decode(File.self, from: data).prompts
    }

    static func metadataJSON() throws -> [String: Any] {
        let data = try Data(contentsOf: Fixtures.golden.appendingPathComponent("gguf_metadata.json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

}

/// Indices of the `k` largest values, largest first.
func topIndices<C: RandomAccessCollection>(_ values: C, _ k: Int) -> [Int] where C.Element == Float, C.Index == Int {
    var best: [(Int, Float)] = []
    for index in values.indices {
        let v = values[index]
        if best.count < k || v > best[best.count - 1].1 {
            best.append((index - values.startIndex, v))
            best.sort { $0.1 > $1.1 }
            if best.count > k { best.removeLast() }
        }
    }
    return best.map(\.0)
}
