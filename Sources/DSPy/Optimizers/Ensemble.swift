import Foundation

/// Several programs answering together: DSPy's `Ensemble`.
///
/// ``combine(_:)`` returns an ``EnsembledProgram`` that runs every program
/// (or ``size`` of them, drawn with the seeded generator) concurrently and
/// reduces the predictions with ``reduce`` when given. As an ``Optimizer``
/// (the registry's `ensemble`) it runs a random search and ensembles its
/// ``size`` best candidates (default 3).
///
/// Difference from DSPy: without a `reduce`, DSPy's `Ensemble` returns the
/// list of member predictions (its `reduce_fn` is typically
/// `dspy.majority`); dspyc reduces with ``scoreVote(_:field:)`` over the last
/// output field. When the members' model reports calibrated choice scores
/// (the embedded engine on Literal, enum and bool outputs), that sums each
/// member's log-softmax and keeps the value with the largest total — a
/// confident member counts for more than a hesitant one, which ranks and
/// classifies better than counting hard labels. Without scores it is
/// `majority(_:field:normalize:)`, as in DSPy. Pass
/// `reduce: { majority($0.map(\.fields)) }` for DSPy's hard vote.
///
/// Cost: 0 calls to combine; `size` program runs per call.
public struct Ensemble: Optimizer {
    public typealias Reduce = @Sendable ([Prediction]) -> Prediction

    /// How many members each call runs (drawn with ``seed``); `nil` runs them all.
    public var size: Int?
    /// The seed of the generator that draws members.
    public var seed: Int
    /// Combines the members' predictions; `nil` uses ``scoreVote(_:field:)``.
    public var reduce: Reduce?
    /// The search used by ``compile(_:trainset:valset:)``.
    public var search: BootstrapFewShotWithRandomSearch?

    public init(size: Int? = nil, seed: Int = 0, reduce: Reduce? = nil,
                search: BootstrapFewShotWithRandomSearch? = nil) {
        self.size = size
        self.seed = seed
        self.reduce = reduce
        self.search = search
    }

    public var name: String { "ensemble" }

    /// Ensembles the given programs (DSPy's `Ensemble.compile(programs)`).
    public func combine(_ programs: [any Program]) throws -> EnsembledProgram {
        guard !programs.isEmpty else { throw OptimizerError.invalidArgument("ensemble: no programs to combine") }
        if let size, size < 1 || size > programs.count {
            throw OptimizerError.invalidArgument("ensemble: size \(size) is not within 1...\(programs.count)")
        }
        return EnsembledProgram(programs: programs, size: size, seed: seed, reduce: reduce)
    }

    public func compile(_ program: any Program, trainset: [Example], valset: [Example]?) async throws -> CompiledProgram {
        guard let search else {
            throw OptimizerError.invalidArgument("ensemble: compiling needs a metric (a random search picks the members)")
        }
        let searched = try await search.compile(program, trainset: trainset, valset: valset)
        let members = Array(searched.candidates.prefix(size ?? 3))
        let ensembled = try Ensemble(size: nil, seed: seed, reduce: reduce).combine(members.map(\.program))
        var report = searched.report
        report.optimizer = name
        report.notes.append("members: " + members.map { "\($0.label) (\(pythonFloatText($0.score)))" }.joined(separator: ", "))
        report.recordDemos(of: ensembled)
        let id = "ensemble"
        CompileTrace.candidate(id, label: "ensemble of \(members.count): " + members.map(\.label).joined(separator: ", "), program: ensembled)
        CompileTrace.choose(id, reason: "the \(members.count) best-scoring searched programs vote: "
            + members.map { "\($0.label) (\(pythonFloatText($0.score)))" }.joined(separator: ", "))
        return CompiledProgram(program: ensembled, report: report, candidates: searched.candidates)
    }
}

/// The program ``Ensemble`` builds; its predictors are `programs[i]…`, as in DSPy.
///
/// A call runs the chosen members concurrently (failed members are dropped;
/// the call fails only when all do) and returns `reduce` of their
/// predictions, or ``scoreVote(_:field:)`` over the last output field.
public final class EnsembledProgram: Program, @unchecked Sendable {
    public let programs: [any Program]
    let size: Int?
    let seed: Int
    let reduce: Ensemble.Reduce?
    private let lock = NSLock()
    private var rng: PythonRandom

    init(programs: [any Program], size: Int?, seed: Int, reduce: Ensemble.Reduce?) {
        self.programs = programs
        self.size = size
        self.seed = seed
        self.reduce = reduce
        self.rng = PythonRandom(seed: seed)
    }

    public func deepCopy() -> EnsembledProgram {
        EnsembledProgram(programs: programs.map { $0.deepCopy() }, size: size, seed: seed, reduce: reduce)
    }

    public func forward(_ inputs: JSONObject) async throws -> Prediction {
        let chosen: [any Program] = size.map { n in lock.withLock { rng.sample(programs, n) } } ?? programs
        let outcomes = try await Parallel(maxConcurrency: chosen.count, maxErrors: chosen.count)(chosen.map { ($0, inputs) })
        let predictions = outcomes.compactMap(\.prediction)
        guard !predictions.isEmpty else { throw DSPyError.module("ensemble: every member failed") }
        if let reduce { return reduce(predictions) }
        return scoreVote(predictions)
    }
}
