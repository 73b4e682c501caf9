import Foundation
import Tensors

/// Activations, elementwise (GEGLU halves the last axis). Forward values are the Tensors kernels'.
/// Derivatives (σ = logistic sigmoid, Φ/φ = standard normal CDF/density):
///   SiLU x·σ(x): σ(x)·(1 + x·(1 − σ(x)));  QuickGELU x·σ(1.702x): σ + 1.702·x·σ·(1 − σ) at 1.702x;
///   GELU x·Φ(x): Φ(x) + x·φ(x);  sigmoid: σ·(1 − σ).
extension Variable {
    /// SiLU / swish. x: any shape.
    public func silu() -> Variable { pointwise(value.silu(), Activation.siluDerivative) }

    /// GELU, exact erf form (PyTorch approximate="none"). x: any shape.
    public func gelu() -> Variable { pointwise(value.gelu(), Activation.geluDerivative) }

    /// QuickGELU (CLIP). x: any shape.
    public func quickGELU() -> Variable { pointwise(value.quickGELU(), Activation.quickGELUDerivative) }

    /// Logistic sigmoid. x: any shape.
    public func sigmoid() -> Variable {
        pointwise(value.sigmoid()) { x in let s = 1 / (1 + Foundation.exp(-x)); return s * (1 - s) }
    }

    /// GEGLU after its projection: x [..., 2D] = (h, gate) → h · GELU(gate) [..., D].
    /// ∂h = g · GELU(gate), ∂gate = g · h · GELU′(gate).
    public func geglu() -> Variable {
        let d2 = shape.last ?? 0, d = d2 / 2
        return Self.record(value.geglu(), inputs: [self]) { _ in
            let x = value
            return { g in
                var dx = Tensor(shape: x.shape)
                let rows = x.count / Swift.max(d2, 1)
                dx.scalars.withUnsafeMutableBufferPointer { o in
                    x.scalars.withUnsafeBufferPointer { xp in
                        g.scalars.withUnsafeBufferPointer { gp in
                            let dst = SharedFloats(base: o.baseAddress!), xs = xp.baseAddress!, gs = gp.baseAddress!
                            parallelChunks(rows, minimumPerChunk: Swift.max(1, 4096 / Swift.max(d, 1))) { range in
                                for r in range {
                                    for j in 0..<d {
                                        let h = xs[r * d2 + j], gate = xs[r * d2 + d + j], up = gs[r * d + j]
                                        dst.base[r * d2 + j] = up * Activation.gelu(gate)
                                        dst.base[r * d2 + d + j] = up * h * Activation.geluDerivative(gate)
                                    }
                                }
                            }
                        }
                    }
                }
                return [dx]
            }
        }
    }

    /// An elementwise function whose value is `y` and whose derivative at x is `derivative(x)`.
    func pointwise(_ y: Tensor, _ derivative: @escaping @Sendable (Float) -> Float) -> Variable {
        Self.record(y, inputs: [self]) { _ in
            let x = value
            return { g in [g.zipMap(x) { $0 * derivative($1) }] }
        }
    }
}

/// Scalar activation formulas shared by the backward kernels.
enum Activation {
    @Sendable static func gelu(_ x: Float) -> Float { 0.5 * x * (1 + erf(x * 0.70710678118654752)) }

    @Sendable static func geluDerivative(_ x: Float) -> Float {
        0.5 * (1 + erf(x * 0.70710678118654752)) + x * 0.3989422804014327 * exp(-0.5 * x * x)
    }

    @Sendable static func siluDerivative(_ x: Float) -> Float {
        let s = 1 / (1 + Foundation.exp(-x))
        return s * (1 + x * (1 - s))
    }

    @Sendable static func quickGELUDerivative(_ x: Float) -> Float {
        let s = 1 / (1 + exp(-1.702 * x))
        return s + 1.702 * x * s * (1 - s)
    }
}
