import DSPy
import DSPyEmbedded
import DSPyEngine
import Foundation

/// `dspyc serve --dspy-structured`: DSPy-shaped chat requests decoded under their adapter's structure.
///
/// A request whose first message is a DSPy adapter's system message (see
/// ``DSPyRequestStructure``) is generated under the constraint `EmbeddedLM` builds for the
/// same signature: ChatAdapter headers forced in order and `[[ ## completed ## ]]` at the
/// end, each value restricted by its type (choices for `Literal`/enum and `bool`, integers,
/// numbers, JSON for lists, dicts and models); a JSONAdapter request as one JSON object with
/// those fields; an XMLAdapter request as its tags. With greedy sampling, choices are decided
/// by scoring whole values, as `EmbeddedLM` does. Python DSPy's parser then never fails on the
/// format. A `response_format` with a JSON schema is kept as given; other requests are
/// served as without the flag.
extension OpenAIServer {
    /// The engine options of a plain chat completion: the `response_format` constraint, or
    /// with `--dspy-structured` the structure of a DSPy-shaped request.
    ///
    /// - Throws: ``OpenAIRequestError`` for a schema the decoder cannot enforce.
    func chatOptions(_ request: OpenAIChatRequest) async throws -> GenerationOptions {
        if let structured, let options = try await dspyOptions(request, structured) { return options }
        return try await generationOptions(request.responseFormat)
    }

    /// The options for a DSPy-shaped request, or `nil` (logged at debug level either way).
    private func dspyOptions(_ request: OpenAIChatRequest, _ lm: EmbeddedLM) async throws -> GenerationOptions? {
        if case .jsonSchema = request.responseFormat {
            logger.debug("dspy-structured: response_format json_schema given; it constrains the completion")
            return nil
        }
        guard let first = request.messages.first, first.role == .system,
              let structure = DSPyRequestStructure.recognise(systemMessage: first.content)
        else {
            logger.debug("dspy-structured: not a DSPy adapter request; served unconstrained")
            return nil
        }
        if request.responseFormat == .jsonObject && structure.style != .jsonObject {
            logger.debug("dspy-structured: response_format json_object on a \(structure.style.rawValue) request; kept")
            return nil
        }
        let greedy = request.parameters.temperature <= 0
        let plan: (options: GenerationOptions, description: String)?
        do { plan = try await lm.generationOptions(for: structure, greedy: greedy) } catch {
            logger.debug("dspy-structured: the structure cannot be enforced (\(error)); served unconstrained")
            return nil
        }
        guard let plan else {
            logger.debug("dspy-structured: no constraint for \(structure.style.rawValue); served unconstrained")
            return nil
        }
        logger.debug("dspy-structured: recognised \(plan.description)")
        var options = plan.options
        options.adapter = adapter
        return options
    }
}
