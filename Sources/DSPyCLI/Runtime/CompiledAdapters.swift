import DSPy
import DSPyEmbedded
import DSPyEngine
import DSPyStore
import DSPyUtilities
import Foundation

/// The fine-tuned weights of a compiled program: what `compile` stores with it, and what
/// `run`, `eval`, `inspect` and `export` read back.
///
/// A compiled record names its adapters in its metadata (`adapters`: predictor path →
/// digest); the bytes are content-addressed blobs in the store (``AdapterBlob``).
enum CompiledAdapters {
    /// The metadata key of the predictor → digest map.
    static let metadataKey = "adapters"

    /// The blobs of the fine-tuned predictors of `program`, one per distinct adapter, and the
    /// predictor → digest map to store in the record's metadata (`nil` when nothing was fine-tuned).
    static func blobs(of program: any Program) throws -> (blobs: [AdapterBlob], metadata: StoredJSON?) {
        let found = FinetunedLM.artifacts(of: program)
        guard !found.isEmpty else { return ([], nil) }
        var blobs: [AdapterBlob] = []
        var map = DSPy.JSONObject()
        for (predictor, artifact) in found {
            map[predictor] = .string(artifact.digest)
            guard !blobs.contains(where: { $0.digest == artifact.digest }) else { continue }
            let info = String(decoding: try JSONEncoder().encode(artifact.info), as: UTF8.self)
            blobs.append(AdapterBlob(digest: artifact.digest, format: artifact.format, bytes: Data(artifact.data), info: info))
        }
        return (blobs, try StoredJSON.parse(DSPy.JSONValue.object(map).pythonJSON(), field: metadataKey))
    }

    /// The predictor → digest map of a compiled record (empty for a program not fine-tuned).
    ///
    /// - Throws: ``CLIError`` naming the program when the map is malformed.
    static func digests(in record: CompiledProgramRecord) throws -> [(predictor: String, digest: String)] {
        guard let value = record.metadata[metadataKey] else { return [] }
        guard case .object(let map) = value else {
            throw CLIError("the compiled program \(record.program) (\(record.fingerprint.prefix(12))) has a malformed adapter list")
        }
        return try map.keys.sorted().map { key in
            guard case .string(let digest)? = map[key], CacheEntry.isValidKey(digest) else {
                throw CLIError("the compiled program \(record.program) names a malformed adapter digest for predictor '\(key)'")
            }
            return (key, digest)
        }
    }

    /// The stored adapter `digest` of `record`, as an artifact.
    ///
    /// - Throws: ``CLIError`` naming the program when the blob is missing, damaged or its info does not decode.
    static func artifact(_ digest: String, of record: CompiledProgramRecord, store: Store) throws -> FinetuneArtifact {
        let blob: AdapterBlob?
        do { blob = try store.adapter(digest: digest) } catch {
            throw CLIError("the compiled program \(record.program) cannot use its adapter: \(error)")
        }
        guard let blob else {
            throw CLIError("the compiled program \(record.program) (\(record.fingerprint.prefix(12))) uses adapter \(digest.prefix(12)), "
                + "which is not in the store; recompile it with `dspyc compile \(record.program) --force`")
        }
        let info: FinetuneInfo
        do { info = try JSONDecoder().decode(FinetuneInfo.self, from: Data(blob.info.utf8)) } catch {
            throw CLIError("the compiled program \(record.program): the training info of adapter \(digest.prefix(12)) does not decode: \(error)")
        }
        return FinetuneArtifact(data: Array(blob.bytes), digest: digest, format: blob.format, info: info)
    }

    /// Gives each fine-tuned predictor of `program` (the state of `record`) its model with the
    /// stored adapter applied, answering through the session's cache.
    ///
    /// - Throws: ``CLIError`` naming the program when an adapter is missing or damaged, or the
    ///   session's model cannot apply adapters (a remote model).
    static func attach(to program: any Program, record: CompiledProgramRecord?, session: ProgramSession) async throws {
        guard let record else { return }
        let digests = try digests(in: record)
        guard !digests.isEmpty else { return }
        guard let trainer = FinetunedLM.trainer(behind: session.lm)?.trainer else {
            throw CLIError("\(record.program) was fine-tuned on the embedded model; \(session.lm.modelIdentifier) cannot apply its adapter")
        }
        let predictors = Dictionary(program.namedPredictors().map { ($0.name, $0.predictor) }, uniquingKeysWith: { a, _ in a })
        var loaded: [String: FinetunedLM] = [:]
        for (name, digest) in digests {
            guard let predictor = predictors[name] else {
                throw CLIError("the compiled program \(record.program) has an adapter for predictor '\(name)', which the program does not have")
            }
            if loaded[digest] == nil {
                let artifact = try artifact(digest, of: record, store: session.store)
                var tuned: FinetunedLM
                do { tuned = try await trainer.applying(artifact) } catch {
                    throw CLIError("the compiled program \(record.program) cannot apply its adapter \(digest.prefix(12)): \(error)")
                }
                if session.useCache { tuned = tuned.cached(session.recorder) }
                loaded[digest] = tuned
                Log.status("adapter \(digest.prefix(12)) (rank \(artifact.info.rank), \(ProgressBar.byteText(Double(artifact.data.count)))) "
                    + "applied to \(name)")
            }
            predictor.lm = loaded[digest]
        }
    }
}

