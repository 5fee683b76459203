import Foundation

/// Turns texts into vectors for nearest-neighbour demo selection.
///
/// The embedded engine provides mean-pooled hidden states; tests use a fake.
/// Vectors are compared by dot product (normalise them if cosine is wanted).
public protocol Embedder: Sendable {
    /// One vector per text, all of the same length.
    func embed(_ texts: [String]) async throws -> [[Float]]
}

/// Demos chosen per input from its nearest training examples: DSPy's `KNNFewShot`.
///
/// Training examples are embedded once at compile time as DSPy's `KNN` does
/// (`"key: value | key: value"` over the input fields). Each call of the
/// compiled program embeds its inputs the same way, takes the ``k`` most
/// similar examples (dot product), runs ``BootstrapFewShot`` on them (teacher
/// runs hit the cache after the first time) and answers with the result.
///
/// Cost: `|trainset|` embeddings at compile time; per call one embedding,
/// up to `k` teacher runs and the call itself. The compiled program's
/// predictors are under `student.` (it wraps the student).
public struct KNNFewShot: Optimizer {
    public var k: Int
    public var embedder: any Embedder
    public var bootstrap: BootstrapFewShot

    public init(k: Int, embedder: any Embedder, bootstrap: BootstrapFewShot = BootstrapFewShot()) {
        self.k = k
        self.embedder = embedder
        self.bootstrap = bootstrap
    }

    public var name: String { "knn" }

    public func compile(_ program: any Program, trainset: [Example], valset: [Example]?) async throws -> CompiledProgram {
        guard k > 0 else { throw OptimizerError.invalidArgument("knn: k must be positive") }
        let texts = try trainset.map { try KNNProgram.text(of: try $0.inputs().fields) }
        let vectors = texts.isEmpty ? [] : try await embedder.embed(texts)
        guard vectors.count == trainset.count else {
            throw OptimizerError.invalidArgument("knn: the embedder returned \(vectors.count) vectors for \(trainset.count) texts")
        }
        let compiled = KNNProgram(student: program.resetCopy(), trainset: trainset, vectors: vectors, k: k,
                                  embedder: embedder, bootstrap: bootstrap)
        var report = CompileReport(optimizer: name)
        report.notes.append("\(trainset.count) training examples embedded; demos are chosen per call from the \(k) nearest")
        let id = "knn k=\(k)"
        CompileTrace.candidate(id, label: "demos bootstrapped per call from the \(k) nearest of \(trainset.count) training examples",
                               program: compiled)
        CompileTrace.choose(id, reason: "knn has one candidate: its demos are chosen per call, at evaluation (the bootstrap phase of each call)")
        return CompiledProgram(program: compiled, report: report)
    }
}

/// The program ``KNNFewShot`` returns: bootstraps on the nearest examples at every call.
public final class KNNProgram: Program, @unchecked Sendable {
    public let student: any Program
    let trainset: [Example]
    let vectors: [[Float]]
    let k: Int
    let embedder: any Embedder
    let bootstrap: BootstrapFewShot

    init(student: any Program, trainset: [Example], vectors: [[Float]], k: Int, embedder: any Embedder,
         bootstrap: BootstrapFewShot) {
        self.student = student
        self.trainset = trainset
        self.vectors = vectors
        self.k = k
        self.embedder = embedder
        self.bootstrap = bootstrap
    }

    public func deepCopy() -> KNNProgram {
        KNNProgram(student: student.deepCopy(), trainset: trainset, vectors: vectors, k: k, embedder: embedder,
                   bootstrap: bootstrap)
    }

    /// DSPy's KNN text: `key: value | key: value` over the input fields.
    static func text(of inputs: JSONObject) throws -> String {
        inputs.map { "\($0.key): \($0.value.pythonStr)" }.joined(separator: " | ")
    }

    /// The `k` training examples nearest to `inputs`, most similar first.
    public func neighbours(of inputs: JSONObject) async throws -> [Example] {
        let keys = trainset.first?.inputKeys ?? Array(inputs.keys)
        let query = JSONObject(keys.compactMap { key in inputs[key].map { (key, $0) } })
        guard let q = try await embedder.embed([try Self.text(of: query)]).first else { return [] }
        let scores = vectors.map { v in zip(v, q).reduce(Float(0)) { $0 + $1.0 * $1.1 } }
        // Highest first; ties keep the later index first, as numpy's argsort()[-k:][::-1] does.
        let order = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 > $1 }
        return order.prefix(k).map { trainset[$0] }
    }

    public func forward(_ inputs: JSONObject) async throws -> Prediction {
        let nearest = try await neighbours(of: inputs)
        let compiled = try await bootstrap.run(student, trainset: nearest).student
        return try await compiled.forward(inputs)
    }
}
