import Foundation
import MediaIO
import Models
import Tensors

/// Settings of one edit run; defaults follow the research configs (50 DDIM steps, guidance 7.5).
public struct EditSettings: Sendable {
    public var steps = 50
    public var guidance: Float = 7.5
    public var negativePrompt = ""
    /// Which frames each frame's self-attention reads (default: first and previous).
    public var frameSources = FrameAttention.Sources.sparseCausal
    /// Use the model's ContextDiff adapter when it has one (`false`: plain DDIM).
    public var useAdapter = true
    /// Where an edit's adapter reads x₀ while denoising: the source clip's latents (the same x₀ the inversion
    /// used, so an edit with the source caption retraces the inversion) or each step's estimate x̃₀ (the
    /// text-to-image rule). With the default model, estimates made the shift feed back on itself (the adapter's r
    /// depends mostly on x₀: std 0.87 from the source latents, 0.46 from zeros, at t = 981) and washed whole frames
    /// to one colour; source latents keep the background.
    public var shiftFromSource = true
    /// How far back along the inversion an edit starts: 1 inverts all `steps` DDIM steps to the noisiest timestep
    /// (ContextDiff's edit), s < 1 inverts only the first round(s·steps) (at least 1) and denoises from there, so
    /// the coarse layout of the clip survives (SDEdit's `strength`, Meng et al. 2022; DiffEdit's encoding ratio).
    /// Fewer steps each way, so also faster. Text-to-image ignores it.
    public var strength = 1.0
    /// Which part of each frame the edit may change; outside it the source is kept (`EditRegion`).
    public var region = EditRegion.auto(threshold: EditRegion.defaultThreshold)
    /// ρ: fresh noise inside the edit region. The inversion's noisiest latent x_T becomes √(1 − ρ²)·x_T + ρ·ε there
    /// (unit variance kept; ε one standard normal draw from torch's generator with seed 0, shared by all frames so
    /// the new object does not flicker); 0 keeps the inversion (ContextDiff's edit), 1 redraws the region as
    /// blended inpainting does. A DDIM inversion holds the source's outline, which a shape edit has to leave.
    /// Applies only with an auto region (the whole frame would lose the clip).
    public var regionNoise = 0.0
    /// Frames per VAE call.
    public var vaeChunk = 2
    /// Where inversions are cached; nil disables the cache.
    public var cacheFolder: String? = InversionCache.defaultFolder
    /// Refuse edits whose memory estimate exceeds this many bytes (nil: the memory available now).
    public var memoryLimit: Int?

    public init() {}

    /// DDIM steps each way of an edit at `strength`: round(strength·steps), at least 1 (a strength outside (0, 1],
    /// which the command line and pipeline files refuse, counts as 1).
    public var editSteps: Int {
        guard Self.isValidStrength(strength) else { return steps }
        return min(steps, max(1, Int((strength * Double(steps)).rounded())))
    }

    /// Whether `s` is a strength an edit accepts: 0 < s ≤ 1.
    public static func isValidStrength(_ s: Double) -> Bool { s > 0 && s <= 1 }

    /// Whether `rho` is a region noise an edit accepts: 0 ≤ ρ ≤ 1.
    public static func isValidRegionNoise(_ rho: Double) -> Bool { rho >= 0 && rho <= 1 }
}

/// One edited clip and what happened.
public struct EditResult: Sendable {
    public var prompt: String
    public var frames: FrameBatch
    /// The denoised latents before decoding: [F, C, h, w] (scaled by the VAE's scaling factor).
    public var latents: Tensor
    /// Where the edit was allowed to change the clip (nil: everywhere, `EditRegion.whole`).
    public var mask: EditMask?
}

/// Predicts the noise (or v) of a batch: the UNet, or an analytic denoiser in tests.
/// x: [N, C, h, w], timesteps: N values, context: [N, S, D] → [N, C, h, w].
public protocol NoisePredictor {
    func predictNoise(_ x: Tensor, timesteps: [Float], context: Tensor, frames: FrameAttention) -> Tensor
}

extension UNet2DConditionModel: NoisePredictor {
    public func predictNoise(_ x: Tensor, timesteps: [Float], context: Tensor, frames: FrameAttention) -> Tensor {
        self(x, timesteps: timesteps, context: context, frames: frames)
    }
}

/// ContextDiff video editing on a loaded model: the numbered stages of docs/ARCHITECTURE.md.
public struct VideoEditor {
    public let model: StableDiffusion
    /// The denoiser; the model's UNet unless replaced.
    public var predictor: NoisePredictor
    public var notes: [String] = []

    public init(model: StableDiffusion) {
        self.model = model
        self.predictor = model.unet
    }

