import Foundation

/// The signatures the instruction optimizers send to the prompt model, after
/// DSPy's COPRO and MIPROv2 proposer signatures (same fields and intent).
enum ProposerSignatures {
    private static func make(_ inputs: [FieldSpec], _ outputs: [FieldSpec], _ instructions: String, _ name: String) -> SignatureSpec {
        // The fields are distinct and fixed, so this cannot fail.
        (try? SignatureSpec(inputs: inputs, outputs: outputs, instructions: instructions, name: name))!
    }

    private static let proposedInstruction = FieldSpec.output(
        "proposed_instruction", desc: "The improved instructions for the language model")
    private static let proposedPrefix = FieldSpec.output(
        "proposed_prefix_for_output_field",
        desc: "The string at the end of the prompt, which will help the model start solving the task")

    /// COPRO's first proposal from the current instruction.
    static let basicGenerateInstruction = make(
        [.input("basic_instruction", desc: "The initial instructions before optimization")],
        [proposedInstruction, proposedPrefix],
        "You are an instruction optimizer for large language models. I will give you a ``signature`` of fields (inputs and outputs) in English. Your task is to propose an instruction that will lead a good language model to perform the task well. Don't be afraid to be creative.",
        "BasicGenerateInstruction")

    /// COPRO's later proposals from scored attempts.
    static let generateInstructionGivenAttempts = make(
        [.input("attempted_instructions")],
        [proposedInstruction, proposedPrefix],
        """
        You are an instruction optimizer for large language models. I will give some task instructions I've tried, along with their corresponding validation scores. The instructions are arranged in increasing order based on their scores, where higher scores indicate better quality.

        Your task is to propose a new instruction that will lead a good language model to perform the task even better. Don't be afraid to be creative.
        """,
        "GenerateInstructionGivenAttempts")

    /// MIPRO's dataset observations over one batch of examples.
    static let datasetDescriptor = make(
        [.input("examples", desc: "Sample data points from the dataset")],
        [.output("observations", desc: "Somethings that holds true for most or all of the data you observed")],
        "Given several examples from a dataset please write observations about trends that hold for most or all of the samples. Some areas you may consider in your observations: topics, content, syntax, conciceness, etc. It will be useful to make an educated guess as to the nature of the task this dataset will enable. Don't be afraid to be creative",
        "DatasetDescriptor")

    /// MIPRO's summary of the observations.
    static let observationSummarizer = make(
        [.input("observations", desc: "Observations I have made about my dataset")],
        [.output("summary", desc: "Two to Three sentence summary of only the most significant highlights of my observations")],
        "Given a series of observations I have made about my dataset, please summarize them into a brief 2-3 sentence summary which highlights only the most important details.",
        "ObservationSummarizer")

    /// MIPRO's grounded instruction proposal for one predictor.
    static let generateSingleModuleInstruction = make(
        [
            .input("dataset_description", desc: "A description of the dataset that we are using."),
            .input("program_code", desc: "Language model program designed to solve a particular task."),
            .input("module_description", desc: "Description of the module to write an instruction for."),
            .input("task_demos", desc: "Example inputs/outputs of our module."),
            .input("basic_instruction", desc: "Basic instruction."),
            .input("tip", desc: "A suggestion for how to go about generating the new instruction."),
        ],
        [.output("proposed_instruction", desc: "Propose an instruction that will be used to prompt a Language Model to perform this task.")],
        "Use the information below to learn about a task that we are trying to solve using calls to an LM, then generate a new instruction that will be used to prompt a Language Model to better solve the task.",
        "GenerateSingleModuleInstruction")

    /// MIPRO's proposal tips, by name.
    static let tips: [(String, String)] = [
        ("none", ""),
        ("creative", "Don't be afraid to be creative when creating the new instruction!"),
        ("simple", "Keep the instruction clear and concise."),
        ("description", "Make sure your instruction is very informative and descriptive."),
        ("high_stakes", "The instruction should include a high stakes scenario in which the LM must solve the task!"),
        ("persona", "Include a persona that is relevant to the task in the instruction (ie. \"You are a ...\")"),
    ]
}

/// A cleaned-up proposed instruction: trimmed, without a leading field label or quotes.
func cleanInstruction(_ text: String) -> String {
    var t = text.trimmingCharacters(in: .whitespacesAndNewlines)
    for label in ["Proposed Instruction:", "Instruction:"] where t.hasPrefix(label) {
        t = String(t.dropFirst(label.count)).trimmingCharacters(in: .whitespacesAndNewlines)
    }
    if t.count > 1, t.hasPrefix("\""), t.hasSuffix("\"") { t = String(t.dropFirst().dropLast()) }
    return t
}
