import Foundation
import Testing
import Tensors
@testable import Training

/// Gradient checks against central finite differences, robust in Float32.
///
/// The checked function is scalarised as L(x) = Σ f(x) ⊙ r with a fixed random r (backward seeded with r), and L is
/// summed in Double. Two kinds of comparison, per input:
/// - directional: for two random unit directions u, (L(x⁺) − L(x⁻)) against Σ ∂L/∂x ⊙ (x⁺ − x⁻), with
///   x± = x ± h·u rounded to Float32 (the difference actually applied, so input rounding does not count as error);
///   error relative to the larger of the two magnitudes and of a typical projection ‖∂L/∂x‖·‖x⁺ − x⁻‖/√n (a
///   random direction can nearly cancel, leaving a tiny derivative that no finite difference resolves).
/// - entrywise: the largest-|∂L/∂x| entry and three random ones, perturbed by ±h alone; error relative to max |∂L/∂x|.
/// With h = 1e-2 the O(h²) truncation and the Float32 rounding of L (≈1e-7·√outputs / 2h) both stay near 1e-4.
struct GradCheck {
    static let h: Float = 1e-2

    /// Worst errors seen over every input: (directional relative, entrywise relative to max |grad|).
    var directional = 0.0, entrywise = 0.0

    @discardableResult
    static func run(_ name: String, _ inputs: [Tensor], trainable: [Bool]? = nil, seed: UInt64 = 1,
                    tolerance: Double = 1e-3, h: Float = GradCheck.h, sourceLocation: SourceLocation = #_sourceLocation,
                    _ f: ([Variable]) -> Variable) -> GradCheck {
        let trainable = trainable ?? inputs.map { _ in true }
        let vars = zip(inputs, trainable).map { Variable($0, requiresGrad: $1) }
        let out = f(vars)
        var rng = TrainingRandom(seed: seed, stream: 99)
        let r = rng.normal(out.shape)
        out.backward(seed: r)

        func loss(_ xs: [Tensor]) -> Double {
            let y = GradMode.withoutGradients { f(xs.map { Variable($0) }) }.value
            return zip(y.scalars, r.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }

        var result = GradCheck()
        for (i, x) in inputs.enumerated() where trainable[i] {
            guard let g = vars[i].grad else {
                Issue.record("\(name): input \(i) got no gradient", sourceLocation: sourceLocation)
                continue
            }
            #expect(g.shape == x.shape, "\(name): gradient shape \(g.shape) for input \(x.shape)", sourceLocation: sourceLocation)
            // Directional derivatives.
            let gnorm = g.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            for d in 0..<2 {
                var u = rng.normal(x.shape)
                let norm = u.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
                u = u * Float(1 / Swift.max(norm, 1e-30))
                var plus = inputs, minus = inputs
                plus[i] = x + u * h
                minus[i] = x - u * h
                let numeric = loss(plus) - loss(minus)
                var analytic = 0.0
                for j in 0..<x.count { analytic += Double(g.scalars[j]) * (Double(plus[i].scalars[j]) - Double(minus[i].scalars[j])) }
                // A random projection of g is typically ‖g‖·‖δ‖/√n; cancellation can make this one far smaller.
                let typical = gnorm * 2 * Double(h) / Double(x.count).squareRoot()
                let err = abs(numeric - analytic) / Swift.max(abs(numeric), abs(analytic), typical, 1e-12)
                result.directional = Swift.max(result.directional, err)
                #expect(err <= tolerance, "\(name): input \(i) direction \(d): numeric \(numeric) vs analytic \(analytic) (rel \(err))",
                        sourceLocation: sourceLocation)
            }
            // Single entries.
            let gmax = g.scalars.reduce(0) { Swift.max($0, abs($1)) }
            let biggest = g.scalars.indices.max { abs(g.scalars[$0]) < abs(g.scalars[$1]) } ?? 0
            let picks = [biggest] + (0..<3).map { _ in Int(rng.next() % UInt64(x.count)) }
            for j in picks {
                var plus = inputs, minus = inputs
                plus[i].scalars[j] += h
                minus[i].scalars[j] -= h
                let step = Double(plus[i].scalars[j]) - Double(minus[i].scalars[j])
                let numeric = (loss(plus) - loss(minus)) / step
                let err = abs(numeric - Double(g.scalars[j])) / Swift.max(Double(gmax), 1e-12)
                result.entrywise = Swift.max(result.entrywise, err)
                #expect(err <= tolerance, "\(name): input \(i) entry \(j): numeric \(numeric) vs analytic \(g.scalars[j]) (max |g| \(gmax))",
                        sourceLocation: sourceLocation)
            }
        }
        print("gradcheck \(name): directional rel err \(String(format: "%.2e", result.directional)), "
              + "entrywise err/max|g| \(String(format: "%.2e", result.entrywise))")
        return result
    }
}