    /// Edits `source` (frames in [-1, 1]) once per prompt, from one shared inversion with `sourcePrompt`.
    public mutating func edit(_ source: FrameBatch, sourcePrompt: String, prompts: [String], settings: EditSettings,
                              progress: ProgressHandler = { _ in true }) throws -> [EditResult] {
        guard !prompts.isEmpty else { throw EditError.invalidRequest("no edit prompt given; pass at least one --prompt") }
        try checkSize(width: source.width, height: source.height, settings: settings)
        let f = source.frameCount
        try memoryEstimate(frames: f, width: source.width, height: source.height, prompts: prompts.count, settings: settings)
            .check(limit: settings.memoryLimit ?? MemoryEstimate.available(), frames: f, width: source.width, height: source.height)
        let (shift, trajectory) = try trajectory(settings)
        var clock = StepClock()

        // 1. Encode prompts.
        let sourceContext = model.encodePrompt(sourcePrompt)
        let negative = model.encodePrompt(settings.negativePrompt)
        let editContexts = prompts.map(model.encodePrompt)
        try report(progress, .encodePrompts, 1, 1, nil, &clock)

        // 2. Encode frames to latents [F, C, h, w].
        let x0 = try model.encodeFrames(source, chunk: settings.vaeChunk) { done, total in
            try report(progress, .encodeFrames, done, total, nil, &clock)
        }

        // 3. Invert along the contextualized trajectory with the source caption (no guidance), or reuse a cached one.
        let frames = FrameAttention.frames(count: f, sources: settings.frameSources)
        // A partial inversion (strength < 1) is a different cache entry; full ones keep their earlier keys.
        let partial = settings.editSteps < settings.steps ? "|first \(settings.editSteps)" : ""
        let key = InversionCache.key(latents: x0, settings: "\(model.identity)|\(sourcePrompt)|\(settings.steps)|\(settings.frameSources)|\(shift != nil)\(partial)")
        let cache = settings.cacheFolder.map(InversionCache.init)
        var inverted: [Tensor]
        if let hit = cache?.load(key) {
            inverted = hit
            notes.append("reused the cached inversion \(key)")
        } else {
            inverted = try invert(x0, context: sourceContext.repeated(f), trajectory: trajectory, steps: settings.editSteps,
                                  shift: shift, frames: frames, progress: progress, clock: &clock)
            if let problem = cache?.store(key, latents: inverted) { notes.append(problem) }
        }

        // 4. Denoise from the inverted latent with each edit prompt, classifier-free guidance and the adapter.
        var results: [EditResult] = []
        for (e, editContext) in editContexts.enumerated() {
            var mask: EditMask?
            if case .auto(let threshold) = settings.region {
                let found = try EditMask.estimate(predictor: predictor, inverted: inverted,
                                                  timesteps: trajectory.inverse.timesteps, sourceContext: sourceContext,
                                                  editContext: editContext, frames: frames, threshold: threshold) { done, total in
                    try report(progress, .findRegion, done, total, e, &clock)
                }
                notes.append("edit \(e + 1): the captions differ on \(Int((found.coverage * 100).rounded()))% of the frame area; the rest is kept from the source (--region whole edits everything)")
                mask = found
            }
            var start = inverted.last!
            if let mask, settings.regionNoise > 0 { start = Self.loosened(start, inside: mask, by: settings.regionNoise) }
            let latents = try denoise(start: start, context: editContext, negative: negative, frames: f,
                                      settings: settings, trajectory: trajectory, shift: shift, edit: e,
                                      shiftFrom: settings.shiftFromSource ? x0 : nil,
                                      keep: mask.map { ($0, inverted) }, steps: settings.editSteps, progress: progress,
                                      clock: &clock)
            // 5. Decode.
            let decoded = try model.decodeLatents(latents, frameRate: source.frameRate, chunk: settings.vaeChunk) { done, total in
                try report(progress, .decodeFrames, done, total, e, &clock)
            }
            // 6. Outside the region, the source's own pixels (not the VAE's reconstruction of them).
            let frames = mask.map { $0.pasteBack(edited: decoded, source: source, scale: model.latentScale) } ?? decoded
            results.append(EditResult(prompt: prompts[e], frames: frames, latents: latents, mask: mask))
        }
        return results
    }

