import ArgumentParser
import DSPyEngine
import Foundation

/// `--lora PATH.gguf` and `--lora-scale S`: run with a LoRA adapter in llama.cpp's GGUF format.
struct LoRAOptions: ParsableArguments {
    @Option(name: .customLong("lora"), help: ArgumentHelp(
        "A LoRA adapter in llama.cpp's GGUF format (as `llama-cli --lora`) to run the model with.",
        valueName: "path.gguf"))
    var path: String?

    @Option(name: .customLong("lora-scale"), help: "Multiplies the adapter's alpha/rank (llama.cpp's --lora-scaled).")
    var scale: Float = 1

    /// Loads the adapter into `model` and returns its id; nil without --lora.
    /// - Throws: `EngineError` naming the file when it cannot be read or does not fit the model.
    func load(into model: TextModel) async throws -> AdapterID? {
        guard let path else { return nil }
        return try await model.loadAdapter(contentsOf: URL(fileURLWithPath: path), scale: scale)
    }
}
