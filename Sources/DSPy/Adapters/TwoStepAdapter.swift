/// DSPy's two-step adapter: the main LM answers in free text, an extraction LM fills the fields.
///
/// Renders byte for byte what DSPy 3.4.1's `TwoStepAdapter` sends (golden-tested):
/// the main call gets a plain system message ("You are a helpful assistant
/// that can solve tasks based on user input." … "Specific instructions: …")
/// and `name: value` user/assistant turns, with no output structure, so the
/// engine decodes freely. Each completion is then given to
/// ``extractionModel`` through a ``ChatAdapter`` (with its JSON fallback)
/// under the signature `text -> <the original outputs>`, whose instructions
/// are DSPy's, twelve literal spaces included. That is one more LM call per
/// completion, logged as its own ChatAdapter call and counted in the
/// prediction's usage under the extraction model's name.
///
/// Useful when the main model reasons well but cannot keep a format; the
/// extraction model can be small (the embedded model with structured decoding).
public struct TwoStepAdapter: Adapter {
    /// The model that turns the main model's free text into fields.
    public let extractionModel: any LanguageModel

    public init(extractionModel: any LanguageModel) {
        self.extractionModel = extractionModel
    }

    public var name: String { "TwoStepAdapter" }

    public func format(_ signature: SignatureSpec, demos: [Example], inputs: JSONObject) -> [ChatMessage] {
        var messages: [ChatMessage] = [.system(taskDescription(signature))]
        let (incomplete, complete) = AdapterText.partitionDemos(demos, signature)
        for demo in incomplete {
            messages.append(.user(userMessageContent(signature, inputs: demo.fields, prefix: AdapterText.incompleteDemoPrefix)))
            messages.append(.assistant(assistantMessageContent(signature, outputs: demo.fields)))
        }
        for demo in complete {
            messages.append(.user(userMessageContent(signature, inputs: demo.fields)))
            messages.append(.assistant(assistantMessageContent(signature, outputs: demo.fields)))
        }
        messages.append(.user(userMessageContent(signature, inputs: inputs)))
        return messages
    }

    /// The system message of the main call (DSPy's `format_task_description`).
    public func taskDescription(_ signature: SignatureSpec) -> String {
        var parts = [
            "You are a helpful assistant that can solve tasks based on user input.",
            "As input, you will be provided with:\n" + AdapterText.fieldDescriptions(signature.inputs),
            "Your outputs must contain:\n" + AdapterText.fieldDescriptions(signature.outputs),
            "You should lay out your outputs in detail so that your answer can be understood by another agent",
        ]
        if !signature.instructions.isEmpty { parts.append("Specific instructions: \(signature.instructions)") }
        return parts.joined(separator: "\n")
    }

    /// `name: value` lines for the inputs present, joined by blank lines (Python's `str()` of each value).
    public func userMessageContent(_ signature: SignatureSpec, inputs: JSONObject, prefix: String = "") -> String {
        let lines = signature.inputs.compactMap { f in inputs[f.name].map { "\(f.name): \(XMLAdapter.pythonStr($0))" } }
        return ([prefix] + lines + [""]).joined(separator: "\n\n").trimmed
    }

    /// `name: value` lines for the outputs present.
    public func assistantMessageContent(_ signature: SignatureSpec, outputs: JSONObject) -> String {
        signature.outputs.compactMap { f in outputs[f.name].map { "\(f.name): \(XMLAdapter.pythonStr($0))" } }
            .joined(separator: "\n\n").trimmed
    }

    /// The extraction signature: `text` plus the original outputs, with DSPy's instructions.
    public func extractorSignature(_ signature: SignatureSpec) -> SignatureSpec {
        let names = signature.outputs.map { "`\($0.name)`" }.joined(separator: ", ")
        let instructions = "The input is a text that should contain all the necessary information to produce the fields \(names). "
            + String(repeating: " ", count: 12)
            + "Your job is to extract the fields from the text verbatim. Extract precisely the appropriate value (content) for each field."
        let text = FieldSpec(name: "text", kind: .input, type: .string)
        // A valid signature never fails to take a fresh `text` input; keep the outputs as they are.
        return (try? SignatureSpec(inputs: [text], outputs: signature.outputs, instructions: instructions))
            ?? signature
    }

    /// Parsing needs the extraction LM; outside a call this throws (use ``extract(_:completion:context:)``).
    public func parse(_ signature: SignatureSpec, completion: String) throws -> JSONObject {
        throw DSPyError.module("TwoStepAdapter parses through its extraction model; it can only parse inside a predictor call")
    }

    /// Asks ``extractionModel`` to extract the fields of `signature` from `completion`.
    ///
    /// - Throws: DSPy's `AdapterParseError` ("Failed to parse response from the original completion: …")
    ///   when the extraction cannot be parsed, or the extraction model's error.
    public func extract(_ signature: SignatureSpec, completion: String, context: AdapterContext) async throws -> JSONObject {
        let call = AdapterCall(adapter: ChatAdapter(), lm: extractionModel, parameters: extractionModel.defaultParameters,
                               log: context.log, path: context.path.map { $0 + ".extract" } ?? "extract")
        do {
            let prediction = try await call.run(
                signature: extractorSignature(signature), demos: [], inputs: ["text": .string(completion)],
                collector: context.usage)
            return prediction.fields
        } catch let error as DSPyError {
            guard case .adapterParse = error else { throw error }
            throw DSPyError.adapterParse(
                adapter: name, response: completion, expected: signature.outputs.map(\.name), parsed: nil,
                message: "Failed to parse response from the original completion: \(error)")
        }
    }

    /// The main call's answer is free text: no output structure is enforced.
    public func requestStructure(for signature: SignatureSpec) -> OutputStructure? { nil }

    /// The structure of the extraction call's answer (ChatAdapter's).
    public func outputStructure(for signature: SignatureSpec) -> OutputStructure {
        ChatAdapter().outputStructure(for: extractorSignature(signature))
    }
}
