import Foundation
import Models
import Testing
import Tensors
@testable import Training

/// End-to-end training on a small random UNet: overfitting a fixed batch, and bit-identical resumption.
@Suite struct TrainingLoopTests {
    /// ᾱ_t of Stable Diffusion's scaled-linear schedule (β from 0.00085 to 0.012 over 1000 steps).
    static let alphasCumprod: [Double] = {
        let (a, b) = (0.00085.squareRoot(), 0.012.squareRoot())
        var prod = 1.0
        return (0..<1000).map { i in
            let beta = pow(a + (b - a) * Double(i) / 999, 2)
            prod *= 1 - beta
            return prod
        }
    }()

    /// x_t = √ᾱ_t·x₀ + √(1 − ᾱ_t)·ε for one timestep per batch item. x0, noise: [N, C, H, W].
    static func noisy(_ x0: Tensor, _ noise: Tensor, timesteps: [Int]) -> Tensor {
        let per = x0.count / timesteps.count
        var out = x0
        for (n, t) in timesteps.enumerated() {
            let a = Float(alphasCumprod[t].squareRoot()), s = Float((1 - alphasCumprod[t]).squareRoot())
            for i in (n * per)..<((n + 1) * per) { out.scalars[i] = a * x0.scalars[i] + s * noise.scalars[i] }
        }
        return out
    }

    static func miniUNet(seed: UInt64) throws -> (Trainable.UNet2DConditionModel, Parameters) {
        let parameters = Parameters()
        let unet = try Trainable.UNet2DConditionModel(ParameterScope(.initialize(seed: seed), into: parameters), config: miniUNetConfig())
        return (unet, parameters)
    }

    /// ε-prediction loss on one fixed batch (latents [2, 4, 8, 8], context [2, 4, 8], t = 150 and 650) with AdamW
    /// at lr 3e-3: the loss must fall by 20× within 60 steps (measured: 1.165 → 0.0154, 75×), and a second run
    /// with the same seed must give the same losses bit for bit.
    @Test func overfitsFixedBatch() throws {
        let x0 = randn([2, 4, 8, 8], seed: 11), noise = randn([2, 4, 8, 8], seed: 12), context = randn([2, 4, 8], seed: 13)
        let timesteps = [150, 650]
        let xt = Variable(Self.noisy(x0, noise, timesteps: timesteps))
        func train(steps: Int) throws -> [Float] {
            let (unet, parameters) = try Self.miniUNet(seed: 5)
            let trainer = Trainer(parameters: parameters.trainable,
                                  state: TrainingState(seed: 1, optimizer: .init(learningRate: 3e-3)))
            return (0..<steps).map { _ in
                trainer.step { _ in
                    Variable.mseLoss(unet(xt, timesteps: timesteps.map(Float.init), context: Variable(context)), Variable(noise))
                }
            }
        }
        let steps = 60
        let losses = try train(steps: steps)
        let curve = stride(from: 0, to: steps, by: 10).map { String(format: "%d: %.4f", $0, losses[$0]) }
        print("overfit loss curve: \(curve.joined(separator: ", ")), \(steps - 1): \(String(format: "%.4f", losses[steps - 1]))")
        #expect(losses[steps - 1] * 20 <= losses[0], "loss \(losses[0]) → \(losses[steps - 1]) after \(steps) steps")
        #expect(try train(steps: 5) == Array(losses.prefix(5)), "same seed, same losses")
    }

