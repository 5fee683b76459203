import Foundation

/// Labeled examples as demos, no LM calls: DSPy's `LabeledFewShot(k)`.
///
/// `.dspy` mode reproduces DSPy exactly: each predictor in turn gets
/// `random.Random(0).sample(trainset, min(k, n))` from one shared generator
/// (or the first `k` when `sample` is false). `.stratified` mode (dspyc's
/// default) draws from ``seed`` and balances the labels, so `k` demos of a
/// two-label task hold both labels.
public struct LabeledFewShot: Optimizer {
    public var k: Int
    public var sample: Bool
    public var mode: BootstrapFewShot.Mode
    public var seed: Int
    /// The label field used for balancing; `nil` = the first label field.
    public var labelField: String?

    public init(k: Int = 16, sample: Bool = true, mode: BootstrapFewShot.Mode = .stratified, seed: Int = 0,
                labelField: String? = nil) {
        self.k = k
        self.sample = sample
        self.mode = mode
        self.seed = seed
        self.labelField = labelField
    }

    public var name: String { "labeled" }

    public func compile(_ program: any Program, trainset: [Example], valset: [Example]?) async throws -> CompiledProgram {
        let student = program.resetCopy()
        apply(to: student, trainset: trainset)
        var report = CompileReport(optimizer: name)
        report.seed = mode == .dspy ? 0 : seed
        report.recordDemos(of: student)
        return CompiledProgram(program: student, report: report)
    }

    /// Sets every predictor's demos (the program is changed in place).
    func apply(to student: any Module, trainset: [Example]) {
        guard !trainset.isEmpty else { return }
        let count = min(k, trainset.count)
        switch mode {
        case .dspy:
            var rng = PythonRandom(seed: 0)
            for p in student.predictors() {
                p.demos = sample ? rng.sample(trainset, count) : Array(trainset.prefix(count))
            }
        case .stratified:
            var rng = PythonRandom(seed: seed)
            for p in student.predictors() {
                let pool = sample ? rng.shuffled(trainset) : trainset
                p.demos = Stratifier(examples: pool, field: labelField).balancedPick(count)
            }
        }
    }
}

/// Groups examples by label for dspyc's stratified modes.
///
/// A label field counts as categorical when it has few distinct values
/// (at most 20, and at most half the examples); otherwise every example is
/// its own stratum and balancing reduces to the (seeded) order.
struct Stratifier {
    /// Strata in order of first appearance; each keeps the examples' order.
    let strata: [(label: String, members: [Int])]
    let labels: [String]
    let isCategorical: Bool

    init(examples: [Example], field: String?) {
        var labels: [String] = []
        var order: [String] = []
        var members: [String: [Int]] = [:]
        for (i, e) in examples.enumerated() {
            let label = stratumLabel(e, field: field) ?? "<none>"
            labels.append(label)
            if members[label] == nil { order.append(label) }
            members[label, default: []].append(i)
        }
        let categorical = order.count <= 20 && order.count * 2 <= max(examples.count, 2)
        self.labels = labels
        self.isCategorical = categorical
        self.strata = categorical ? order.map { ($0, members[$0]!) } : [("<all>", Array(examples.indices))]
        self.examples = examples
    }

    private let examples: [Example]

    /// The label used for balancing (`<all>` when not categorical).
    func label(of index: Int) -> String { isCategorical ? labels[index] : "<all>" }

    /// Indices interleaved round-robin over the strata: a, b, a, b, ….
    var interleaved: [Int] {
        var out: [Int] = []
        let longest = strata.map(\.members.count).max() ?? 0
        for r in 0..<longest { for s in strata where r < s.members.count { out.append(s.members[r]) } }
        return out
    }

    /// `count` examples, as balanced over labels as the data allows, interleaved.
    func balancedPick(_ count: Int) -> [Example] {
        Array(interleaved.prefix(count)).map { examples[$0] }
    }
}
