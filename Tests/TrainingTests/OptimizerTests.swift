import Foundation
import Testing
import Tensors
@testable import Training

/// AdamW, clipping and schedules against torch / diffusers trajectories (Tests/Fixtures/grads).
@Suite struct OptimizerTests {
    let file = "grads/adamw.safetensors"

    func parameters() throws -> [(key: String, variable: Variable)] {
        [("p0", Variable(try fixture(file, "p0.initial"), requiresGrad: true)),
         ("p1", Variable(try fixture(file, "p1.initial"), requiresGrad: true))]
    }

    /// Six steps of `torch.optim.AdamW(lr=1e-2)` (defaults otherwise), plain and with clip_grad_norm_(0.5) and a
    /// cosine warm-up schedule. Tolerance: 1e-6 absolute on parameters of order 1 (torch's vectorised kernels
    /// may round differently), measured below.
    @Test(arguments: ["plain", "clipped_cosine"])
    func adamWMatchesTorch(run: String) throws {
        let params = try parameters()
        let optimizer = AdamW(params, .init(learningRate: 1e-2))
        let schedule = LRSchedule.cosine(warmupSteps: 2, totalSteps: 6)
        let expectedLR = run == "plain" ? nil : try fixture(file, "\(run).lr").scalars
        var worst: Float = 0
        for i in 0..<6 {
            for (key, v) in params { v.grad = try fixture(file, "\(key).grad.\(i)") }
            var lr = 1e-2
            if run == "clipped_cosine" {
                let norm = clipGradientNorm(params.map(\.variable), maxNorm: 0.5)
                let expected = try fixture(file, "\(run).grad_norm").scalars[i]
                #expect(abs(norm - expected) <= 1e-6 * expected, "step \(i): norm \(norm) vs torch \(expected)")
                lr = 1e-2 * schedule.multiplier(step: i)
                #expect(abs(Float(lr) - expectedLR![i]) <= 1e-9, "step \(i): lr \(lr) vs \(expectedLR![i])")
            }
            optimizer.step(learningRate: lr)
            for (key, v) in params {
                let d = maxAbsDiff(v.value, try fixture(file, "\(run).\(key).\(i)"))
                worst = max(worst, d)
                #expect(d <= 1e-6, "\(run) step \(i) \(key): max |Δ| \(d)")
            }
        }
        print("AdamW \(run) vs torch: worst max |Δ| over 6 steps = \(worst)")
    }

    /// A hand-computed first step: m = 0.1·g, v = 0.001·g², bias-corrected m̂ = g, v̂ = g², so
    /// p₁ = p₀·(1 − lr·λ) − lr·g/(|g| + ε).
    @Test func firstStepByHand() {
        let p = Variable(Tensor(shape: [3], scalars: [1, -2, 0.5]), requiresGrad: true)
        p.grad = Tensor(shape: [3], scalars: [0.5, -4, 1e-3])
        let optimizer = AdamW([("p", p)], .init(learningRate: 0.1, weightDecay: 0.1))
        optimizer.step()
        let expected: [Double] = [1 * 0.99 - 0.1, -2 * 0.99 + 0.1, 0.5 * 0.99 - 0.1 * 1e-3 / (1e-3 + 1e-8)]
        for (a, e) in zip(p.value.scalars, expected) { #expect(abs(Double(a) - e) <= 1e-6) }
        #expect(optimizer.state["p"]?.step == 1)
    }

    /// A parameter large enough to be stepped on both cores (100 000 values) ends bit for bit where the same values
    /// end as 100 parameters of 1000 (each stepped serially): the update is elementwise.
    @Test func largeParametersStepLikeSmallOnes() {
        let n = 100_000, piece = 1000
        let values = (0..<n).map { Float(sin(Double($0) * 0.37)) }, grads = (0..<n).map { Float(cos(Double($0) * 0.11)) * 0.3 }
        let big = Variable(Tensor(shape: [n], scalars: values), requiresGrad: true)
        let small = (0..<(n / piece)).map { i in
            Variable(Tensor(shape: [piece], scalars: Array(values[(i * piece)..<((i + 1) * piece)])), requiresGrad: true)
        }
        let one = AdamW([("big", big)], .init(learningRate: 1e-2, weightDecay: 0.01))
        let many = AdamW(small.enumerated().map { ("p\($0.offset)", $0.element) }, .init(learningRate: 1e-2, weightDecay: 0.01))
        for step in 0..<3 {
            let g = grads.map { $0 * Float(step + 1) }
            big.grad = Tensor(shape: [n], scalars: g)
            for (i, v) in small.enumerated() { v.grad = Tensor(shape: [piece], scalars: Array(g[(i * piece)..<((i + 1) * piece)])) }
            one.step()
            many.step()
        }
        #expect(big.value.scalars == small.flatMap(\.value.scalars))
        #expect(big.value.scalars != values)
    }

    /// diffusers' schedules as LambdaLR applies them, 12 steps with warm-up 3.
    @Test func schedulesMatchDiffusers() throws {
        let constant = try fixture("grads/schedules.safetensors", "constant_warmup").scalars
        let cosine = try fixture("grads/schedules.safetensors", "cosine_warmup").scalars
        for i in 0..<12 {
            #expect(abs(Float(LRSchedule.linearWarmup(warmupSteps: 3).multiplier(step: i)) - constant[i]) <= 1e-7)
            #expect(abs(Float(LRSchedule.cosine(warmupSteps: 3, totalSteps: 12).multiplier(step: i)) - cosine[i]) <= 1e-7)
            #expect(LRSchedule.constant.multiplier(step: i) == 1)
        }
    }

    /// Clipping below the threshold leaves gradients (almost: torch also multiplies by min(1, …) = 1) unchanged.
    @Test func clippingBelowThresholdKeepsGradients() {
        let v = Variable(Tensor(shape: [2], scalars: [0, 0]), requiresGrad: true)
        v.grad = Tensor(shape: [2], scalars: [0.3, 0.4])
        let norm = clipGradientNorm([v], maxNorm: 1)
        #expect(abs(norm - 0.5) <= 1e-7 && v.grad?.scalars == [0.3, 0.4])
        _ = clipGradientNorm([v], maxNorm: 0.25)
        #expect(abs(v.grad!.scalars[0] - 0.15) <= 1e-6 && abs(v.grad!.scalars[1] - 0.2) <= 1e-6)
    }
}
