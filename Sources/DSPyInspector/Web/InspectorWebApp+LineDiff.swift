import Foundation

extension InspectorWebApp {
    /// A line diff of two texts (longest common subsequence), for comparing two calls' prompts.
    struct LineDiff: Sendable, Equatable {
        enum Kind: String, Sendable, Equatable, Encodable {
            case same, removed, added
        }

        struct Line: Sendable, Equatable {
            var kind: Kind
            var text: String
        }

        /// The lines of both texts in order, each kept, removed (only in the first) or added (only in the second).
        var lines: [Line]

        /// Whether both texts are equal.
        var isEmpty: Bool { lines.allSatisfy { $0.kind == .same } }

        /// Beyond this many line pairs the texts are shown whole, one after the other.
        static let cellLimit = 4_000_000

        init(_ old: String, _ new: String) {
            let a = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let b = new.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if a == b {
                lines = a.map { Line(kind: .same, text: $0) }
                return
            }
            // Common head and tail need no table.
            var head = 0
            while head < a.count, head < b.count, a[head] == b[head] { head += 1 }
            var tail = 0
            while tail < a.count - head, tail < b.count - head, a[a.count - 1 - tail] == b[b.count - 1 - tail] { tail += 1 }
            let middleA = Array(a[head..<(a.count - tail)])
            let middleB = Array(b[head..<(b.count - tail)])
            var result = a[..<head].map { Line(kind: .same, text: $0) }
            if middleA.count * middleB.count > Self.cellLimit {
                result += middleA.map { Line(kind: .removed, text: $0) }
                result += middleB.map { Line(kind: .added, text: $0) }
            } else {
                result += Self.lcs(middleA, middleB)
            }
            result += a[(a.count - tail)...].map { Line(kind: .same, text: $0) }
            lines = result
        }

        private static func lcs(_ a: [String], _ b: [String]) -> [Line] {
            let n = a.count, m = b.count
            // lengths[i][j]: LCS length of a[i...] and b[j...], in one flat array.
            var lengths = [Int](repeating: 0, count: (n + 1) * (m + 1))
            func index(_ i: Int, _ j: Int) -> Int { i * (m + 1) + j }
            for i in stride(from: n - 1, through: 0, by: -1) {
                for j in stride(from: m - 1, through: 0, by: -1) {
                    lengths[index(i, j)] = a[i] == b[j]
                        ? lengths[index(i + 1, j + 1)] + 1
                        : max(lengths[index(i + 1, j)], lengths[index(i, j + 1)])
                }
            }
            var out: [Line] = []
            var i = 0, j = 0
            while i < n, j < m {
                if a[i] == b[j] {
                    out.append(Line(kind: .same, text: a[i]))
                    i += 1
                    j += 1
                } else if lengths[index(i + 1, j)] >= lengths[index(i, j + 1)] {
                    out.append(Line(kind: .removed, text: a[i]))
                    i += 1
                } else {
                    out.append(Line(kind: .added, text: b[j]))
                    j += 1
                }
            }
            out += a[i...].map { Line(kind: .removed, text: $0) }
            out += b[j...].map { Line(kind: .added, text: $0) }
            return out
        }
    }
}
