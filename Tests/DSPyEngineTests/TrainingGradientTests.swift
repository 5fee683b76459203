import DSPyTestSupport
import Foundation
import Testing

@testable import DSPyEngine

/// The training pass on the tiny random-weight models (F32) of every architecture: its LoRA
/// gradients against central finite differences of its own loss, and its loss against the
/// inference engine's logits.
@Suite("Training gradients")
struct TrainingGradientTests {
    /// A fixed sequence for a 512-token vocabulary: 16 tokens (longer than Gemma's window of 8),
    /// targets at token 3 and the last six.
    static func sequence(seed: UInt64, vocabulary: Int) -> TrainingSequence {
        var random = TrainingRandom(seed: seed)
        let tokens = (0..<16).map { _ in Int32(random.next() % UInt64(vocabulary)) }
        let mask = (0..<16).map { $0 == 3 || $0 >= 10 }
        return TrainingSequence(tokens: tokens, lossMask: mask)
    }

    /// A pass with rank-4 pairs on every linear layer, B filled with ±0.05 noise so that A gets gradients.
    static func makePass(arch: String, dropout: Float) throws -> (TrainingPass, LoRAParameters) {
        let file = try GGUFFile(contentsOf: try TinyModelFiles.file(arch: arch, quant: "f32"))
        let weights = try TrainingWeights(file: file)
        var random = TrainingRandom(seed: 7)
        let parameters = LoRAParameters(
            weights: weights, configuration: LoRAConfiguration(rank: 4, alpha: 8, dropout: dropout), random: &random)
        for slot in parameters.slots {
            for i in 0..<slot.outputs * parameters.rank {
                parameters.values.pointer[slot.bOffset + i] = (2 * random.nextUnitFloat() - 1) * 0.05
            }
        }
        let pass = TrainingPass(weights: weights, parameters: parameters, pool: WorkerPool(threads: 2), capacity: 16,
                                dropout: dropout)
        return (pass, parameters)
    }

    /// The mean loss of `sequence` (the gradient buffers it sets are ignored).
    static func meanLoss(_ pass: TrainingPass, _ sequence: TrainingSequence, key: UInt64) -> Double {
        pass.forward(sequence.tokens, passKey: key)
        let result = pass.loss(tokens: sequence.tokens, mask: sequence.lossMask, scale: 1)
        return result.sum / Double(result.count)
    }

    @Test("LoRA gradients of every target matrix equal central finite differences of the loss",
          arguments: TinyModelFiles.architectures)
    func gradientsMatchFiniteDifferences(arch: String) throws {
        // Dropout on: the masks are keyed, so the loss is the same smooth function in every evaluation.
        let (pass, parameters) = try Self.makePass(arch: arch, dropout: 0.1)
        let sequence = Self.sequence(seed: 3, vocabulary: pass.weights.configuration.vocabularySize)
        let key: UInt64 = 42
        parameters.zeroGradients()
        pass.forward(sequence.tokens, passKey: key)
        let targets = sequence.targetCount
        _ = pass.loss(tokens: sequence.tokens, mask: sequence.lossMask, scale: 1 / Float(targets))
        pass.backward(tokens: sequence.tokens.count, passKey: key)
        let analytic = Array(UnsafeBufferPointer(start: parameters.gradients.pointer, count: parameters.count))

        // ε = 1e-2 on entries of size ~0.05-0.1: the float32 loss (~6.2) is exact to ~1e-6, so the
        // difference quotient carries ~1e-4 of rounding; its truncation error is O(ε²).
        let epsilon: Float = 1e-2
        var random = TrainingRandom(seed: 11)
        var checked = 0, worst = 0.0
        for slot in parameters.slots {
            let aCount = parameters.rank * slot.inputs, bCount = slot.outputs * parameters.rank
            let entries = (0..<2).map { _ in slot.aOffset + Int(random.next() % UInt64(aCount)) }
                + (0..<2).map { _ in slot.bOffset + Int(random.next() % UInt64(bCount)) }
            for index in entries {
                let saved = parameters.values.pointer[index]
                parameters.values.pointer[index] = saved + epsilon
                let plus = Self.meanLoss(pass, sequence, key: key)
                parameters.values.pointer[index] = saved - epsilon
                let minus = Self.meanLoss(pass, sequence, key: key)
                parameters.values.pointer[index] = saved
                let numeric = (plus - minus) / Double(2 * epsilon)
                let error = abs(numeric - Double(analytic[index]))
                worst = max(worst, error / (abs(numeric) + 1e-3))
                #expect(error <= 3e-4 + 0.02 * abs(numeric),
                        "\(arch) \(slot.name) parameter \(index - slot.aOffset): analytic \(analytic[index]), numeric \(numeric)")
                checked += 1
            }
        }
        #expect(checked == 4 * parameters.slots.count)
        #expect(parameters.slots.count == pass.weights.configuration.layerCount * (arch == "phi3" ? 4 : 7))
    }

    @Test("With B at zero the training loss is the cross-entropy of the inference engine's logits",
          arguments: TinyModelFiles.architectures)
    func lossMatchesInference(arch: String) async throws {
        let url = try TinyModelFiles.file(arch: arch, quant: "f32")
        let (pass, parameters) = try Self.makePass(arch: arch, dropout: 0)
        for slot in parameters.slots {
            (parameters.values.pointer + slot.bOffset).update(repeating: 0, count: slot.outputs * parameters.rank)
        }
        let sequence = Self.sequence(seed: 5, vocabulary: pass.weights.configuration.vocabularySize)
        let trained = Self.meanLoss(pass, sequence, key: 1)

        let engine = try LanguageEngine(contentsOf: url, threads: 1)
        let evaluation = try await engine.evaluate(sequence.tokens, in: await engine.makeSequence(), logits: .all)
        var total = 0.0, count = 0
        for i in 1..<sequence.tokens.count where sequence.lossMask[i] {
            let row = try #require(evaluation.logits.row(forToken: i - 1)).map(Double.init)
            let maximum = row.max() ?? 0
            let logSum = maximum + log(row.reduce(0) { $0 + exp($1 - maximum) })
            total += logSum - row[Int(sequence.tokens[i])]
            count += 1
        }
        let inferred = total / Double(count)
        // The inference rounds keys and values to halves (and Gemma's GELU through a table of halves).
        #expect(abs(trained - inferred) <= 2e-3 * max(1, abs(inferred)), "\(arch): training \(trained), inference \(inferred)")
    }
}
