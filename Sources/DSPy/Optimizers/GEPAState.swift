import Foundation

/// The bookkeeping of a GEPA run, free of model calls so it can be tested on its own:
/// the candidate pool, per-example validation scores, the Pareto frontier, the
/// minibatch order and the `auto` budget.
///
/// The algorithm is GEPA's (Agrawal et al. 2025, "GEPA: Reflective Prompt Evolution Can
/// Outperform Reinforcement Learning") as DSPy 3.4.1 and its `gepa` package run it; this is
/// dspyc's own implementation.
public struct GEPAState: Sendable {
    /// One candidate: an instruction per predictor (in `namedPredictors()` order).
    public struct Candidate: Sendable, Hashable {
        public var instructions: [String]
        /// The candidates it came from (one for a mutation, two for a merge, none for the seed).
        public var parents: [Int]
        /// The per-example scores on the whole validation set.
        public var valScores: [Double]
        /// The next predictor the round-robin selector will mutate.
        public var nextComponent: Int

        /// The mean validation score.
        public var mean: Double { valScores.isEmpty ? 0 : valScores.reduce(0, +) / Double(valScores.count) }
    }

    public private(set) var candidates: [Candidate] = []

    public init(seed instructions: [String], valScores: [Double]) {
        candidates = [Candidate(instructions: instructions, parents: [], valScores: valScores, nextComponent: 0)]
    }

    /// Adds a fully evaluated candidate; returns its index. The child's round-robin pointer is
    /// the largest of its parents', as in gepa.
    @discardableResult
    public mutating func add(instructions: [String], parents: [Int], valScores: [Double]) -> Int {
        let pointer = parents.map { candidates[$0].nextComponent }.max() ?? 0
        candidates.append(Candidate(instructions: instructions, parents: parents, valScores: valScores, nextComponent: pointer))
        return candidates.count - 1
    }

    /// Advances a candidate's round-robin pointer and returns the component to mutate.
    public mutating func takeComponent(of index: Int) -> Int {
        let count = max(1, candidates[index].instructions.count)
        let component = candidates[index].nextComponent % count
        candidates[index].nextComponent = (component + 1) % count
        return component
    }

    /// The index of the best mean (the first on ties, as gepa's `idxmax`).
    public var bestIndex: Int {
        var best = 0
        for i in candidates.indices where candidates[i].mean > candidates[best].mean { best = i }
        return best
    }

    /// For every validation example, the candidates tied at the best score on it.
    public var fronts: [Set<Int>] {
        guard let count = candidates.first?.valScores.count else { return [] }
        return (0..<count).map { example in
            let best = candidates.map { $0.valScores[example] }.max() ?? 0
            return Set(candidates.indices.filter { candidates[$0].valScores[example] == best })
        }
    }

    /// The candidates left on the frontier once dominated ones are removed, lowest mean first.
    /// A candidate is dominated when every front it is on holds another surviving candidate.
    public func dominators() -> (survivors: [Int], fronts: [Set<Int>]) {
        let fronts = self.fronts
        var onFront: [Int] = []
        for front in fronts { for p in front.sorted() where !onFront.contains(p) { onFront.append(p) } }
        // Stable sort by mean, as Python's `sorted(key=…)`.
        let ordered = onFront.enumerated().sorted { a, b in
            candidates[a.element].mean != candidates[b.element].mean
                ? candidates[a.element].mean < candidates[b.element].mean : a.offset < b.offset
        }.map(\.element)
        var dominated = Set<Int>()
        var removed = true
        while removed {
            removed = false
            for y in ordered where !dominated.contains(y) {
                let others = Set(ordered).subtracting(dominated).subtracting([y])
                let yFronts = fronts.filter { $0.contains(y) }
                if yFronts.allSatisfy({ !$0.isDisjoint(with: others) }) {
                    dominated.insert(y)
                    removed = true
                    break
                }
            }
        }
        let survivors = ordered.filter { !dominated.contains($0) }
        return (survivors, fronts.map { $0.subtracting(dominated) })
    }

