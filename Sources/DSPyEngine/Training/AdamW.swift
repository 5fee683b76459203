import Foundation

/// AdamW over the flat LoRA parameter vector, with global gradient-norm clipping and the
/// warm-up schedule.
///
/// Follows PyTorch's `AdamW` (as Hugging Face's trainer uses it): decoupled weight decay
/// `p ← p·(1 − lr·wd)`, then `p ← p − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)`.
final class AdamW {
    let count: Int
    let first: ScratchBuffer<Float>
    let second: ScratchBuffer<Float>
    /// Optimizer steps taken (t of the bias corrections).
    var steps = 0

    init(count: Int) {
        self.count = count
        first = ScratchBuffer(count)
        second = ScratchBuffer(count)
        first.pointer.initialize(repeating: 0, count: first.count)
        second.pointer.initialize(repeating: 0, count: second.count)
    }

    /// The global L2 norm of `gradients` (summed in double, in order).
    static func norm(_ gradients: UnsafePointer<Float>, count: Int) -> Double {
        var sum = 0.0
        for i in 0..<count { sum += Double(gradients[i]) * Double(gradients[i]) }
        return sum.squareRoot()
    }

    /// One update of `parameters` from `gradients` at `learningRate`, the gradients first
    /// scaled to a global norm of at most `configuration.maxGradientNorm` (PyTorch's
    /// `clip_grad_norm_`: factor max / (norm + 1e-6) when that is below 1).
    ///
    /// - Returns: the gradient norm before clipping.
    @discardableResult
    func step(
        parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, learningRate: Float,
        configuration: TrainingConfiguration
    ) -> Double {
        let norm = Self.norm(gradients, count: count)
        var clip: Float = 1
        if configuration.maxGradientNorm > 0 {
            let factor = Double(configuration.maxGradientNorm) / (norm + 1e-6)
            if factor < 1 { clip = Float(factor) }
        }
        steps += 1
        let (beta1, beta2) = (configuration.adamBeta1, configuration.adamBeta2)
        let correction1 = 1 - pow(beta1, Float(steps))
        let correction2Root = (1 - pow(beta2, Float(steps))).squareRoot()
        let stepSize = learningRate / correction1
        let decay = 1 - learningRate * configuration.weightDecay
        let epsilon = configuration.adamEpsilon
        let m = first.pointer, v = second.pointer
        for i in 0..<count {
            let g = gradients[i] * clip
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            let p = parameters[i] * decay
            parameters[i] = p - stepSize * m[i] / (v[i].squareRoot() / correction2Root + epsilon)
        }
        return norm
    }
}

/// The learning rate of each step: linear warm-up from 0 over the first ⌈warmupRatio · total⌉
/// steps (Hugging Face's `get_*_schedule_with_warmup`: step s of the warm-up gets s / warmup),
/// then constant, or cosine decay to 0 at the end.
struct LearningRateSchedule {
    let peak: Float
    let totalSteps: Int
    let warmupSteps: Int
    let kind: TrainingConfiguration.Schedule

    init(configuration: TrainingConfiguration, totalSteps: Int) {
        peak = configuration.learningRate
        self.totalSteps = totalSteps
        warmupSteps = Int((Double(configuration.warmupRatio) * Double(totalSteps)).rounded(.up))
        kind = configuration.schedule
    }

    /// The rate of step `step` (0-based).
    func rate(at step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step) / Float(max(1, warmupSteps)) }
        switch kind {
        case .constant:
            return peak
        case .cosine:
            let progress = Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
            return peak * Float(0.5 * (1 + cos(Double.pi * progress)))
        }
    }
}
