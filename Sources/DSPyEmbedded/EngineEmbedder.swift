import DSPy
import DSPyEngine

/// Sentence vectors from the in-process engine, for ``KNNFewShot``.
///
/// Each text's vector is the mean of the model's final hidden states over its tokens,
/// L2-normalized, so KNNFewShot's dot product is the cosine similarity. Texts are
/// embedded a window at a time so the engine batches them; order is kept.
///
/// ```swift
/// let knn = KNNFewShot(k: 4, embedder: EngineEmbedder(model: lm.model))
/// ```
///
/// Cost: one prompt evaluation per text (no generation); nothing is cached or logged.
public struct EngineEmbedder: Embedder {
    /// The loaded model.
    public let model: TextModel
    /// Texts evaluated at once.
    public var maxConcurrency: Int

    public init(model: TextModel, maxConcurrency: Int = 8) {
        self.model = model
        self.maxConcurrency = max(1, maxConcurrency)
    }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        var vectors = [[Float]](repeating: [], count: texts.count)
        var start = 0
        while start < texts.count {
            let window = start..<min(start + maxConcurrency, texts.count)
            try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
                for index in window {
                    group.addTask { [model] in (index, try await model.embed(texts[index])) }
                }
                for try await (index, vector) in group { vectors[index] = vector }
            }
            start = window.upperBound
        }
        return vectors
    }
}
