import Foundation
import Tensors

/// AdamW (Loshchilov & Hutter, decoupled weight decay) as `torch.optim.AdamW` steps each parameter
/// (single-tensor path, `amsgrad` off, `maximize` off).
///
/// Notation: g gradient, m/v first/second moment, t the parameter's step count (from 1), lr the step's learning
/// rate, λ weight decay, β₁ β₂ ε the usual constants. One step of a parameter p with a gradient:
///
///     p ← p·(1 − lr·λ)
///     m ← m + (1 − β₁)·(g − m)            (torch's lerp)
///     v ← β₂·v + (1 − β₂)·g²
///     p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// Parameters without a gradient at a step are skipped, their t not advanced (as torch does). Hyperparameters are
/// Double and the per-step constants (1 − lr·λ, 1 − β₁, lr/(1 − β₁ᵗ), √(1 − β₂ᵗ)) are computed in Double and
/// rounded to Float once, as torch computes them from Python floats.
public final class AdamW {
    public struct Configuration: Codable, Sendable, Equatable {
        public var learningRate = 1e-3
        public var beta1 = 0.9
        public var beta2 = 0.999
        public var eps = 1e-8
        public var weightDecay = 1e-2

        public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8,
                    weightDecay: Double = 1e-2) {
            self.learningRate = learningRate
            self.beta1 = beta1
            self.beta2 = beta2
            self.eps = eps
            self.weightDecay = weightDecay
        }

        enum CodingKeys: String, CodingKey {
            case learningRate = "learning_rate", beta1 = "beta1", beta2 = "beta2", eps, weightDecay = "weight_decay"
        }
    }

    /// The state of one parameter: moments m, v (each the parameter's size) and its step count.
    public struct State: Equatable, Sendable {
        public var step: Int
        public var m: [Float]
        public var v: [Float]
    }

    public let parameters: [(key: String, variable: Variable)]
    public var configuration: Configuration
    /// Per parameter key; a key appears after that parameter's first step.
    public internal(set) var state: [String: State] = [:]

    public init(_ parameters: [(key: String, variable: Variable)], _ configuration: Configuration = Configuration()) {
        precondition(Set(parameters.map(\.key)).count == parameters.count, "AdamW: duplicate parameter keys")
        self.parameters = parameters
        self.configuration = configuration
    }

    /// One update of every parameter that has a gradient, with `learningRate` (default: the configured one;
    /// pass `configuration.learningRate · schedule.multiplier(step)` for a schedule).
    public func step(learningRate: Double? = nil) {
        let c = configuration, lr = learningRate ?? c.learningRate
        let decay = Float(1 - lr * c.weightDecay), w1 = Float(1 - c.beta1), b2 = Float(c.beta2), w2 = Float(1 - c.beta2)
        let eps = Float(c.eps)
        for (key, variable) in parameters {
            guard let g = variable.grad else { continue }
            let n = variable.value.count
            var s = state[key] ?? State(step: 0, m: [Float](repeating: 0, count: n), v: [Float](repeating: 0, count: n))
            state[key] = nil  // unique ownership: the moment arrays update in place
            s.step += 1
            let stepSize = Float(lr / (1 - pow(c.beta1, Double(s.step))))
            let bias2Sqrt = Float((1 - pow(c.beta2, Double(s.step))).squareRoot())
            s.m.withUnsafeMutableBufferPointer { mb in
                s.v.withUnsafeMutableBufferPointer { vb in
                    variable.value.scalars.withUnsafeMutableBufferPointer { pb in
                        g.scalars.withUnsafeBufferPointer { gb in
                            let (m, v, p) = (SharedFloats(base: mb.baseAddress!), SharedFloats(base: vb.baseAddress!),
                                             SharedFloats(base: pb.baseAddress!))
                            let gp = gb.baseAddress!
                            // Elementwise, so the chunks on both cores give the serial loop's values exactly.
                            parallelChunks(n, minimumPerChunk: 1 << 15) { range in
                                let (m, v, p) = (m.base, v.base, p.base)
                                for i in range {
                                    p[i] *= decay
                                    m[i] += w1 * (gp[i] - m[i])
                                    v[i] = v[i] * b2 + w2 * gp[i] * gp[i]
                                    let denom = v[i].squareRoot() / bias2Sqrt + eps
                                    p[i] += -stepSize * m[i] / denom
                                }
                            }
                        }
                    }
                }
            }
            state[key] = s
        }
    }

    /// Clears every parameter's gradient (call before each backward).
    public func zeroGrad() { for (_, v) in parameters { v.zeroGrad() } }
}