    /// x_T [F, C, h, w] with √(1 − ρ²)·x_T + ρ·ε inside `mask` (`EditSettings.regionNoise`), ε [1, C, h, w] shared by
    /// the frames.
    static func loosened(_ xT: Tensor, inside mask: EditMask, by rho: Double) -> Tensor {
        let f = xT.shape[0], one = xT.count / f
        var rng = TorchRandom(seed: 0)
        let eps = rng.normal(count: one)
        let (keep, add) = (Float((1 - rho * rho).squareRoot()), Float(rho))
        var noisy = xT
        for n in 0..<f { for i in 0..<one { noisy.scalars[n * one + i] = keep * xT.scalars[n * one + i] + add * eps[i] } }
        return mask.blend(noisy, keeping: xT)
    }

    /// Text-to-image: the same sampler with one frame and no source. x_T = k_T·r̂ + ε with ε from torch's randn for
    /// `seed` and r̂ = r_φ(0, c, T) from the prompt alone.
    public mutating func generate(prompt: String, width: Int, height: Int, seed: UInt64, settings: EditSettings,
                                  progress: ProgressHandler = { _ in true }) throws -> FrameBatch {
        try checkSize(width: width, height: height, settings: settings)
        let scale = model.latentScale
        let (shift, trajectory) = try trajectory(settings)
        var clock = StepClock()
        let context = model.encodePrompt(prompt), negative = model.encodePrompt(settings.negativePrompt)
        try report(progress, .encodePrompts, 1, 1, nil, &clock)
        let shape = [1, model.unet.config.inChannels, height / scale, width / scale]
        var rng = TorchRandom(seed: seed)
        var start = Tensor(shape: shape, scalars: rng.normal(count: shape.reduce(1, *)))
        if let shift, let first = trajectory.sampler.timesteps.first {
            let r = shift.shift(x0: Tensor(shape: shape), context: context, timestep: first, frameCount: 1)
            start = start + r * trajectory.k(trajectory.sampler.alphaCumprod(first))
        }
        let latents = try denoise(start: start, context: context, negative: negative, frames: 1, settings: settings,
                                  trajectory: trajectory, shift: shift, edit: 0, progress: progress, clock: &clock)
        let image = model.decodeLatents(latents, frameRate: 1)
        try report(progress, .decodeFrames, 1, 1, 0, &clock)
        return image
    }

    /// DDIM inversion of x0 [F, C, h, w] along the contextualized trajectory, without guidance, for the first
    /// `steps` inverse timesteps (all by default). Returns every latent from x0 to the most noisy one reached.
    func invert(_ x0: Tensor, context: Tensor, trajectory: ContextualTrajectory, steps: Int? = nil,
                shift: TrajectoryShift?, frames: FrameAttention, progress: ProgressHandler,
                clock: inout StepClock) throws -> [Tensor] {
        let f = x0.shape[0]
        let timesteps = trajectory.inverse.timesteps.prefix(steps ?? trajectory.inverse.timesteps.count)
        var latents = [x0]
        var x = x0
        for (i, t) in timesteps.enumerated() {
            let eps = predictor.predictNoise(x, timesteps: Array(repeating: Float(t), count: f), context: context, frames: frames)
            x = trajectory.invertStep(modelOutput: eps, timestep: t, sample: x, shift: shift, source: x0,
                                      context: context, frameCount: f)
            latents.append(x)
            try report(progress, .invert, i + 1, timesteps.count, nil, &clock)
        }
        return latents
    }

    /// The sampling loop: ε̂ = ε_u + g·(ε_c − ε_u) on a doubled batch [uncond frames ⧺ cond frames], then a
    /// contextualized DDIM step, over the sampler's last `steps` timesteps (all by default: `start` sits at the
    /// timestep before them). Guidance 1 skips the unconditional half. With `keep` (a mask and the inversion's
    /// latents), every step's result outside the mask is replaced by the inversion's latent at the same timestep
    /// (prompt-to-prompt's local blending, Hertz et al. 2022, §3.3, with the inversion in place of the source pass).
    func denoise(start: Tensor, context: Tensor, negative: Tensor, frames f: Int, settings: EditSettings,
                 trajectory: ContextualTrajectory, shift: TrajectoryShift?, edit: Int, shiftFrom: Tensor? = nil,
                 keep: (mask: EditMask, inverted: [Tensor])? = nil, steps: Int? = nil,
                 progress: ProgressHandler, clock: inout StepClock) throws -> Tensor {
        let timesteps = trajectory.sampler.timesteps.suffix(steps ?? trajectory.sampler.timesteps.count)
        let n = timesteps.count
        precondition(keep.map { $0.inverted.count == n + 1 } ?? true, "denoise: \(n) steps need the inversion's \(n + 1) latents")
        let guided = settings.guidance != 1
        let cond = context.repeated(f)
        let batchContext = guided ? Tensor.concat([negative.repeated(f), cond], axis: 0) : cond
        let attention = FrameAttention.frames(count: f, sources: settings.frameSources)
        var x = start
        for (i, t) in timesteps.enumerated() {
            let input = guided ? Tensor.concat([x, x], axis: 0) : x
            let out = predictor.predictNoise(input, timesteps: Array(repeating: Float(t), count: input.shape[0]),
                                             context: batchContext, frames: attention)
            var eps = out
            if guided {
                let halves = out.chunked(2, axis: 0)
                eps = halves[0] + (halves[1] - halves[0]) * settings.guidance
            }
            x = trajectory.step(modelOutput: eps, timestep: t, sample: x, shift: shift, context: cond, frameCount: f,
                                shiftFrom: shiftFrom)
            // After step i the sample sits at the inversion's step n − 1 − i (inverted[n − i] was its start).
            if let keep { x = keep.mask.blend(x, keeping: keep.inverted[n - 1 - i]) }
            try report(progress, .denoise, i + 1, n, edit, &clock)
        }
        return x
    }

