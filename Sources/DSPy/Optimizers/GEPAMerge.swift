import Foundation

/// GEPA's merge (system-aware crossover), as gepa's `MergeProposer` does it.
///
/// Two frontier survivors `i < j`, neither an ancestor of the other, with a common ancestor
/// whose mean is at most both of theirs, that was not tried with them before, and on which some
/// predictor differs from exactly one of the two. The merge starts from the ancestor and takes,
/// per predictor, the side that changed it (when both changed it, the side with the higher mean;
/// a coin on ties). It is scored on up to 5 validation examples stratified by which parent
/// did better and kept — then scored on the whole set — when its sum is at least both parents'.
extension GEPASearch {
    /// One merge attempt; `nil` when no merge was proposed (the iteration goes on to reflection).
    mutating func merge(_ state: inout GEPAState) async throws -> String? {
        guard let (merged, i, j, ancestor) = proposeMerge(state) else { return nil }
        mergeTriples.insert([i, j, ancestor])
        let ids = mergeSubsample(state.candidates[i].valScores, state.candidates[j].valScores)
        guard !ids.isEmpty, spend(ids.count) else { return nil }
        let sumI = ids.reduce(0) { $0 + state.candidates[i].valScores[$1] }
        let sumJ = ids.reduce(0) { $0 + state.candidates[j].valScores[$1] }
        let subsample = ids.map { valset[$0] }
        let sum = try await CompileContext.phase(.candidateEvaluation, candidate: "merge #\(i)+#\(j)") {
            try await runner.run(merged, on: subsample)
        }.runs.reduce(0) { $0 + $1.score }
        guard sum >= max(sumI, sumJ) else {
            return "merge of #\(i) and #\(j) (ancestor #\(ancestor)) rejected (\(pythonFloatText(sum)) < \(pythonFloatText(max(sumI, sumJ))))"
        }
        guard try await addFullyEvaluated(&state, merged, parents: [i, j]) else {
            notes.append("GEPA: the budget ended before an accepted merge could be scored on the validation set")
            return "merge of #\(i) and #\(j) accepted but not scored (budget)"
        }
        mergesDue -= 1
        mergesTested += 1
        mergesAccepted += 1
        return "merge of #\(i) and #\(j) (ancestor #\(ancestor)) accepted as #\(state.candidates.count - 1)"
    }

    /// The merged instructions with the pair and ancestor, or `nil` when no pair qualifies.
    mutating func proposeMerge(_ state: GEPAState) -> (instructions: [String], i: Int, j: Int, ancestor: Int)? {
        let survivors = state.dominators().survivors
        guard survivors.count >= 2, state.candidates.count >= 3 else { return nil }
        let means = state.candidates.map(\.mean)
        for _ in 0..<10 {
            guard let (i, j, ancestor) = commonAncestorPair(state, survivors, means) else { continue }
            if mergeTriples.contains([i, j, ancestor]) { continue }
            let a = state.candidates[ancestor].instructions
            let x = state.candidates[i].instructions
            let y = state.candidates[j].instructions
            var merged = a
            var description: [Int] = []
            for k in a.indices {
                if (a[k] == x[k] || a[k] == y[k]) && x[k] != y[k] {
                    let source = a[k] == x[k] ? j : i
                    merged[k] = state.candidates[source].instructions[k]
                    description.append(source)
                } else if a[k] != x[k] && a[k] != y[k] {
                    let source = means[i] > means[j] ? i : (means[j] > means[i] ? j : rng.choice([i, j]))
                    merged[k] = state.candidates[source].instructions[k]
                    description.append(source)
                } else {
                    merged[k] = x[k]
                    description.append(i)
                }
            }
            if mergeDescriptions.contains([i, j] + description) { continue }
            mergeDescriptions.insert([i, j] + description)
            return (merged, i, j, ancestor)
        }
        return nil
    }

    private mutating func commonAncestorPair(_ state: GEPAState, _ survivors: [Int], _ means: [Double]) -> (Int, Int, Int)? {
        for _ in 0..<10 {
            let pair = rng.sample(survivors, 2)
            var (i, j) = (pair[0], pair[1])
            if j < i { swap(&i, &j) }
            let ancestorsI = state.ancestors(of: i)
            let ancestorsJ = state.ancestors(of: j)
            if ancestorsI.contains(j) || ancestorsJ.contains(i) { continue }
            let common = ancestorsI.intersection(ancestorsJ).sorted().filter { a in
                !mergeTriples.contains([i, j, a]) && means[a] <= means[i] && means[a] <= means[j]
                    && state.candidates[a].instructions.indices.contains { k in
                        let (an, x, y) = (state.candidates[a].instructions[k], state.candidates[i].instructions[k],
                                          state.candidates[j].instructions[k])
                        return (an == x || an == y) && x != y
                    }
            }
            guard !common.isEmpty else { continue }
            return (i, j, weightedChoice(common, weights: common.map { means[$0] }))
        }
        return nil
    }

    /// Python's `random.choices(items, weights=…, k=1)[0]`; uniform when every weight is zero.
    private mutating func weightedChoice(_ items: [Int], weights: [Double]) -> Int {
        var cumulative: [Double] = []
        var total = 0.0
        for w in weights { total += w; cumulative.append(total) }
        guard total > 0 else { return rng.choice(items) }
        let x = rng.random() * total
        let index = cumulative.firstIndex { $0 > x } ?? (items.count - 1)
        return items[index]
    }

    /// Up to 5 validation ids, about a third each where `i` did better, where `j` did, and ties.
    mutating func mergeSubsample(_ a: [Double], _ b: [Double], count: Int = 5) -> [Int] {
        let ids = Array(a.indices)
        let buckets = [ids.filter { a[$0] > b[$0] }, ids.filter { b[$0] > a[$0] }, ids.filter { a[$0] == b[$0] }]
        let each = max(1, Int((Double(count) / 3).rounded(.up)))
        var selected: [Int] = []
        for bucket in buckets where selected.count < count {
            let available = bucket.filter { !selected.contains($0) }
            let take = min(available.count, each, count - selected.count)
            if take > 0 { selected += rng.sample(available, take) }
        }
        let remaining = count - selected.count
        if remaining > 0 {
            let unused = ids.filter { !selected.contains($0) }
            if unused.count >= remaining {
                selected += rng.sample(unused, remaining)
            } else if !ids.isEmpty {
                for _ in 0..<remaining { selected.append(ids[Int(rng.random() * Double(ids.count))]) }
            }
        }
        return Array(selected.prefix(count))
    }
}
