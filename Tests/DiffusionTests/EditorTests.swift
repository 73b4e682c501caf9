import Foundation
import MediaIO
import SafeTensors
import Testing
@testable import Diffusion
@testable import Models
@testable import Tensors

/// The video UNet and the editing flow on the tiny fixture model.
@Suite struct EditorTests {
    @Test func videoUNetWithOneFrameEqualsTheImageUNet() throws {
        let model = try tinyModel()
        let x = randomLatent([1, 4, 8, 8], seed: 1), context = randomLatent([1, 7, 32], seed: 2)
        let image = model.unet(x, timesteps: [300], context: context)
        for sources in [FrameAttention.Sources.sparseCausal, .all, .window(radius: 1)] {
            #expect(model.unet(x, timesteps: [300], context: context, frames: .frames(count: 1, sources: sources)) == image)
        }
    }

    @Test func firstFrameOfSparseCausalAttentionOnlySeesItself() throws {
        let model = try tinyModel()
        let x = randomLatent([3, 4, 8, 8], seed: 3), context = randomLatent([1, 7, 32], seed: 4).repeated(3)
        let video = model.unet(x, timesteps: [500, 500, 500], context: context, frames: .frames(count: 3, sources: .sparseCausal))
        let alone = model.unet(x.slice(axis: 0, 0..<1), timesteps: [500], context: context.slice(axis: 0, 0..<1))
        #expect(maxDifference(video.slice(axis: 0, 0..<1), alone) <= 1e-5)
        // Frame 2 attends to frames 0 and 1, so it differs from running it alone.
        let third = model.unet(x.slice(axis: 0, 2..<3), timesteps: [500], context: context.slice(axis: 0, 0..<1))
        #expect(maxDifference(video.slice(axis: 0, 2..<3), third) > 1e-4)
        #expect(FrameAttention.sourceFrames(3, count: 5, sources: .sparseCausal) == [0, 2])
        #expect(FrameAttention.sourceFrames(0, count: 5, sources: .window(radius: 1)) == [0, 1])
    }

    /// Invert then sample back with no guidance. With the exact denoiser of Gaussian data N(0, σ²I),
    /// ε*(x, t) = √(1−ᾱ_t)·x / (ᾱ_t·σ² + 1 − ᾱ_t), the DDIM ODE is smooth and the round trip error is the
    /// discretisation error, which shrinks as steps grow. Measured (printed), latents ~N(0, 1): plain DDIM 5.7e-2
    /// at 10 steps, 2.4e-3 at 50; with a fixed shift r (as a converged adapter gives) and the matching denoiser
    /// 6.7e-2 and 1.5e-2 (first order: the shift term adds error from k_t changing across a step).
    @Test(arguments: [false, true])
    func inversionRoundTripReconstructsTheLatents(withShift: Bool) throws {
        var editor = VideoEditor(model: try tinyModel())
        let x0 = randomLatent([2, 4, 8, 8], seed: 21), r = randomLatent([2, 4, 8, 8], seed: 22) * 0.5
        let shift: TrajectoryShift? = withShift ? FixedShift(r: r) : nil
        editor.predictor = GaussianDenoiser(sigma: 1, shift: withShift ? r : nil)
        let context = editor.model.encodePrompt("a red square")
        var errors: [Float] = []
        for steps in [10, 50] {
            var settings = EditSettings()
            settings.steps = steps
            settings.guidance = 1
            var trajectory = ContextualTrajectory(sampler: editor.model.scheduler.sampler(), inverse: editor.model.scheduler.inverse())
            trajectory.setTimesteps(steps)
            var clock = StepClock()
            let inverted = try editor.invert(x0, context: context.repeated(2), trajectory: trajectory, shift: shift,
                                             frames: .frames(count: 2, sources: .sparseCausal), progress: { _ in true }, clock: &clock)
            #expect(inverted.count == steps + 1)
            let back = try editor.denoise(start: inverted.last!, context: context, negative: context, frames: 2,
                                          settings: settings, trajectory: trajectory, shift: shift, edit: 0,
                                          progress: { _ in true }, clock: &clock)
            errors.append(maxDifference(back, x0))
        }
        print("inversion round trip (shift: \(withShift)): max error \(errors[0]) at 10 steps, \(errors[1]) at 50 steps")
        #expect(errors[1] < (withShift ? 2e-2 : 5e-3))
        #expect(errors[1] < errors[0] / 4)
    }

