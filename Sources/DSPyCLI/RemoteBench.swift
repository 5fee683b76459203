import DSPy
import Foundation

/// `dspyc bench --endpoint`: what can be measured of a remote model from outside —
/// requests per second, completion tokens per second, and how both scale with
/// concurrent clients (for each client count, every client sends its requests one
/// after another, all clients at once; the figures are aggregates over the wall time).
///
/// Prompts differ per request (a numbered topic) so a server's prompt cache cannot
/// answer one from another; sampling is greedy with `max_tokens` = `--generate`, and
/// token counts are the server's `usage` (a completion that stops early counts less).
struct RemoteBench {
    var lm: OpenAICompatibleLM
    var clients: [Int]
    var requestsPerClient: Int
    var generatedTokens: Int

    /// One client count's figures.
    struct Row: Codable {
        var clients: Int
        var requests: Int
        var completionTokens: Int
        var promptTokens: Int
        var wallSeconds: Double
        var requestsPerSecond: Double
        var completionTokensPerSecond: Double
        /// Mean seconds per request as a client saw it.
        var meanLatencySeconds: Double
    }

    /// The report: the model, then one row per client count.
    struct Report: Codable {
        var model: String
        var rows: [Row]
    }

    /// Measures every client count in turn, after one warm-up request.
    func run(progress: (String) -> Void) async throws -> Report {
        progress("warm-up request to \(lm.modelIdentifier)")
        _ = try await lm.complete(request(0))
        var rows: [Row] = []
        for count in clients {
            progress("\(count) concurrent client(s), \(requestsPerClient) request(s) each")
            rows.append(try await measure(clients: count))
        }
        return Report(model: lm.modelIdentifier, rows: rows)
    }

    func request(_ index: Int) -> LMRequest {
        let topics = ["a lighthouse", "a mountain village", "the first snow", "a lost key", "an old clock",
                      "a river at night", "a busy market", "a quiet library"]
        let topic = topics[index % topics.count]
        return LMRequest(
            messages: [.user("Request \(index): write a long, detailed story about \(topic).")],
            parameters: SamplingParameters(temperature: 0, maxTokens: generatedTokens))
    }

    private func measure(clients count: Int) async throws -> Row {
        let clock = ContinuousClock()
        let start = clock.now
        let perRequest = requestsPerClient
        let results = try await withThrowingTaskGroup(of: [(TokenUsage, Double)].self) { group in
            for client in 0..<count {
                group.addTask { [self] in
                    var out: [(TokenUsage, Double)] = []
                    for r in 0..<perRequest {
                        let response = try await lm.complete(request(1 + client * perRequest + r))
                        out.append((response.usage, response.latency.seconds))
                    }
                    return out
                }
            }
            var all: [(TokenUsage, Double)] = []
            for try await part in group { all += part }
            return all
        }
        let wall = (clock.now - start).seconds
        let completion = results.reduce(0) { $0 + $1.0.completionTokens }
        return Row(
            clients: count, requests: results.count, completionTokens: completion,
            promptTokens: results.reduce(0) { $0 + $1.0.promptTokens }, wallSeconds: wall,
            requestsPerSecond: Double(results.count) / wall, completionTokensPerSecond: Double(completion) / wall,
            meanLatencySeconds: results.reduce(0) { $0 + $1.1 } / Double(max(1, results.count)))
    }

    /// The table `dspyc bench --endpoint` prints.
    static func render(_ report: Report) -> String {
        let table = TextTable(header: ["CLIENTS", "REQUESTS", "REQ/S", "COMPLETION t/s", "MEAN LATENCY s", "VS 1 CLIENT"])
        let single = report.rows.first { $0.clients == 1 }?.completionTokensPerSecond
        for row in report.rows {
            table.add([String(row.clients), String(row.requests), String(format: "%.2f", row.requestsPerSecond),
                       String(format: "%.1f", row.completionTokensPerSecond), String(format: "%.2f", row.meanLatencySeconds),
                       single.map { String(format: "%.2f×", row.completionTokensPerSecond / $0) } ?? "-"])
        }
        return "model: \(report.model)\n" + table.render()
    }
}
