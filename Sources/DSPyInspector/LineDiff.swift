/// A line diff (a shortest edit script, from `difference(from:)`) rendered as unified-diff hunks.
enum LineDiff {
    enum Operation: Equatable {
        case same(String)
        case removed(String)
        case added(String)
    }

    /// The edit script turning `old` into `new`.
    static func operations(_ old: [String], _ new: [String]) -> [Operation] {
        // Trim the common prefix and suffix; prompts of two runs share most lines.
        var prefix = 0
        while prefix < old.count, prefix < new.count, old[prefix] == new[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < old.count - prefix, suffix < new.count - prefix,
            old[old.count - 1 - suffix] == new[new.count - 1 - suffix]
        {
            suffix += 1
        }
        let a = Array(old[prefix..<(old.count - suffix)])
        let b = Array(new[prefix..<(new.count - suffix)])

        // The standard library's Myers difference: O((n + m) · d) time for d changed lines,
        // so long prompts with few changes stay cheap and nothing is too large to diff.
        let difference = b.difference(from: a)
        var removed = Set<Int>()
        var inserted = Set<Int>()
        for change in difference {
            switch change {
            case .remove(let offset, _, _): removed.insert(offset)
            case .insert(let offset, _, _): inserted.insert(offset)
            }
        }
        // Unchanged lines of `a` pair up in order with the lines of `b` that were not inserted;
        // each run of changes lists its removals before its additions.
        var middle: [Operation] = []
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if i < a.count, removed.contains(i) {
                middle.append(.removed(a[i]))
                i += 1
            } else if j < b.count, inserted.contains(j) {
                middle.append(.added(b[j]))
                j += 1
            } else if i < a.count, j < b.count {
                middle.append(.same(a[i]))
                i += 1
                j += 1
            } else {
                break  // not reached: the difference accounts for every line of both sides
            }
        }
        middle += a[min(i, a.count)...].map(Operation.removed) + b[min(j, b.count)...].map(Operation.added)
        return old[..<prefix].map(Operation.same) + middle + old[(old.count - suffix)...].map(Operation.same)
    }

    /// Unified-diff hunks (`@@ -a,b +c,d @@`) with `context` lines around each change;
    /// empty when the inputs are equal.
    static func unified(_ old: [String], _ new: [String], context: Int = 3, ansi: ANSI) -> [String] {
        let ops = operations(old, new)
        let changed = ops.indices.filter { if case .same = ops[$0] { false } else { true } }
        guard !changed.isEmpty else { return [] }

        // Group changes whose context windows touch.
        var ranges: [ClosedRange<Int>] = []
        for index in changed {
            let low = max(0, index - context)
            let high = min(ops.count - 1, index + context)
            if let last = ranges.last, low <= last.upperBound + 1 {
                ranges[ranges.count - 1] = last.lowerBound...max(last.upperBound, high)
            } else {
                ranges.append(low...high)
            }
        }

        // Line numbers before each op.
        var oldLine = [Int](repeating: 0, count: ops.count + 1)
        var newLine = [Int](repeating: 0, count: ops.count + 1)
        for (index, op) in ops.enumerated() {
            oldLine[index + 1] = oldLine[index] + (isAdded(op) ? 0 : 1)
            newLine[index + 1] = newLine[index] + (isRemoved(op) ? 0 : 1)
        }

        var lines: [String] = []
        for range in ranges {
            let oldCount = oldLine[range.upperBound + 1] - oldLine[range.lowerBound]
            let newCount = newLine[range.upperBound + 1] - newLine[range.lowerBound]
            let oldStart = oldCount == 0 ? oldLine[range.lowerBound] : oldLine[range.lowerBound] + 1
            let newStart = newCount == 0 ? newLine[range.lowerBound] : newLine[range.lowerBound] + 1
            lines.append(ansi.cyan("@@ -\(oldStart),\(oldCount) +\(newStart),\(newCount) @@"))
            for op in ops[range] {
                switch op {
                case .same(let text): lines.append(" " + text)
                case .removed(let text): lines.append(ansi.red("-" + text))
                case .added(let text): lines.append(ansi.green("+" + text))
                }
            }
        }
        return lines
    }

    private static func isAdded(_ op: Operation) -> Bool {
        if case .added = op { true } else { false }
    }

    private static func isRemoved(_ op: Operation) -> Bool {
        if case .removed = op { true } else { false }
    }
}
