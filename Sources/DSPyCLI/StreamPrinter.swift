import DSPy
import Foundation

/// Prints a program's output fields while they decode (`dspyc run --stream`).
///
/// Text mode writes `field: ` when a field starts (`predictor.field: ` when the
/// program has several predictors), its text as it arrives, and a newline after
/// its last chunk; fields that did not stream are printed from the final
/// prediction afterwards. JSON mode writes one object per chunk
/// (`{"predictor", "field", "text", "is_last"}`), then the caller prints the result.
final class StreamPrinter: @unchecked Sendable {
    let json: Bool
    let multiplePredictors: Bool
    /// The fields printed while streaming (text mode), so they are not printed twice.
    private(set) var printed: Set<String> = []
    private var open: (predictor: String, field: String)?

    init(json: Bool, multiplePredictors: Bool) {
        self.json = json
        self.multiplePredictors = multiplePredictors
    }

    /// Runs `program` on `inputs` through its stream, printing chunks; returns the final prediction.
    func run(_ program: any Program, _ inputs: JSONObject) async throws -> Prediction {
        var final: Prediction?
        for try await event in program.stream(inputs) {
            switch event {
            case .chunk(let chunk): show(chunk)
            case .prediction(let prediction): final = prediction
            }
        }
        if open != nil { write("\n") }
        guard let final else { throw CLIError("the program's stream ended without a prediction") }
        return final
    }

    private func show(_ chunk: StreamChunk) {
        if json {
            let object: JSONObject = [
                "predictor": .string(chunk.predictor), "field": .string(chunk.field), "text": .string(chunk.text),
                "is_last": .bool(chunk.isLast),
            ]
            write(JSONValue.object(object).pythonJSON() + "\n")
            return
        }
        if open.map({ $0.predictor != chunk.predictor || $0.field != chunk.field }) ?? true {
            if open != nil { write("\n") }
            write((multiplePredictors ? "\(chunk.predictor)." : "") + "\(chunk.field): ")
            open = (chunk.predictor, chunk.field)
        }
        write(chunk.text)
        if chunk.isLast {
            write("\n")
            open = nil
            printed.insert(chunk.field)
        }
    }

    private func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
