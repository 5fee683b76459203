import DSPy
import DSPyEmbedded
import DSPyEngine
import DSPyStore
import DSPyUtilities
import Foundation
import Logging

/// Everything a command needs to run a program: the model, the store, a run, and
/// the framework settings that route every LM call through the cache and the log.
///
/// The model is the engine's (a GGUF file) or, with `--endpoint`, an OpenAI-compatible
/// server's (``RemoteModelOptions``); only the engine provides embeddings (``embedder``).
struct ProgramSession {
    let store: Store
    let lm: any LanguageModel
    /// The loaded engine model, `nil` for a remote one.
    let engineModel: TextModel?
    let recorder: RunRecorder
    let run: RunRecord
    let useCache: Bool

    /// Opens the store, loads the model and starts a run of `kind`.
    static func open(
        kind: RunKind, program: String?, modelOptions: ModelOptions, remote: RemoteModelOptions? = nil,
        structuredDecoding: Bool, useCache: Bool
    ) throws -> ProgramSession {
        let store = try Store.open()
        let lm: any LanguageModel
        var engineModel: TextModel?
        if let remote = try remote?.languageModel(model: modelOptions.model, structuredDecoding: structuredDecoding) {
            Log.status("Model: \(remote.modelIdentifier) (\(remote.baseURL.absoluteString))")
            lm = remote
        } else {
            let model = try modelOptions.load()
            engineModel = model
            var embedded = EmbeddedLM(model: model, structuredDecoding: structuredDecoding)
            // Fine-tuning checkpoints here, so an interrupted compile resumes when run again.
            embedded.checkpointDirectory = DSPyHome.url.appendingPathComponent("checkpoints", isDirectory: true)
            lm = embedded
        }
        let run = try store.beginRun(kind: kind, program: program)
        let recorder = RunRecorder(store: store, runID: run.id, runKind: kind, program: program)
        return ProgramSession(store: store, lm: lm, engineModel: engineModel, recorder: recorder, run: run, useCache: useCache)
    }

    /// The engine's embeddings, or for a remote model one that explains why `knn` cannot run.
    var embedder: any Embedder {
        if let engineModel { return EngineEmbedder(model: engineModel) }
        return RemoteModelEmbedder()
    }

    /// The framework settings for this session.
    var settings: DSPySettings {
        let model: any LanguageModel = useCache ? CachedLanguageModel(lm, cache: recorder) : lm
        return DSPySettings(lm: model, callLog: recorder)
    }

    /// Runs `body` with this session's settings.
    func with<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await DSPySettings.with(settings, body)
    }

    /// Marks the run finished with a summary.
    func finish(status: RunStatus, summary: [String: StoredJSON]) {
        do {
            try store.finishRun(run.id, status: status, summary: summary)
        } catch {
            DiagnosticLogging.logger.warning("could not record the end of run \(run.id): \(error)")
        }
    }
}

/// Loads a JSONL dataset for a spec, checking that every example has the fields the program needs.
enum DatasetLoader {
    static func load(_ url: URL, inputKeys: [String], labelKeys: [String]) throws -> [Example] {
        let examples = try JSONL.load(url, inputKeys: inputKeys)
        for (index, example) in examples.enumerated() {
            for key in inputKeys + labelKeys where example[key] == nil {
                throw CLIError("\(url.path):\(index + 1): the example has no field '\(key)' (the signature needs \((inputKeys + labelKeys).joined(separator: ", ")))")
            }
        }
        guard !examples.isEmpty else { throw CLIError("\(url.path) holds no examples") }
        return examples
    }
}
