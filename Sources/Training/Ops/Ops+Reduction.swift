import Tensors

/// Reductions to a scalar (shape [], one value) and the losses built from them. Sums run in Double.
extension Variable {
    /// Σ of all values → []. ∂x = g everywhere.
    public func sum() -> Variable {
        let total = value.scalars.reduce(0.0) { $0 + Double($1) }, old = shape
        return Self.record(Tensor(shape: [], scalars: [Float(total)]), inputs: [self]) { _ in
            { g in [Tensor(shape: old, repeating: g.scalars[0])] }
        }
    }

    /// Mean of all values → []. ∂x = g / count.
    public func mean() -> Variable {
        let n = Swift.max(value.count, 1), old = shape
        let total = value.scalars.reduce(0.0) { $0 + Double($1) }
        return Self.record(Tensor(shape: [], scalars: [Float(total / Double(n))]), inputs: [self]) { _ in
            { g in [Tensor(shape: old, repeating: g.scalars[0] / Float(n))] }
        }
    }

    /// Mean squared error (`F.mse_loss`, reduction "mean"): mean((prediction − target)²) → [].
    /// ∂prediction = 2·(prediction − target)·g / count, ∂target its negative. Same shapes.
    public static func mseLoss(_ prediction: Variable, _ target: Variable) -> Variable {
        precondition(prediction.shape == target.shape, "mse: \(prediction.shape) vs \(target.shape)")
        let diff = prediction.value - target.value, n = Swift.max(diff.count, 1)
        let total = diff.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }
        return record(Tensor(shape: [], scalars: [Float(total / Double(n))]), inputs: [prediction, target]) { needs in
            { g in
                let d = diff * (2 * g.scalars[0] / Float(n))
                return [needs[0] ? d : nil, needs[1] ? d * -1 : nil]
            }
        }
    }

    /// Weighted mean squared error: Σ w·(prediction − target)² / Σ w → [], with constant weights w ≥ 0 of the same
    /// shape (all ones: `mseLoss`). ∂prediction = 2·w·(prediction − target)·g / Σ w, ∂target its negative.
    public static func weightedMSELoss(_ prediction: Variable, _ target: Variable, weights: Tensor) -> Variable {
        precondition(prediction.shape == target.shape && weights.shape == target.shape,
                     "weighted mse: \(prediction.shape) vs \(target.shape) vs weights \(weights.shape)")
        precondition(weights.scalars.allSatisfy { $0 >= 0 }, "weighted mse: negative weight")
        let diff = prediction.value - target.value
        let sum = weights.scalars.reduce(0.0) { $0 + Double($1) }
        // All weights zero: nothing is measured, the loss and its gradient are zero.
        let norm = sum > 0 ? sum : 1
        var total = 0.0
        for i in 0..<diff.count { total += Double(weights.scalars[i]) * Double(diff.scalars[i]) * Double(diff.scalars[i]) }
        return record(Tensor(shape: [], scalars: [Float(total / norm)]), inputs: [prediction, target]) { needs in
            { g in
                let d = diff * weights * (2 * g.scalars[0] / Float(norm))
                return [needs[0] ? d : nil, needs[1] ? d * -1 : nil]
            }
        }
    }

    /// Rows of `weight` [count, D] picked by `ids` (B sequences of T ids, each in 0..<count) → [B, T, D]
    /// (`nn.Embedding`). ∂weight adds each position's gradient to its id's row.
    public static func embedding(_ ids: [[Int]], weight: Variable) -> Variable {
        let (rows, d) = (weight.shape[0], weight.shape[1]), t = ids.first?.count ?? 0
        precondition(ids.allSatisfy { $0.count == t && $0.allSatisfy { (0..<rows).contains($0) } },
                     "embedding: ids must be \(ids.count) rows of \(t) values in 0..<\(rows)")
        var out = Tensor(shape: [ids.count, t, d])
        out.scalars.withUnsafeMutableBufferPointer { o in
            weight.value.scalars.withUnsafeBufferPointer { w in
                for (b, row) in ids.enumerated() {
                    for (i, id) in row.enumerated() { for j in 0..<d { o[(b * t + i) * d + j] = w[id * d + j] } }
                }
            }
        }
        return record(out, inputs: [weight]) { _ in
            { g in
                var dw = Tensor(shape: [rows, d])
                for (b, row) in ids.enumerated() {
                    for (i, id) in row.enumerated() { for j in 0..<d { dw.scalars[id * d + j] += g.scalars[(b * t + i) * d + j] } }
                }
                return [dw]
            }
        }
    }
}