    /// GEPA's `pareto` parent selection: each surviving candidate weighted by the number of
    /// validation examples whose front it is on.
    public func selectParent(_ rng: inout PythonRandom) -> Int {
        let (_, fronts) = dominators()
        var order: [Int] = []
        var frequency: [Int: Int] = [:]
        for front in fronts {
            for p in front.sorted() {
                if frequency[p] == nil { order.append(p) }
                frequency[p, default: 0] += 1
            }
        }
        let list = order.flatMap { Array(repeating: $0, count: frequency[$0] ?? 0) }
        return list.isEmpty ? bestIndex : rng.choice(list)
    }

    /// All ancestors of a candidate.
    public func ancestors(of index: Int) -> Set<Int> {
        var found = Set<Int>()
        var stack = candidates[index].parents
        while let p = stack.popLast() {
            if found.insert(p).inserted { stack += candidates[p].parents }
        }
        return found
    }
}

/// GEPA's epoch-shuffled minibatches: every epoch the train ids are shuffled (seeded) and padded
/// to a multiple of the minibatch size with the least-used ids; iteration `i` takes slice `i`.
public struct GEPABatchSampler: Sendable {
    public let minibatchSize: Int
    public let trainCount: Int
    private var shuffled: [Int] = []
    private var epoch = -1

    public init(minibatchSize: Int, trainCount: Int) {
        self.minibatchSize = max(1, minibatchSize)
        self.trainCount = trainCount
    }

    /// The ids for iteration `iteration` (0-based).
    public mutating func ids(iteration: Int, rng: inout PythonRandom) -> [Int] {
        guard trainCount > 0 else { return [] }
        let base = iteration * minibatchSize
        let current = epoch == -1 ? 0 : base / max(shuffled.count, 1)
        if shuffled.isEmpty || current > epoch {
            epoch = current
            shuffled = Array(0..<trainCount)
            rng.shuffle(&shuffled)
            var uses = [Int](repeating: 1, count: trainCount)
            let remainder = trainCount % minibatchSize
            if remainder != 0 {
                for _ in 0..<(minibatchSize - remainder) {
                    // The least-used id; among equals the one latest in the shuffle (Counter order reversed).
                    let order = shuffled.prefix(trainCount)
                    var pick = order[order.count - 1]
                    for id in order.reversed() where uses[id] < uses[pick] { pick = id }
                    shuffled.append(pick)
                    uses[pick] += 1
                }
            }
        }
        let start = base % shuffled.count
        return Array(shuffled[start..<(start + minibatchSize)])
    }
}

/// GEPA's `auto` budgets.
public enum GEPABudget: String, Sendable, CaseIterable {
    case light, medium, heavy

    /// The candidate count DSPy plans with: 6, 12 or 18.
    public var candidates: Int {
        switch self {
        case .light: return 6
        case .medium: return 12
        case .heavy: return 18
        }
    }

    /// DSPy's `auto_budget`: with `N = ⌊max(4P·log₂n, 1.5n)⌋` trials, `V + 5n + 35N + ((N+1)//5 + 1)·V`,
    /// plus another `V` when `N < 5`.
    public func metricCalls(predictors: Int, valsetSize: Int) -> Int {
        Self.autoBudget(predictors: predictors, candidates: candidates, valsetSize: valsetSize)
    }

    static func autoBudget(predictors: Int, candidates n: Int, valsetSize v: Int,
                           minibatchSize m: Int = 35, fullEvalSteps steps: Int = 5) -> Int {
        let trials = Int(max(2 * Double(predictors * 2) * log2(Double(n)), 1.5 * Double(n)))
        var total = v + n * 5 + trials * m
        if trials == 0 { return total }
        total += ((trials + 1) / steps + 1 + (trials < steps ? 1 : 0)) * v
        return total
    }
}
