import DSPyUtilities
import Foundation
import Testing

/// Collects what a progress bar writes.
private final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var text: [String] = []

    func append(_ line: String) { lock.withLock { text.append(line) } }
    var all: [String] { lock.withLock { text } }
}

@Suite("A progress bar's lines in a log")
struct ProgressBarTests {
    @Test("A bar that is not on a terminal writes a line at each quarter and a closing line")
    func quartersAndClosingLine() {
        let lines = Lines()
        let bar = ProgressBar(title: "Training", total: 8, unit: .items("steps"), interactive: false, write: lines.append)
        for step in 1...8 { bar.update(completed: Int64(step), detail: "loss 0.5") }
        bar.finish("loss 0.5")
        #expect(lines.all.count == 5, "\(lines.all)")
        #expect(lines.all.last?.hasPrefix("Training: 8 steps in ") == true, "\(lines.all)")
        #expect(lines.all.last?.hasSuffix(", loss 0.5\n") == true, "\(lines.all)")
    }

    @Test("A bar created after the work began closes with the work's own duration")
    func closesWithTheWorksDuration() {
        let lines = Lines()
        let bar = ProgressBar(title: "Training", total: 1, unit: .items("steps"), interactive: false, write: lines.append)
        bar.update(completed: 1, detail: nil)
        bar.finish("loss 0.1", elapsed: 9.4)
        bar.finish("twice")
        #expect(lines.all == ["Training: 1 steps in 9.4 s, loss 0.1\n"], "\(lines.all)")
    }
}
