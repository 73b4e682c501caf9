import Tensors

/// Gradient-norm clipping as `torch.nn.utils.clip_grad_norm_` (L2): the total norm ‖(‖g₁‖, ‖g₂‖, …)‖₂ over every
/// gradient, then every gradient times min(1, maxNorm / (total + 1e-6)). Variables without a gradient are skipped.
/// Returns the total norm before clipping (norms summed in Double).
@discardableResult
public func clipGradientNorm(_ variables: [Variable], maxNorm: Float) -> Float {
    var sumSquares = 0.0
    for v in variables {
        guard let g = v.grad else { continue }
        var s = 0.0
        for x in g.scalars { s += Double(x) * Double(x) }
        let norm = Float(s.squareRoot())  // each tensor's norm in float32, as torch's per-tensor norms
        sumSquares += Double(norm) * Double(norm)
    }
    let total = Float(sumSquares.squareRoot())
    let coefficient = min(maxNorm / (total + 1e-6), 1)
    for v in variables {
        guard var g = v.grad else { continue }
        v.grad = nil
        g.scalars.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] *= coefficient } }
        v.grad = g
    }
    return total
}