    /// A partial inversion (strength < 1) and the sampler's matching last steps are inverses too: with the exact
    /// denoiser the first 20 of 50 steps each way return x₀ at least as closely as all 50.
    @Test func partialInversionRoundTripReconstructsTheLatents() throws {
        var editor = VideoEditor(model: try tinyModel())
        editor.predictor = GaussianDenoiser(sigma: 1)
        let x0 = randomLatent([2, 4, 8, 8], seed: 23)
        let context = editor.model.encodePrompt("a red square")
        var settings = EditSettings()
        settings.steps = 50
        settings.guidance = 1
        var trajectory = ContextualTrajectory(sampler: editor.model.scheduler.sampler(), inverse: editor.model.scheduler.inverse())
        trajectory.setTimesteps(50)
        var clock = StepClock()
        var errors: [Float] = []
        for k in [20, 50] {
            let inverted = try editor.invert(x0, context: context.repeated(2), trajectory: trajectory, steps: k, shift: nil,
                                             frames: .frames(count: 2, sources: .sparseCausal), progress: { _ in true }, clock: &clock)
            #expect(inverted.count == k + 1)
            let back = try editor.denoise(start: inverted.last!, context: context, negative: context, frames: 2,
                                          settings: settings, trajectory: trajectory, shift: nil, edit: 0, steps: k,
                                          progress: { _ in true }, clock: &clock)
            errors.append(maxDifference(back, x0))
        }
        #expect(errors[0] < 5e-3 && errors[0] <= errors[1] * 1.01, "errors \(errors)")
        // The noisiest latent reached is that of the inverse timestep k: a partial inversion stops early.
        let start = try editor.invert(x0, context: context.repeated(2), trajectory: trajectory, steps: 20, shift: nil,
                                      frames: .frames(count: 2, sources: .sparseCausal), progress: { _ in true }, clock: &clock).last!
        let full = try editor.invert(x0, context: context.repeated(2), trajectory: trajectory, shift: nil,
                                     frames: .frames(count: 2, sources: .sparseCausal), progress: { _ in true }, clock: &clock)
        #expect(start == full[20])
    }

    /// `strength` runs round(strength·steps) steps each way, and its partial inversion is cached apart from the full.
    @Test func strengthShortensBothWaysAndHasItsOwnCacheEntry() throws {
        let cacheDir = NSTemporaryDirectory() + "/ctxedit-cache-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: cacheDir) }
        var editor = VideoEditor(model: try tinyModel())
        var settings = EditSettings()
        settings.steps = 10
        settings.region = .whole
        settings.cacheFolder = cacheDir
        let clip = movingSquare(frames: 2)
        func stages(_ strength: Double) throws -> [String: Int] {
            settings.strength = strength
            var totals: [String: Int] = [:]
            _ = try editor.edit(clip, sourcePrompt: "a red square", prompts: ["a blue circle"], settings: settings) {
                totals[$0.stage.rawValue] = $0.totalSteps; return true
            }
            return totals
        }
        let full = try stages(1), partial = try stages(0.44)
        #expect(full["invert"] == 10 && full["denoise"] == 10)
        #expect(partial["invert"] == 4 && partial["denoise"] == 4, "\(partial)")
        #expect(try stages(0.01)["denoise"] == 1)
        // Strength 1 again: its full inversion comes from the cache.
        #expect(try stages(1)["invert"] == nil)
        // The edit region's two levels (10 and 20%) lie beyond a 1-step inversion: both use its one latent.
        settings.region = .auto(threshold: EditRegion.defaultThreshold)
        settings.cacheFolder = nil
        let short = try stages(0.1)
        #expect(short["invert"] == 1 && short["find edit region"] == 1 && short["denoise"] == 1, "\(short)")
    }

