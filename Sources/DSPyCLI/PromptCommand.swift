import ArgumentParser
import DSPy
import Foundation

/// `dspyc prompt`: render the exact messages a signature would send, without a model.
struct PromptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prompt",
        abstract: "Render the exact messages DSPy's adapters send for a signature and inputs (no model call).")

    @Argument(help: "A program whose (compiled) first predictor renders the prompt, instead of --signature.")
    var program: String?

    @Option(help: "The signature, e.g. \"question, context: list[str] -> answer\".")
    var signature: String?

    @Option(help: "Instructions (default: DSPy's generated ones).")
    var instructions: String?

    @Option(name: .customLong("input"), help: "An input, name=value (repeatable); list and dict values as JSON.")
    var inputs: [String] = []

    @Option(help: "chat, json, xml or two-step (the main call's prompt).")
    var adapter: String = "chat"

    @Flag(help: "Print a JSON list of {role, content}.")
    var json = false

    func validate() throws {
        guard (program == nil) != (signature == nil) else {
            throw ValidationError("give a program name or --signature (one of them)")
        }
    }

    func run() async throws {
        var predictor: Predict?
        if let program {
            let (instance, _) = try DSPyStoreAccess.compiledProgram(try ProgramOptions.registered(program), required: false)
            predictor = instance.predictors().first
        }
        let spec = try predictor?.signature ?? SignatureSpec(signature ?? "", instructions: instructions)
        let fields = try InputValues.parse(inputs)
        let known = Set(spec.inputs.map(\.name))
        if let unknown = fields.keys.first(where: { !known.contains($0) }) {
            throw ValidationError("'\(unknown)' is not an input of the signature (inputs: \(spec.inputs.map(\.name).joined(separator: ", ")))")
        }
        let chosen = try AdapterChoice.make(adapter, extractionModel: PromptOnlyLM())
        let messages = predictor?.formatted(fields, adapter: chosen) ?? chosen.format(spec, demos: [], inputs: fields)
        if json {
            print(JSONValue.array(messages.map { ["role": .string($0.role.rawValue), "content": .string($0.content)] })
                .pythonJSON(indent: 2))
        } else {
            for message in messages {
                print("[\(message.role.rawValue)]")
                print(message.content)
                print()
            }
        }
    }
}