    /// N steps in one go equal k steps, a save, a load into a freshly built model and optimizer, and N − k more
    /// steps: bit-identical parameters, moments and losses. Random timesteps and noise per step, a cosine schedule
    /// with warm-up, clipping, and a model with frozen parameters (only attention and conv_in train).
    @Test func resumeIsBitIdentical() throws {
        let x0 = randn([2, 4, 8, 8], seed: 21), context = randn([2, 4, 8], seed: 22)
        let trainable = { (key: String) in key.contains("attentions") || key.hasPrefix("conv_in") }
        let state = TrainingState(seed: 9, schedule: .cosine(warmupSteps: 2, totalSteps: 6),
                                  optimizer: .init(learningRate: 2e-3), maxGradNorm: 1.0, averageDecay: 0.9,
                                  notes: ["test": "resume"])
        func makeTrainer() throws -> (Trainer, Trainable.UNet2DConditionModel) {
            let parameters = Parameters()
            let unet = try Trainable.UNet2DConditionModel(
                ParameterScope(.initialize(seed: 5), into: parameters, trainable: trainable), config: miniUNetConfig())
            return (Trainer(parameters: parameters.trainable, state: state), unet)
        }
        func step(_ trainer: Trainer, _ unet: Trainable.UNet2DConditionModel) -> Float {
            trainer.step { rng in
                let timesteps = (0..<2).map { _ in Int(rng.next() % 1000) }
                let noise = rng.normal([2, 4, 8, 8])
                let xt = Variable(Self.noisy(x0, noise, timesteps: timesteps))
                return Variable.mseLoss(unet(xt, timesteps: timesteps.map(Float.init), context: Variable(context)), Variable(noise))
            }
        }
        let (n, k) = (6, 2)
        let (straight, unetA) = try makeTrainer()
        let lossesA = (0..<n).map { _ in step(straight, unetA) }

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ctxedit-resume-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (first, unetB) = try makeTrainer()
        var lossesB = (0..<k).map { _ in step(first, unetB) }
        try first.save(to: folder)
        let (second, unetC) = try makeTrainer()
        try second.resume(from: folder)
        #expect(second.state == first.state)
        lossesB += (k..<n).map { _ in step(second, unetC) }

        #expect(lossesA == lossesB, "losses \(lossesA) vs \(lossesB)")
        for ((key, a), (_, c)) in zip(straight.parameters, second.parameters) {
            #expect(a.value == c.value, "\(key) differs after resuming")
            #expect(straight.optimizer.state[key] == second.optimizer.state[key], "\(key): optimizer state differs")
        }
        #expect(second.state.step == n && straight.parameters.count == second.parameters.count)
        // The moving average resumes too, and differs from the last weights (it would not if it were not kept).
        #expect(straight.average == second.average && straight.average?.values.count == straight.parameters.count)
        #expect(straight.averagedValues.contains { key, value in value != straight.parameters.first { $0.key == key }!.variable.value })
        // Only the latest tensor file is kept beside state.json.
        try second.save(to: folder)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(files == ["checkpoint-00000006.safetensors", "state.json"])
    }

    /// The moving average after each update equals the recurrence of `WeightAverage`'s documentation, computed
    /// here in Double from the parameters the trainer had after each step (tolerance 1e-6: Float rounding).
    @Test func averageFollowsItsRecurrence() throws {
        let p = Variable(Tensor(shape: [3], scalars: [1, -2, 0.5]), requiresGrad: true)
        let target = Tensor(shape: [3], scalars: [0.25, 0.75, -1])
        let trainer = Trainer(parameters: [("p", p)], state: TrainingState(seed: 3, optimizer: .init(learningRate: 0.1),
                                                                         averageDecay: 0.8))
        var expected: [Double] = []
        for n in 1...12 {
            trainer.step { _ in Variable.mseLoss(p * 2, Variable(target)) }
            let now = p.value.scalars.map(Double.init)
            // decay_n = 0 at the first update, then min(0.8, n / (9 + n)): 0.18, 0.25, ... reaching 0.8 at n = 36.
            let decay = n == 1 ? 0 : min(0.8, Double(n) / Double(9 + n))
            expected = n == 1 ? now : zip(expected, now).map { $0 - (1 - decay) * ($0 - $1) }
            let got = try #require(trainer.average?.values["p"]).scalars
            for (g, e) in zip(got, expected) { #expect(abs(Double(g) - e) < 1e-6, "update \(n): \(got) vs \(expected)") }
        }
        // The parameters moved on; the average lags behind them.
        #expect(trainer.averagedValues["p"] != p.value)
        // Without a decay no average is kept and the weights to sample with are the parameters.
        let plain = Trainer(parameters: [("p", p)], state: TrainingState(seed: 3))
        plain.step { _ in Variable.mseLoss(p * 2, Variable(target)) }
        #expect(plain.average == nil && plain.averagedValues["p"] == p.value)
    }

    /// Loading into a model that trains other parameters fails with a message naming the parameter.
    @Test func resumeRejectsOtherParameters() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ctxedit-resume-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let a = Variable(Tensor(shape: [2], scalars: [1, 2]), requiresGrad: true)
        try Trainer(parameters: [("a", a)], state: TrainingState(seed: 1)).save(to: folder)
        let b = Variable(Tensor(shape: [3], repeating: 0), requiresGrad: true)
        #expect(throws: TrainingError.self) { try Trainer(parameters: [("a", b)], state: TrainingState(seed: 1)).resume(from: folder) }
        do {
            try Trainer(parameters: [("c", b)], state: TrainingState(seed: 1)).resume(from: folder)
            Issue.record("loading a checkpoint of other parameters succeeded")
        } catch {
            #expect(error.description.contains("holds a"))
        }
        #expect(throws: TrainingError.noCheckpoint(folder: folder + "/none")) {
            try Trainer(parameters: [("a", a)], state: TrainingState(seed: 1)).resume(from: folder + "/none")
        }
    }
}
