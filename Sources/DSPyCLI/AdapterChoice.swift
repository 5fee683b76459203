import ArgumentParser
import DSPy

/// The adapters the CLI can use, by name (`--adapter`).
enum AdapterChoice {
    static let names = "chat, json, xml or two-step"

    /// The adapter called `name`; `two-step` extracts with `extractionModel`.
    static func make(_ name: String, extractionModel: any LanguageModel) throws -> any Adapter {
        switch name.lowercased() {
        case "chat": return ChatAdapter()
        case "json": return JSONAdapter()
        case "xml": return XMLAdapter()
        case "two-step", "twostep", "two_step": return TwoStepAdapter(extractionModel: extractionModel)
        default: throw ValidationError("--adapter must be \(names), got '\(name)'")
        }
    }
}

/// A model that is never called: stands in for TwoStepAdapter's extraction model where only prompts are rendered.
struct PromptOnlyLM: LanguageModel {
    var modelIdentifier: String { "none" }

    func complete(_ request: LMRequest) async throws -> LMResponse {
        throw DSPyError.languageModel("no model: `dspyc prompt` renders prompts only")
    }
}
