import Diffusion
import Foundation
import Models
import SafeTensors
import Testing
import Tensors
@testable import Training

/// One-shot tuning on a 4-frame generated clip with the tiny pipeline fixture: the loss falls, the delta loads back
/// as what was trained, and a resumed run continues bit for bit.
@Suite struct TuningTests {
    /// 40 steps at lr 1e-2 on the moving square: the fixed evaluation loss (5 timesteps, fixed noise) must fall by at
    /// least 1.1× (measured 1.116 → 0.924, 1.21×). The fixture's UNet has random weights, so before tuning its
    /// output hardly depends on x_t and the loss sits near E‖ε‖² = 1; below that it has learnt the clip.
    @Test func tuningLowersTheDenoisingLoss() throws {
        let tuner = try tinyTuner(fastTuningSettings(learningRate: 1e-2))
        let before = tuner.evaluationLoss()
        let done = try tuner.train(to: 40, checkpointFolder: "/nonexistent")
        let after = tuner.evaluationLoss()
        print(String(format: "tuning loss on the clip: %.5f → %.5f (%.2f×) after 40 steps", before, after, before / after))
        #expect(done)
        #expect(after * 1.1 <= before, "evaluation loss \(before) → \(after)")
        // What was trained: the queries, temporal attention in every transformer block, and a fresh adapter.
        let keys = tuner.trainer.parameters.map(\.key)
        #expect(tuner.model.layerKinds == ["adapter", "attn1.to_q", "attn2.to_q", "temporal"])
        #expect(!tuner.model.adapterFromModel)
        #expect(keys.filter { $0.hasSuffix(".attn1.to_q.weight") }.count == keys.filter { $0.hasSuffix("attn_temp.to_q.weight") }.count)
        #expect(!keys.contains { $0.hasPrefix("unet.") && !TunableModel.isTuned(unetKey: String($0.dropFirst(5))) })
    }

    /// The untrained additions change nothing: with zero temporal output projections and a zero adapter output, the
    /// tunable UNet is the base UNet (the trainable forward equals the inference model's bit for bit).
    @Test func freshLayersStartAsIdentity() throws {
        let tuner = try tinyTuner()
        let base = try StableDiffusion.load(tinyModelPath)
        let x = randn(tuner.clip.latents.shape, seed: 5), f = tuner.clip.frameCount
        let ts = Array(repeating: Float(400), count: f)
        let ours = GradMode.withoutGradients { tuner.model.unet(Variable(x), timesteps: ts, context: tuner.context, frames: tuner.frames).value }
        #expect(ours == base.unet(x, timesteps: ts, context: tuner.context.value, frames: tuner.frames))
        let r = GradMode.withoutGradients { tuner.model.adapter(Variable(x), context: tuner.context, timestep: 400, frameCount: f).value }
        #expect(maxAbs(r) == 0)
    }

