import ArgumentParser
import DSPyEngine
import Foundation

/// `dspyc generate`: stream a completion from the embedded engine.
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text with the embedded engine, streaming it to standard output.",
        discussion: """
            Without --chat the prompt is raw text; special-token text in it (such as <|im_start|>) \
            is read as the special token, as llama.cpp does. With --chat the prompt is a user \
            message rendered with the model's chat template.
            """)

    @Argument(help: "The prompt.")
    var prompt: String

    @Flag(help: "Render the prompt as a user message with the model's chat template.")
    var chat = false

    @Option(help: "A system message (implies --chat).")
    var system: String?

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var sampling: SamplingOptions
    @OptionGroup var loraOptions: LoRAOptions

    @Flag(help: "Print the result and its statistics as one JSON object instead of streaming.")
    var json = false

    func run() async throws {
        let model = try modelOptions.load()
        let ids: [Int32]
        if chat || system != nil {
            var messages: [ChatMessage] = []
            if let system { messages.append(ChatMessage(.system, system)) }
            messages.append(ChatMessage(.user, prompt))
            ids = try model.encodeChat(messages)
        } else {
            ids = model.tokenizer.encode(prompt, parseSpecial: true)
        }
        var stream: (@Sendable (String) -> Void)?
        if !json { stream = { @Sendable piece in FileHandle.standardOutput.write(Data(piece.utf8)) } }
        let options = GenerationOptions(adapter: try await loraOptions.load(into: model))
        let result = try await model.generate(prompt: ids, parameters: sampling.parameters, options: options, onText: stream)
        if json {
            print(try JSONOutput.encode(GenerationSummary(result)))
        } else {
            print()
            Log.status(String(
                format: "%d prompt tokens (%d cached) in %.2f s, %d generated at %.1f tokens/s, finish: %@",
                result.promptTokens, result.cachedPromptTokens, result.promptDuration.seconds,
                result.tokens.count, result.generationTokensPerSecond, result.finishReason.rawValue))
        }
    }
}

/// The JSON form of a generation.
struct GenerationSummary: Codable {
    var text: String
    var tokens: [Int32]
    var finishReason: String
    var promptTokens: Int
    var cachedPromptTokens: Int
    var promptSeconds: Double
    var generationSeconds: Double
    var generationTokensPerSecond: Double

    init(_ generation: Generation) {
        text = generation.text
        tokens = generation.tokens
        finishReason = generation.finishReason.rawValue
        promptTokens = generation.promptTokens
        cachedPromptTokens = generation.cachedPromptTokens
        promptSeconds = generation.promptDuration.seconds
        generationSeconds = generation.generationDuration.seconds
        generationTokensPerSecond = generation.generationTokensPerSecond
    }
}

/// Sampling flags, with llama.cpp's defaults.
struct SamplingOptions: ParsableArguments {
    @Option(help: "Temperature; 0 is greedy.")
    var temperature: Float = 0.8
    @Option(name: .customLong("top-k"), help: "Keep the k most likely tokens (0: off).")
    var topK: Int = 40
    @Option(name: .customLong("top-p"), help: "Nucleus sampling threshold (1: off).")
    var topP: Float = 0.95
    @Option(name: .customLong("min-p"), help: "Drop tokens less likely than min-p × the best (0: off).")
    var minP: Float = 0.05
    @Option(name: .customLong("repeat-penalty"), help: "Repetition penalty (1: off).")
    var repeatPenalty: Float = 1
    @Option(help: "Random seed (default: a fresh one).")
    var seed: UInt32?
    @Option(name: .customLong("max-tokens"), help: "The most tokens to generate.")
    var maxTokens: Int = 256
    @Option(help: "A stop string (repeatable).")
    var stop: [String] = []

    var parameters: SamplingParameters {
        var parameters = SamplingParameters(
            temperature: temperature, topK: topK, topP: topP, minP: minP, repetitionPenalty: repeatPenalty, seed: seed)
        parameters.maxTokens = maxTokens
        parameters.stop = stop
        return parameters
    }

    func validate() throws {
        guard maxTokens > 0 else { throw ValidationError("--max-tokens must be positive, got \(maxTokens)") }
        guard temperature >= 0 else { throw ValidationError("--temperature must not be negative") }
        guard topP > 0, topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
    }
}