/// One adapter's training, as the compile summary shows it.
struct TrainingSummary: Codable {
    var digest: String
    var bytes: Int
    var info: FinetuneInfo

    init(_ artifact: FinetuneArtifact) {
        digest = artifact.digest
        bytes = artifact.data.count
        info = artifact.info
    }

    var text: String {
        "adapter \(digest.prefix(12)): rank \(info.rank), alpha \(pythonFloatText(info.alpha)), \(info.rows) rows, "
            + "\(info.steps) steps, \(info.tokens) tokens, "
            + (info.finalLoss.map { String(format: "final loss %.4f", $0) } ?? "no loss")
            + String(format: ", %.1f s", info.wallSeconds)
    }
}

/// Draws training progress (steps, loss, tokens/s, ETA) on standard error.
final class TrainingProgressReporter: @unchecked Sendable {
    private let lock = NSLock()
    private var bar: ProgressBar?

    func report(_ progress: FinetuneProgress) {
        lock.withLock {
            if bar == nil {
                bar = ProgressBar(title: "Training", total: Int64(progress.totalSteps), unit: .items("steps"),
                                  write: { Log.write($0) })
            }
            let loss = progress.loss.map { String(format: "loss %.4f", $0) } ?? "loss ?"
            var detail = loss + String(format: ", %.0f tokens/s", progress.tokensPerSecond)
            if let remaining = progress.remainingSeconds, remaining.isFinite {
                let whole = Int(remaining.rounded())
                detail += ", ETA " + (whole >= 60 ? "\(whole / 60)m\(whole % 60)s" : "\(whole)s")
            }
            bar?.update(completed: Int64(progress.step), detail: detail)
            if progress.step >= progress.totalSteps {
                bar?.finish(loss, elapsed: progress.elapsedSeconds)
                bar = nil
            }
        }
    }
}

extension CompiledAdapters {
    /// The file an adapter is exported to beside `program` (`prog.json` → `prog.lora.gguf`, or
    /// `prog.<predictor>.lora.gguf` when the predictors have different adapters).
    static func exportURL(beside program: URL, predictor: String?) -> URL {
        let stem = program.pathExtension.isEmpty ? program : program.deletingPathExtension()
        let name = stem.lastPathComponent + (predictor.map { ".\($0)" } ?? "") + ".lora.gguf"
        return stem.deletingLastPathComponent().appendingPathComponent(name)
    }

    /// Writes the adapters of `record` beside the exported program, one file per adapter.
    ///
    /// - Throws: ``CLIError`` naming the program when an adapter is missing or damaged, or a file cannot be written.
    static func export(_ record: CompiledProgramRecord, beside program: URL) throws {
        let digests = try digests(in: record)
        guard !digests.isEmpty else { return }
        let store = try DSPyStoreAccess.store()
        let distinct = Set(digests.map(\.digest))
        var written: Set<String> = []
        for (predictor, digest) in digests where !written.contains(digest) {
            let artifact = try artifact(digest, of: record, store: store)
            let url = exportURL(beside: program, predictor: distinct.count == 1 ? nil : predictor)
            do { try Data(artifact.data).write(to: url, options: .atomic) } catch {
                throw CLIError("cannot write the adapter of \(record.program) to \(url.path): \(error.localizedDescription)")
            }
            written.insert(digest)
            Log.status("wrote \(url.path) (\(artifact.format), rank \(artifact.info.rank); llama.cpp: --lora \(url.lastPathComponent))")
        }
    }
}

extension CompiledAdapters {
    /// `serve --program NAME`: the latest compile's adapter loaded into `model`, for every request.
    ///
    /// - Throws: ``CLIError`` naming the program when it is not compiled, not fine-tuned, has
    ///   several adapters (one per predictor), or its adapter is missing, damaged or for another model.
    static func serving(_ program: String, on model: TextModel) async throws -> AdapterID {
        let spec = try ProgramOptions.registered(program)
        let (_, found) = try DSPyStoreAccess.compiledProgram(spec, required: true)
        guard let record = found else { throw CLIError("\(program) has not been compiled yet") }
        let distinct = Array(Set(try digests(in: record).map(\.digest)))
        guard distinct.count == 1, let digest = distinct.first else {
            throw CLIError(distinct.isEmpty
                ? "\(program) was not fine-tuned (compile it with --optimizer finetune to serve its adapter)"
                : "\(program) has \(distinct.count) adapters (one per predictor); serve --program applies one to every request")
        }
        let artifact = try artifact(digest, of: record, store: try DSPyStoreAccess.store())
        let tuned: FinetunedLM
        do { tuned = try await EmbeddedLM(model: model).applying(artifact) } catch {
            throw CLIError("\(program): its adapter \(digest.prefix(12)) cannot be applied to this model: \(error)")
        }
        guard let id = (tuned.model as? EmbeddedLM)?.adapter?.id else {
            throw CLIError("\(program): its adapter \(digest.prefix(12)) was not loaded")
        }
        Log.status("serving \(program)'s adapter \(digest.prefix(12)) (rank \(artifact.info.rank)) on every request")
        return id
    }
}
