import Foundation

extension InspectorWebApp {
    /// Two texts compared line by line, for the compare page: the module's
    /// ``LineDiff`` edit script (the one `dspyc inspect diff` prints), kept as lines.
    struct TextDiff: Sendable, Equatable {
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

        init(_ old: String, _ new: String) {
            let a = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let b = new.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            lines = LineDiff.operations(a, b).map { operation in
                switch operation {
                case .same(let text): Line(kind: .same, text: text)
                case .removed(let text): Line(kind: .removed, text: text)
                case .added(let text): Line(kind: .added, text: text)
                }
            }
        }
    }
}