    @Test func editsAreDeterministicAndFollowThePrompt() throws {
        var editor = VideoEditor(model: try tinyModel())
        var settings = EditSettings()
        settings.steps = 4
        settings.cacheFolder = nil
        let clip = movingSquare()
        let a = try editor.edit(clip, sourcePrompt: "a red square", prompts: ["a blue circle", "a green star"], settings: settings)
        let b = try editor.edit(clip, sourcePrompt: "a red square", prompts: ["a blue circle"], settings: settings)
        // Equal up to float summation order: OpenBLAS runs a GEMM single-threaded when another test's GEMM holds its
        // threads, which changes the last bits (seen: 1e-5 apart); another prompt moves frames by far more.
        #expect(maxAbs(a[0].frames.values[...], b[0].frames.values[...]) <= 1e-3)
        #expect(maxAbs(a[0].frames.values[...], a[1].frames.values[...]) > 0.05)
        #expect(a[0].frames.frameCount == 4 && a[0].frames.width == 16 && a[0].frames.height == 16)
        #expect(editor.notes.contains { $0.contains("plain DDIM") })
    }

    @Test func inversionIsCachedAndReused() throws {
        let cacheDir = NSTemporaryDirectory() + "/ctxedit-cache-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: cacheDir) }
        var editor = VideoEditor(model: try tinyModel())
        var settings = EditSettings()
        settings.steps = 3
        settings.cacheFolder = cacheDir
        let clip = movingSquare(frames: 2)
        let first = try editor.edit(clip, sourcePrompt: "a red square", prompts: ["a blue circle"], settings: settings)
        var stages: [String] = []
        let second = try editor.edit(clip, sourcePrompt: "a red square", prompts: ["a blue circle"], settings: settings) {
            stages.append($0.stage.rawValue); return true
        }
        // The same edit from the cached inversion, up to float summation order (see above).
        #expect(first[0].frames.frameCount == second[0].frames.frameCount)
        #expect(maxAbs(first[0].frames.values[...], second[0].frames.values[...]) <= 1e-3)
        #expect(!stages.contains("invert"))
        #expect(editor.notes.contains { $0.contains("reused the cached inversion") })
    }

    @Test func progressHandlerCancels() throws {
        var editor = VideoEditor(model: try tinyModel())
        var settings = EditSettings()
        settings.steps = 10
        settings.cacheFolder = nil
        var calls = 0
        let error = #expect(throws: EditError.self) {
            _ = try editor.edit(movingSquare(frames: 2), sourcePrompt: "", prompts: ["x"], settings: settings) { p in
                calls += 1
                return !(p.stage == .invert && p.step == 2)
            }
        }
        #expect(error == .cancelled)
        #expect(calls == 4)  // prompts, frames, invert 1, invert 2
    }

    @Test func textToImageHasTheRequestedSizeAndFollowsTheSeed() throws {
        var editor = VideoEditor(model: try tinyModel(adapter: try tinyAdapter(trainedLooking: true)))
        var settings = EditSettings()
        settings.steps = 3
        let a = try editor.generate(prompt: "a red circle", width: 24, height: 16, seed: 1, settings: settings)
        let b = try editor.generate(prompt: "a red circle", width: 24, height: 16, seed: 1, settings: settings)
        let c = try editor.generate(prompt: "a red circle", width: 24, height: 16, seed: 2, settings: settings)
        #expect(a.frameCount == 1 && a.width == 24 && a.height == 16)
        #expect(a == b && a != c)
        #expect(throws: EditError.self) { _ = try editor.generate(prompt: "x", width: 15, height: 16, seed: 1, settings: settings) }
    }
}