    /// The delta written after a few steps holds exactly the trained values; loading it over the base gives a UNet
    /// and adapter that compute what the tuner's modules compute (and not what the base computes).
    @Test func deltaLoadsBack() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let tuner = try tinyTuner(fastTuningSettings(learningRate: 1e-2))
        #expect(try tuner.train(to: 4, checkpointFolder: folder + "/checkpoint"))
        let config = try tuner.writeDelta(to: folder, record: tuner.record(clip: "square", lossBefore: 1, lossAfter: 0.5))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["delta-00000004.safetensors", "tuned.json"])

        // The file: every trained tensor, bit for bit.
        let file = try SafeTensorsFile(path: folder + "/" + config.tensors)
        #expect(file.names == tuner.trainer.parameters.map(\.key).sorted())
        for (key, v) in tuner.trainer.parameters { #expect(try file.floats(key) == v.value.scalars, "\(key)") }
        let delta = try TunedDelta(folder: folder)
        #expect(delta.config == config)
        #expect(delta.config.addedKeys.count == delta.config.trainedKeys.filter { $0.contains("_temp.") }.count)

        // The loaded model computes what the tuner holds.
        let tuned = try StableDiffusion.load(tinyModelPath, tuned: folder)
        let base = try StableDiffusion.load(tinyModelPath)
        #expect(tuned.identity.contains("+tuned:") && tuned.identity != base.identity)
        let x = randn(tuner.clip.latents.shape, seed: 8), f = tuner.clip.frameCount, context = tuner.context
        let ts = Array(repeating: Float(250), count: f)
        let expected = GradMode.withoutGradients { tuner.model.unet(Variable(x), timesteps: ts, context: context, frames: tuner.frames).value }
        let loaded = tuned.unet(x, timesteps: ts, context: context.value, frames: tuner.frames)
        #expect(loaded == expected, "max |Δ| \(maxAbsDiff(loaded, expected))")
        let baseOut = base.unet(x, timesteps: ts, context: context.value, frames: tuner.frames)
        #expect(maxAbsDiff(loaded, baseOut) > 1e-4, "tuning changed nothing the UNet computes")
        let adapter = try #require(tuned.adapter)
        let r = adapter(x, context: context.value, timestep: 250, frameCount: f)
        let rExpected = GradMode.withoutGradients { tuner.model.adapter(Variable(x), context: context, timestep: 250, frameCount: f).value }
        #expect(r == rExpected, "max |Δ| \(maxAbsDiff(r, rExpected))")
        #expect(maxAbs(r) > 0, "the tuned adapter still gives r = 0")

        // fp16 deltas load too (within half precision).
        var half = fastTuningSettings(learningRate: 1e-2)
        half.deltaDType = .f16
        let halfFolder = folder + "/half"
        let halfTuner = try tinyTuner(half)
        #expect(try halfTuner.train(to: 2, checkpointFolder: halfFolder + "/checkpoint"))
        try halfTuner.writeDelta(to: halfFolder, record: halfTuner.record(clip: "square", lossBefore: nil, lossAfter: nil))
        let halfModel = try StableDiffusion.load(tinyModelPath, tuned: halfFolder)
        let halfExpected = GradMode.withoutGradients { halfTuner.model.unet(Variable(x), timesteps: ts, context: context, frames: tuner.frames).value }
        #expect(relativeError(halfModel.unet(x, timesteps: ts, context: context.value, frames: tuner.frames), halfExpected) < 1e-2)
    }

    /// A model with its own adapter/: tuning starts from it (same r as the inference adapter), keeps its config (here
    /// the prior shift schedule) and the tuned folder carries the trained adapter.
    @Test func startsFromTheModelsAdapter() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let model = try tinyModelCopy(in: folder)
        try FileManager.default.createDirectory(atPath: model + "/adapter", withIntermediateDirectories: true)
        try #"{"dim": 16, "heads": 2, "layers": 1, "context_dim": 32, "shift": "prior"}"#
            .write(toFile: model + "/adapter/config.json", atomically: true, encoding: .utf8)
        let config = try loadConfig(AdapterConfig.self, from: model + "/adapter/config.json")
        var weights = TrajectoryAdapter.initialWeights(config: config, seed: 4)
        weights["proj_out.weight"] = randn([16, 16], seed: 6, scale: 0.1)  // a "trained" adapter: r ≠ 0
        try SafeTensorsWriter.write(weights.mapValues { (shape: $0.shape, values: $0.scalars) },
                                    to: model + "/adapter/diffusion_pytorch_model.safetensors")

        let tuner = try tinyTuner(fastTuningSettings(learningRate: 1e-2), model: model)
        #expect(tuner.model.adapterFromModel && tuner.model.adapter.config == config)
        let x = randn(tuner.clip.latents.shape, seed: 9), f = tuner.clip.frameCount, context = tuner.context
        let inference = try #require(try ModelFolder(path: model).loadAdapter())
        let r0 = inference(x, context: context.value, timestep: 300, frameCount: f)
        #expect(maxAbs(r0) > 0)
        let trainable0 = GradMode.withoutGradients { tuner.model.adapter(Variable(x), context: context, timestep: 300, frameCount: f).value }
        #expect(trainable0 == r0)

        #expect(try tuner.train(to: 2, checkpointFolder: folder + "/checkpoint"))
        let written = try tuner.writeDelta(to: folder + "/t", record: tuner.record(clip: "square", lossBefore: nil, lossAfter: nil))
        #expect(written.adapter == config && written.training.adapterStart == "model")
        let tuned = try StableDiffusion.load(model, tuned: folder + "/t")
        let tunedAdapter = try #require(tuned.adapter)
        let r = tunedAdapter(x, context: context.value, timestep: 300, frameCount: f)
        let trained = GradMode.withoutGradients { tuner.model.adapter(Variable(x), context: context, timestep: 300, frameCount: f).value }
        #expect(r == trained)
        #expect(maxAbsDiff(r, r0) > 0)
    }

    /// 6 steps straight equal 3 steps, a stop (as Ctrl-C: the handler returns false, a checkpoint is saved), a new
    /// tuner resumed from it, and 3 more steps: the same losses, parameters and optimizer state bit for bit, and the
    /// same delta file.
    @Test func resumeContinuesBitIdentically() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var settings = fastTuningSettings()
        settings.gradientCheckpointing = true  // the default path of the command
        let n = 6, k = 3
        let straight = try tinyTuner(settings)
        var lossesA: [Float] = []
        #expect(try straight.train(to: n, checkpointFolder: folder + "/unused") { lossesA.append($0.loss); return true })

        let checkpoint = folder + "/checkpoint"
        let first = try tinyTuner(settings)
        first.lossBefore = 0.25
        var lossesB: [Float] = []
        let finished = try first.train(to: n, checkpointFolder: checkpoint, checkpointEvery: 2) { p in
            lossesB.append(p.loss)
            return p.step < k
        }
        #expect(!finished && first.trainer.state.step == k)
        #expect(try FileManager.default.contentsOfDirectory(atPath: checkpoint).sorted()
                == ["checkpoint-00000003.safetensors", "state.json", "tuning.json"])
        let second = try tinyTuner(settings)
        try second.resume(from: checkpoint)
        #expect(second.trainer.state.step == k && second.lossBefore == 0.25)
        #expect(try second.train(to: n, checkpointFolder: checkpoint) { lossesB.append($0.loss); return true })

        #expect(lossesA == lossesB, "losses \(lossesA) vs \(lossesB)")
        for ((key, a), (_, b)) in zip(straight.trainer.parameters, second.trainer.parameters) {
            #expect(a.value == b.value, "\(key) differs after resuming")
            #expect(straight.trainer.optimizer.state[key] == second.trainer.optimizer.state[key], "\(key): optimizer state differs")
        }
        let record = straight.record(clip: "square", lossBefore: nil, lossAfter: nil)
        try straight.writeDelta(to: folder + "/a", record: record)
        try second.writeDelta(to: folder + "/b", record: record)
        let name = "delta-00000006.safetensors"
        #expect(FileManager.default.contents(atPath: folder + "/a/" + name) == FileManager.default.contents(atPath: folder + "/b/" + name))
    }
}
