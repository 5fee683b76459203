/// Where one LoRA pair lives in the flat parameter vector.
struct TrainingLoRASlot {
    /// The base tensor name (`blk.3.attn_q.weight`).
    let name: String
    /// The base matrix's rows (B's rows) and columns (A's columns).
    let outputs: Int
    let inputs: Int
    /// Offsets of A (rank × inputs) and B (outputs × rank) in the parameter vector.
    let aOffset: Int
    let bOffset: Int
}

/// The trainable LoRA parameters of one model, with their gradients, in one flat vector.
///
/// Every pair's A then B, in block order, so the optimizer, clipping and checkpoints treat
/// all of them as one array. Which base matrices get a pair follows `LoRAConfiguration.targets`;
/// Phi-3's fused `attn_qkv` gets one pair when any of query, key or value is targeted, and its
/// fused `ffn_up` ([gate | up]) one when gate or up is.
final class LoRAParameters {
    let rank: Int
    let scale: Float
    let slots: [TrainingLoRASlot]
    /// Per block: the slot of each attention input matrix (Q, K, V or the fused one), nil when untargeted.
    let attentionSlots: [[Int?]]
    let outputSlots: [Int?]
    /// Per block: the slot of each feed-forward input matrix (gate, up, or the fused one).
    let feedForwardSlots: [[Int?]]
    let downSlots: [Int?]
    let values: ScratchBuffer<Float>
    let gradients: ScratchBuffer<Float>
    let count: Int

    /// Lays out the pairs for `weights` and initializes them as PEFT does: A uniform in
    /// ±1/√inputs (Kaiming-uniform with a = √5), B zero.
    init(weights: TrainingWeights, configuration: LoRAConfiguration, random: inout TrainingRandom) {
        rank = configuration.rank
        scale = configuration.scale
        let targets = Set(configuration.targets)
        var slots: [TrainingLoRASlot] = []
        var offset = 0
        func slot(_ matrix: FrozenMatrix, _ wanted: Bool) -> Int? {
            guard wanted else { return nil }
            let a = offset, b = offset + configuration.rank * matrix.columns
            offset = b + matrix.rows * configuration.rank
            slots.append(TrainingLoRASlot(name: matrix.name, outputs: matrix.rows, inputs: matrix.columns, aOffset: a, bOffset: b))
            return slots.count - 1
        }
        var attention: [[Int?]] = [], output: [Int?] = [], feedForward: [[Int?]] = [], down: [Int?] = []
        for layer in weights.layers {
            if layer.attentionInputs.count == 3 {
                attention.append(zip(layer.attentionInputs, [LoRATarget.query, .key, .value]).map { slot($0, targets.contains($1)) })
            } else {
                attention.append([slot(layer.attentionInputs[0], !targets.isDisjoint(with: [.query, .key, .value]))])
            }
            output.append(slot(layer.output, targets.contains(.attentionOutput)))
            if layer.feedForwardInputs.count == 2 {
                feedForward.append(zip(layer.feedForwardInputs, [LoRATarget.gate, .up]).map { slot($0, targets.contains($1)) })
            } else {
                feedForward.append([slot(layer.feedForwardInputs[0], !targets.isDisjoint(with: [.gate, .up]))])
            }
            down.append(slot(layer.down, targets.contains(.down)))
        }
        self.slots = slots
        attentionSlots = attention
        outputSlots = output
        feedForwardSlots = feedForward
        downSlots = down
        count = offset
        values = ScratchBuffer(offset)
        gradients = ScratchBuffer(offset)
        values.pointer.initialize(repeating: 0, count: values.count)
        gradients.pointer.initialize(repeating: 0, count: gradients.count)
        for slot in slots {
            let bound = 1 / Float(slot.inputs).squareRoot()
            for i in 0..<rank * slot.inputs {
                values.pointer[slot.aOffset + i] = (2 * random.nextUnitFloat() - 1) * bound
            }
        }
    }

    func a(_ slot: Int) -> UnsafeMutablePointer<Float> { values.pointer + slots[slot].aOffset }
    func b(_ slot: Int) -> UnsafeMutablePointer<Float> { values.pointer + slots[slot].bOffset }
    func gradientA(_ slot: Int) -> UnsafeMutablePointer<Float> { gradients.pointer + slots[slot].aOffset }
    func gradientB(_ slot: Int) -> UnsafeMutablePointer<Float> { gradients.pointer + slots[slot].bOffset }

    func zeroGradients() { gradients.pointer.update(repeating: 0, count: count) }

    /// The parameters as an adapter (pairs named by base tensor, A rank × inputs, B outputs × rank).
    func adapter(architecture: String, alpha: Float) throws -> LoRAAdapter {
        var pairs: [String: LoRAPair] = [:]
        for slot in slots {
            let a = Array(UnsafeBufferPointer(start: values.pointer + slot.aOffset, count: rank * slot.inputs))
            let b = Array(UnsafeBufferPointer(start: values.pointer + slot.bOffset, count: slot.outputs * rank))
            pairs[slot.name] = try LoRAPair(rank: rank, inputs: slot.inputs, outputs: slot.outputs, a: a, b: b)
        }
        return LoRAAdapter(architecture: architecture, alpha: alpha, pairs: pairs)
    }
}