/// The exact noise predictor for Gaussian data N(0, σ²I) under SD's schedule; with a fixed shift r, the exact one
/// for the shifted marginal x_t = √ᾱ_t·x₀ + k_t·r + √(1−ᾱ_t)·ε (quadratic k_t).
struct GaussianDenoiser: NoisePredictor {
    let sigma: Float
    var shift: Tensor? = nil
    let schedule = SchedulerConfig.stableDiffusion15.schedule
    func predictNoise(_ x: Tensor, timesteps: [Float], context: Tensor, frames: FrameAttention) -> Tensor {
        let a = schedule.alphasCumprod[Int(timesteps[0])]
        var centered = x
        if let shift {
            let r = x.shape[0] == shift.shape[0] ? shift : Tensor.concat([shift, shift], axis: 0)
            centered = x - r * AdapterConfig.ShiftSchedule.quadratic.k(alphaCumprod: a)
        }
        return centered * ((1 - a).squareRoot() / (a * sigma * sigma + 1 - a))
    }
}

func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
    zip(a.scalars, b.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// Temporal attention blocks (Tune-A-Video's `attn_temp`) load when a checkpoint has them; with a zero output
/// projection the video UNet equals the one without them.
@Suite struct TemporalAttentionTests {
    func unet(extra: (String, Int) -> [String: Tensor]) throws -> UNet2DConditionModel {
        let file = try SafeTensorsFile(path: fixtures + "/unet/diffusion_pytorch_model.safetensors")
        var tensors: [String: Tensor] = [:]
        for name in file.names { tensors[name] = Tensor(shape: try file.entry(name).shape, scalars: try file.floats(name)) }
        // Every transformer block gets norm_temp + attn_temp at its width.
        for name in file.names where name.hasSuffix("transformer_blocks.0.norm1.weight") {
            let block = String(name.dropLast("norm1.weight".count)), dim = tensors[name]!.shape[0]
            tensors.merge(extra(block, dim)) { a, _ in a }
        }
        let config = try loadConfig(UNetConfig.self, from: fixtures + "/unet/config.json")
        let weights = CheckpointWeights(tensors: tensors)
        let model = try UNet2DConditionModel(WeightScope(weights), config: config)
        try weights.checkAllUsed()
        return model
    }

    func temporalWeights(zeroOut: Bool) -> (String, Int) -> [String: Tensor] {
        { block, d in
            var t: [String: Tensor] = [
                block + "norm_temp.weight": Tensor(shape: [d], repeating: 1), block + "norm_temp.bias": Tensor(shape: [d]),
                block + "attn_temp.to_out.0.bias": Tensor(shape: [d]),
            ]
            for (i, p) in ["to_q", "to_k", "to_v"].enumerated() { t[block + "attn_temp.\(p).weight"] = randomLatent([d, d], seed: UInt64(i)) * 0.2 }
            t[block + "attn_temp.to_out.0.weight"] = zeroOut ? Tensor(shape: [d, d]) : randomLatent([d, d], seed: 9) * 0.2
            return t
        }
    }

    @Test func zeroInitialisedTemporalAttentionChangesNothing() throws {
        let plain = try tinyModel().unet
        let zero = try unet(extra: temporalWeights(zeroOut: true))
        let trained = try unet(extra: temporalWeights(zeroOut: false))
        let x = randomLatent([3, 4, 8, 8], seed: 5), context = randomLatent([1, 7, 32], seed: 6).repeated(3)
        let frames = FrameAttention.frames(count: 3, sources: .sparseCausal)
        let reference = plain(x, timesteps: [400, 400, 400], context: context, frames: frames)
        #expect(zero(x, timesteps: [400, 400, 400], context: context, frames: frames) == reference)
        #expect(maxDifference(trained(x, timesteps: [400, 400, 400], context: context, frames: frames), reference) > 1e-4)
    }
}

/// Selections that cannot fit are refused up front with the estimate and a suggestion.
@Suite struct MemoryEstimateTests {
    @Test func hugeSelectionIsRefusedWithASuggestion() throws {
        // SD 1.5 at 120 frames of 3840x2160 with guidance: far beyond 24 GB.
        var sdVAE = AutoencoderConfig()
        sdVAE.blockOutChannels = [128, 256, 512, 512]
        let estimate = MemoryEstimate.edit(frames: 120, width: 3840, height: 2160, prompts: 1, guided: true,
                                           weightCount: 1_066_000_000, unet: UNetConfig(), vae: sdVAE, vaeChunk: 2)
        #expect(estimate.bytes > 100_000_000_000)
        let error = #expect(throws: EditError.self) {
            try estimate.check(limit: 24_000_000_000, frames: 120, width: 3840, height: 2160)
        }
        #expect(error?.description.contains("GB") == true && error?.description.contains("frame") == true)
        // 8 frames at 512x512 fit in 24 GB.
        let small = MemoryEstimate.edit(frames: 8, width: 512, height: 512, prompts: 1, guided: true,
                                        weightCount: 1_066_000_000, unet: UNetConfig(), vae: sdVAE, vaeChunk: 2)
        print("estimate for 8 frames at 512x512, SD 1.5: \(small)")
        #expect(throws: Never.self) { try small.check(limit: 24_000_000_000, frames: 8, width: 512, height: 512) }
    }

    @Test func editorRefusesBeforeDoingAnyWork() throws {
        var editor = VideoEditor(model: try tinyModel())
        var settings = EditSettings()
        settings.memoryLimit = 1000
        var calls = 0
        #expect(throws: EditError.self) {
            _ = try editor.edit(movingSquare(), sourcePrompt: "", prompts: ["x"], settings: settings) { _ in calls += 1; return true }
        }
        #expect(calls == 0)
    }
}

