import DSPyStore
import Foundation

// How a compile's training shows: the work of a phase without LM calls (a fine-tuning job,
// ``PhaseWorkRecord``) and the adapter of a fine-tuned candidate, as text and as JSON, for
// the terminal tables and the run page alike.

extension CompileStoryReport {
    /// `0.6931`, or `0.6931 / 0.7120` for several jobs; `–` without a loss.
    static func lossText(_ losses: [Double]) -> String {
        losses.isEmpty ? "–" : losses.map { String(format: "%.4f", $0) }.joined(separator: " / ")
    }

    /// `16`, `0.5`: a setting as its user wrote it.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e12 ? String(Int(value)) : String(format: "%g", value)
    }

    /// One job: `adapter 1a2b3c4d5e6f (rank 2, alpha 4) for finetune: 4 rows, 4 steps, 812 tokens,
    /// final loss 0.6931, 1.20 s`.
    static func workText(_ work: PhaseWorkRecord) -> String {
        var head = work.adapterDigest.map { "adapter \($0.prefix(12))" } ?? "work"
        if let rank = work.adapterRank, let alpha = work.adapterAlpha { head += " (rank \(rank), alpha \(number(alpha)))" }
        if let candidate = work.candidate { head += " for \(candidate)" }
        return head + ": \(RunsReport.grouped(work.rows)) rows, \(RunsReport.grouped(work.steps)) steps, "
            + "\(RunsReport.grouped(work.tokens)) tokens, "
            + (work.finalLoss.map { "final loss " + String(format: "%.4f", $0) } ?? "no loss") + ", "
            + RunsReport.seconds(work.wallTime)
    }

    /// `1a2b3c4d5e6f (rank 2, alpha 4): 4 rows, 4 steps, 812 tokens, final loss 0.6931`.
    static func adapterText(_ adapter: CompileCandidateRecord.Adapter) -> String {
        var text = String(adapter.digest.prefix(12))
        var shape: [String] = []
        if let rank = adapter.rank { shape.append("rank \(rank)") }
        if let alpha = adapter.alpha { shape.append("alpha \(number(alpha))") }
        if !shape.isEmpty { text += " (" + shape.joined(separator: ", ") + ")" }
        var training: [String] = []
        if let rows = adapter.rows { training.append("\(RunsReport.grouped(rows)) rows") }
        if let steps = adapter.steps { training.append("\(RunsReport.grouped(steps)) steps") }
        if let tokens = adapter.tokens { training.append("\(RunsReport.grouped(tokens)) tokens") }
        if let loss = adapter.finalLoss { training.append("final loss " + String(format: "%.4f", loss)) }
        return training.isEmpty ? text : text + ": " + training.joined(separator: ", ")
    }

    /// The ADAPTER cell of a candidate: the digest prefix, with the predictor's path when
    /// the program has several; empty for a candidate that was not fine-tuned.
    static func adapterCell(_ c: CompileCandidateRecord) -> String {
        let adapters = c.adapters
        if adapters.count == 1 { return String(adapters[0].adapter.digest.prefix(12)) }
        return adapters.map { "\($0.path):\($0.adapter.digest.prefix(12))" }.joined(separator: " ")
    }

    /// One job as JSON.
    static func workJSON(_ work: PhaseWorkRecord) -> StoredJSON {
        var object: [String: StoredJSON] = [
            "candidate": work.candidate.map(StoredJSON.string) ?? .null,
            "started_at": .string(ISO8601DateFormatter().string(from: work.startedAt)),
            "wall_time_s": .double(work.wallTime), "tokens": .int(work.tokens), "steps": .int(work.steps),
            "rows": .int(work.rows), "final_loss": work.finalLoss.map(StoredJSON.double) ?? .null,
        ]
        if let digest = work.adapterDigest {
            object["adapter"] = .object([
                "digest": .string(digest), "rank": work.adapterRank.map(StoredJSON.int) ?? .null,
                "alpha": work.adapterAlpha.map(StoredJSON.double) ?? .null,
            ])
        }
        return .object(object)
    }

    /// An adapter as JSON.
    static func adapterJSON(_ adapter: CompileCandidateRecord.Adapter) -> StoredJSON {
        .object([
            "digest": .string(adapter.digest), "base_model": adapter.baseModel.map(StoredJSON.string) ?? .null,
            "rank": adapter.rank.map(StoredJSON.int) ?? .null, "alpha": adapter.alpha.map(StoredJSON.double) ?? .null,
            "rows": adapter.rows.map(StoredJSON.int) ?? .null, "steps": adapter.steps.map(StoredJSON.int) ?? .null,
            "tokens": adapter.tokens.map(StoredJSON.int) ?? .null,
            "final_loss": adapter.finalLoss.map(StoredJSON.double) ?? .null,
        ])
    }
}