extension GradCheck {
    /// Directional check of a whole model's parameter gradients at once: L = Σ f() ⊙ r, perturbing every
    /// variable in `parameters` together along two random joint unit directions (error measured as in `run`).
    @discardableResult
    static func runParameters(_ name: String, _ parameters: [Variable], seed: UInt64 = 1, tolerance: Double = 1e-3,
                              sourceLocation: SourceLocation = #_sourceLocation, _ f: () -> Variable) -> Double {
        for p in parameters { p.zeroGrad() }
        let out = f()
        var rng = TrainingRandom(seed: seed, stream: 98)
        let r = rng.normal(out.shape)
        out.backward(seed: r)
        let grads = parameters.map { $0.grad ?? Tensor(shape: $0.shape) }
        let saved = parameters.map(\.value)
        func loss() -> Double {
            let y = GradMode.withoutGradients { f() }.value
            return zip(y.scalars, r.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        let total = grads.reduce(0) { $0 + $1.count }
        let gnorm = grads.reduce(0.0) { $0 + $1.scalars.reduce(0.0) { $0 + Double($1) * Double($1) } }.squareRoot()
        var worst = 0.0
        for d in 0..<2 {
            let directions = parameters.map { rng.normal($0.shape) }
            let norm = directions.reduce(0.0) { $0 + $1.scalars.reduce(0.0) { $0 + Double($1) * Double($1) } }.squareRoot()
            var analytic = 0.0
            let plus = zip(saved, directions).map { $0 + $1 * Float(Double(h) / norm) }
            let minus = zip(saved, directions).map { $0 - $1 * Float(Double(h) / norm) }
            for i in parameters.indices {
                for j in 0..<saved[i].count {
                    analytic += Double(grads[i].scalars[j]) * (Double(plus[i].scalars[j]) - Double(minus[i].scalars[j]))
                }
            }
            for (p, v) in zip(parameters, plus) { p.value = v }
            let lp = loss()
            for (p, v) in zip(parameters, minus) { p.value = v }
            let lm = loss()
            for (p, v) in zip(parameters, saved) { p.value = v }
            let typical = gnorm * 2 * Double(h) / Double(total).squareRoot()
            let err = abs((lp - lm) - analytic) / Swift.max(abs(lp - lm), abs(analytic), typical, 1e-12)
            worst = Swift.max(worst, err)
            #expect(err <= tolerance, "\(name): direction \(d): numeric \(lp - lm) vs analytic \(analytic) (rel \(err))",
                    sourceLocation: sourceLocation)
        }
        for p in parameters { p.zeroGrad() }
        print("gradcheck \(name) (\(parameters.count) parameters jointly): directional rel err \(String(format: "%.2e", worst))")
        return worst
    }
}

/// Seeded N(0, scale²) test values.
func randn(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var rng = TrainingRandom(seed: seed)
    return rng.normal(shape, scale: scale)
}

/// Max |a − b| over all values (shapes must match).
func maxAbsDiff(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.shape == b.shape, "maxAbsDiff: \(a.shape) vs \(b.shape)")
    return zip(a.scalars, b.scalars).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) }
}

func maxAbs(_ a: Tensor) -> Float { a.scalars.reduce(0) { Swift.max($0, abs($1)) } }