@Suite struct SizeCheckTests {
    /// With the adapter, sides must be multiples of the VAE factor × the patch size (2 × 2 here), or the adapter's
    /// patching would not tile the latents; the error says so instead of crashing.
    @Test func adapterPatchSizeIsChecked() throws {
        var editor = VideoEditor(model: try tinyModel(adapter: try tinyAdapter(trainedLooking: false)))
        var settings = EditSettings()
        settings.steps = 1
        settings.cacheFolder = nil
        let clip = movingSquare(frames: 2, size: 18)
        let error = #expect(throws: EditError.self) { _ = try editor.edit(clip, sourcePrompt: "", prompts: ["x"], settings: settings) }
        #expect(error?.description.contains("multiples of 4") == true)
        #expect(throws: EditError.self) { _ = try editor.generate(prompt: "x", width: 18, height: 16, seed: 0, settings: settings) }
        settings.useAdapter = false
        #expect(throws: Never.self) { _ = try editor.edit(clip, sourcePrompt: "", prompts: ["x"], settings: settings) }
    }
}

@Suite struct PosteriorSampleTests {
    /// `sampleLatents(seed:)` equals diffusers' `vae.encode(x).latent_dist.sample(torch.Generator().manual_seed(7))`
    /// (times the scaling factor): the same posterior and torch's randn stream.
    @Test func seededSampleMatchesDiffusers() throws {
        let model = try tinyModel()
        let f = try SafeTensorsFile(path: fixtures + "/vae/io.safetensors")
        let image = try f.floats("image"), expected = try f.floats("latent_sample_seed7")
        let frames = FrameBatch(frameCount: 1, width: 32, height: 32, frameRate: 1, values: image)
        let sample = model.sampleLatents(frames, seed: 7) * (1 / model.vae.config.scalingFactor)
        let err = zip(sample.scalars, expected).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        #expect(err <= 1e-4, "max-abs \(err)")
    }
}