    /// Sides must be positive multiples of the VAE factor, and of the VAE factor × the adapter's patch size when the
    /// adapter is used (it cuts latents into patches).
    func checkSize(width: Int, height: Int, settings: EditSettings) throws {
        var unit = model.latentScale
        var why = "the VAE factor \(unit)"
        if let adapter = model.adapter, settings.useAdapter {
            unit *= adapter.config.patchSize
            why = "the VAE factor \(model.latentScale) × the adapter's patch \(adapter.config.patchSize)"
        }
        guard width > 0, height > 0, width % unit == 0, height % unit == 0 else {
            throw EditError.invalidRequest("size \(width)x\(height) must be positive multiples of \(unit) (\(why)); choose another --size\(unit > model.latentScale ? " or --adapter off" : "")")
        }
    }

    /// What an edit of `frames` frames at `width`×`height` with this model needs (see `MemoryEstimate`).
    public func memoryEstimate(frames: Int, width: Int, height: Int, prompts: Int, settings: EditSettings) -> MemoryEstimate {
        MemoryEstimate.edit(frames: frames, width: width, height: height, prompts: prompts, guided: settings.guidance != 1,
                            weightCount: model.parameterCount, unet: model.unet.config, vae: model.vae.config,
                            vaeChunk: settings.vaeChunk)
    }

    /// The adapter to use (nil: plain DDIM) and the trajectory it implies, timesteps set.
    mutating func trajectory(_ settings: EditSettings) throws -> (TrajectoryAdapter?, ContextualTrajectory) {
        let shift = try adapterIfUsable(settings)
        var trajectory = ContextualTrajectory(sampler: model.scheduler.sampler(), inverse: model.scheduler.inverse(),
                                              shiftSchedule: shift?.config.shift ?? .quadratic,
                                              refinements: shift?.config.refinements ?? 1)
        try model.scheduler.checkSteps(settings.steps)
        trajectory.setTimesteps(settings.steps)
        return (shift, trajectory)
    }

    mutating func adapterIfUsable(_ settings: EditSettings) throws -> TrajectoryAdapter? {
        guard settings.useAdapter else { return nil }
        guard let adapter = model.adapter else {
            notes.append("the model has no adapter/ folder: running plain DDIM (no contextualized trajectory)")
            return nil
        }
        guard adapter.config.contextDim == model.textEncoder.config.hiddenSize,
              adapter.config.latentChannels == model.unet.config.inChannels else {
            throw EditError.invalidRequest("adapter/config.json does not match the model (context_dim \(adapter.config.contextDim) vs text width \(model.textEncoder.config.hiddenSize), latent_channels \(adapter.config.latentChannels) vs \(model.unet.config.inChannels))")
        }
        return adapter
    }

    func report(_ handler: ProgressHandler, _ stage: EditProgress.Stage, _ step: Int, _ total: Int, _ edit: Int?,
                _ clock: inout StepClock) throws {
        let p = EditProgress(stage: stage, step: step, totalSteps: total, edit: edit, secondsPerStep: clock.lap())
        if !handler(p) { throw EditError.cancelled }
    }
}

/// Seconds between successive calls.
struct StepClock {
    private var last = DispatchTime.now().uptimeNanoseconds
    mutating func lap() -> Double {
        let now = DispatchTime.now().uptimeNanoseconds
        defer { last = now }
        return Double(now - last) / 1e9
    }
}

extension Tensor {
    /// [1, ...] repeated `n` times along axis 0 → [n, ...].
    func repeated(_ n: Int) -> Tensor {
        precondition(shape[0] == 1, "repeat: expects a leading 1, got \(shape)")
        return Tensor(shape: [n] + shape.dropFirst(), scalars: Array((0..<n).map { _ in scalars }.joined()))
    }
}
