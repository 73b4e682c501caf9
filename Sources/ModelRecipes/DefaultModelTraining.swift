import Diffusion
import Foundation
import MediaIO
import Models
import SafeTensors
import Scenes
import Tensors
import Training

/// Runs `DefaultModelRecipe` in two resumable stages and writes the diffusers folder.
///
/// (a) VAE: reconstruction MSE of single frames (decoded from the posterior mean) plus a small KL term, on
///     random scenes.
/// (b) VAE frozen; text encoder, UNet and ContextDiff adapter trained jointly with the contextualized loss
///     ‖v_θ(x_t, c, t) − v‖² (or ε, per `prediction`), x_t = √ᾱ_t·x₀ + k_t·r_φ(x₀, c, t, neighbours) + √(1−ᾱ_t)·ε (ContextDiff eq. 6),
///     on 4-frame clips with the video UNet's sparse-causal attention, every other step on single frames of
///     independent scenes (`imageStepEvery`); captions dropped to "" 10% of the time.
///
/// Checkpoints live in `workFolder/vae` and `workFolder/joint` (`Trainer.save`: parameters, AdamW moments, step);
/// a new run continues each stage from its last checkpoint, drawing the same random numbers it would have drawn.
/// Notation: ᾱ_t = `alphaProdT`, k_t = √ᾱ_t·(1 − √ᾱ_t) (the adapter's quadratic schedule).
public final class DefaultModelTraining {
    public let recipe: DefaultModelRecipe
    public let workFolder: String
    /// Progress lines (one per `logEvery` steps and per stage event).
    public var log: (String) -> Void = { print($0) }
    public var logEvery = 10

    public init(recipe: DefaultModelRecipe, workFolder: String) {
        self.recipe = recipe
        self.workFolder = workFolder
    }

    var vaeFolder: String { workFolder + "/vae" }
    var jointFolder: String { workFolder + "/joint" }
    var recordPath: String { workFolder + "/record.json" }
    /// The trained VAE (f32, checkpoint keys) and its measured scaling factor, written when stage (a) ends.
    var vaeWeightsPath: String { workFolder + "/vae-final.safetensors" }

    // MARK: Data

    /// `frames` consecutive frames (from `start`) of a 16-frame clip of the scene drawn from `sceneSeed`.
    struct TrainingClip {
        /// [F, 3, S, S] in [-1, 1].
        var frames: Tensor
        var scene: Scene
        /// The object's coverage in [0, 1] per pixel, one [S·S] map per frame (the renderer's masks).
        var masks: [[Float]]
    }

    static func clip(sceneSeed: UInt64, frames: Int, size: Int, start: Int, focus: Bool = false) -> TrainingClip {
        var sampler = SceneSampler(seed: sceneSeed)
        let scene = focus ? focused(sampler.next()) : sampler.next()
        let rendered = SceneRenderer.render(scene, size: Size(width: size, height: size), frames: 16)
        let images = Array(rendered.frames[start..<(start + frames)])
        let batch = FrameBatch(images: images, frameRate: 8)
        return TrainingClip(frames: Tensor(shape: [frames, 3, size, size], scalars: batch.values), scene: scene,
                            masks: Array(rendered.masks[start..<(start + frames)]))
    }

    /// The scene's focus version (`DefaultModelRecipe.focusShare`): same shape and colour, large, resting and
    /// unrotated, on a plain background of the scene's first background colour (which differs from the object's),
    /// its centre moved inside the large size's margin.
    static func focused(_ scene: Scene) -> Scene {
        var s = scene
        s.size = .large
        s.motion = .resting
        s.speed = 0
        s.rotation = 0
        s.background = .plain(scene.background.colors[0])
        let margin = ShapeSize.large.fraction / 2 + 0.02
        s.start = Position(x: min(max(scene.start.x, margin), 1 - margin), y: min(max(scene.start.y, margin), 1 - margin))
        return s
    }

    /// `count` single frames of independent scenes (stages a and a′), each scene seed and start frame drawn from `rng`.
    static func singleFrames(_ count: Int, size: Int, rng: inout TrainingRandom) -> [TrainingClip] {
        (0..<count).map { _ in clip(sceneSeed: rng.next(), frames: 1, size: size, start: Int(rng.next() % 16)) }
    }

    /// A VAE's reconstruction error of `decoded` against frames `x` [N, 3, S, S]: the mean squared error, or with
    /// `objectWeight` > 0 each pixel's squared error weighted by 1 + objectWeight × the object's coverage (`masks`).
    static func reconstructionLoss(_ decoded: Variable, _ x: Variable, masks: [[Float]], size: Int, objectWeight: Float) -> Variable {
        guard objectWeight > 0 else { return Variable.mseLoss(decoded, x) }
        return Variable.weightedMSELoss(decoded, x, weights: objectWeights(masks, size: size, factor: 1, channels: 3, weight: objectWeight))
    }

    /// Loss weights on the latent grid: 1 + `weight` × the object's coverage averaged over each `factor`×`factor`
    /// pixel cell, the same for every latent channel. masks: F maps of [S·S] → [F, channels, S/factor, S/factor].
    static func objectWeights(_ masks: [[Float]], size: Int, factor: Int, channels: Int, weight: Float) -> Tensor {
        precondition(factor > 0 && size % factor == 0 && masks.allSatisfy { $0.count == size * size },
                     "objectWeights: \(size)x\(size) masks do not tile into \(factor)x\(factor) cells")
        let side = size / factor, cell = Float(factor * factor)
        var out: [Float] = []
        out.reserveCapacity(masks.count * channels * side * side)
        for mask in masks {
            let plane = cellSums(mask, size: size, factor: factor).map { 1 + weight * $0 / cell }
            for _ in 0..<channels { out += plane }
        }
        return Tensor(shape: [masks.count, channels, side, side], scalars: out)
    }

    /// The object's coverage summed over each `factor`×`factor` pixel cell: [S·S] → [(S/factor)²], row-major.
    static func cellSums(_ mask: [Float], size: Int, factor: Int) -> [Float] {
        let side = size / factor
        var sums = [Float](repeating: 0, count: side * side)
        for y in 0..<size { for x in 0..<size { sums[(y / factor) * side + x / factor] += mask[y * size + x] } }
        return sums
    }

    /// A training caption: empty with probability `captionDropout`, else the scene's caption with each optional
    /// phrase left out with probability `captionPhraseDrop`.
    static func caption(_ scene: Scene, recipe r: DefaultModelRecipe, rng: inout TrainingRandom) -> String {
        if rng.uniform() < r.captionDropout { return "" }
        var details: Scene.CaptionDetail = []
        for phrase in [Scene.CaptionDetail.size, .motion, .background] where rng.uniform() >= r.captionPhraseDrop {
            details.insert(phrase)
        }
        return scene.caption(saying: details)
    }

    /// A stage's trainer: AdamW on a cosine schedule with warmup, gradients clipped to norm 1, resumed from the
    /// checkpoint in `folder` when there is one. A run of another length continues at the same step on the cosine
    /// of its new length.
    func stageTrainer(_ parameters: [(key: String, variable: Variable)], stage: String, folder: String, seed: UInt64,
                      steps: Int, warmup: Int, learningRate: Double, weightDecay: Double,
                      averageDecay: Double? = nil) throws -> Trainer {
        let state = TrainingState(seed: seed, schedule: .cosine(warmupSteps: warmup, totalSteps: steps),
                                  optimizer: .init(learningRate: learningRate, weightDecay: weightDecay), maxGradNorm: 1.0,
                                  averageDecay: averageDecay)
        let trainer = Trainer(parameters: parameters, state: state)
        if FileManager.default.fileExists(atPath: folder + "/" + TrainingCheckpoint.stateFileName) {
            try trainer.resume(from: folder)
            log("\(stage): resuming at step \(trainer.state.step)")
            if trainer.state.schedule != state.schedule {
                trainer.reschedule(state.schedule)
                log("\(stage): learning-rate schedule now \(state.schedule)")
            }
        }
        return trainer
    }

    // MARK: Stage (a): VAE

    func makeVAE(_ source: ParameterScope.Source, trainable: Bool) throws -> (Trainable.AutoencoderKL, Parameters) {
        let parameters = Parameters()
        let config = try DefaultModelRecipe.decode(AutoencoderConfig.self, recipe.vaeConfig())
        let vae = try Trainable.AutoencoderKL(ParameterScope(source, into: parameters, trainable: { _ in trainable },
                                                                    startsAtZero: DefaultModelRecipe.startsAtZero), config: config)
        return (vae, parameters)
    }

    /// Trains the VAE to `recipe.vaeSteps`, resuming from its checkpoint; then measures the scaling factor
    /// (1 / std of the latents of 64 random frames) and writes `vae-final.safetensors`.
    public func trainVAE() throws {
        try FileManager.default.createDirectory(atPath: workFolder, withIntermediateDirectories: true)
        var record = TrainingRecord.load(recordPath)
        try checkLayout(&record)
        try record.save(recordPath)
        if FileManager.default.fileExists(atPath: vaeWeightsPath) { log("stage a (VAE): done earlier"); return }
        let r = recipe
        let (vae, parameters) = try makeVAE(.initialize(seed: r.seed), trainable: true)
        let trainer = try stageTrainer(parameters.trainable, stage: "stage a (VAE)", folder: vaeFolder, seed: r.seed &+ 1,
                                       steps: r.vaeSteps, warmup: 20, learningRate: r.vaeLearningRate, weightDecay: 0)
        log("stage a (VAE): \(parameters.trainable.reduce(0) { $0 + $1.variable.value.count }) parameters, \(r.vaeSteps) steps of \(r.vaeBatch) frames")
        var window: [(Float, Float)] = []
        var clock = Date()
        while trainer.state.step < r.vaeSteps {
            var parts = (Float(0), Float(0))
            let loss = trainer.step { rng in
                let clips = Self.singleFrames(r.vaeBatch, size: r.imageSize, rng: &rng)
                let x = Variable(Tensor.concat(clips.map(\.frames), axis: 0))
                let (mean, logvar) = vae.encode(x)
                // Decoded from the posterior mean (the latents the editor uses): sampling z = μ + σ·ε from the
                // start (σ ≈ 1 at initialisation) kept the MSE flat for 100 steps, too slow for this budget.
                let decoded = vae.decode(mean)
                let reconstruction = Self.reconstructionLoss(decoded, x, masks: clips.flatMap(\.masks), size: r.imageSize,
                                                             objectWeight: r.vaeObjectLossWeight)
                // KL(N(μ, σ²) ‖ N(0, 1)) per latent element: ½·(μ² + σ² − 1 − log σ²).
                let kl = (mean * mean + logvar.exp() - logvar + -1).mean() * 0.5
                parts = (reconstruction.value.scalars[0], kl.value.scalars[0])
                return reconstruction + kl * r.klWeight
            }
            window.append(parts)
            let step = trainer.state.step
            if step % logEvery == 0 || step == r.vaeSteps {
                let seconds = Date().timeIntervalSince(clock)
                record.vae.add(seconds: seconds, steps: window.count)
                let mse = window.map(\.0).reduce(0, +) / Float(window.count), kl = window.map(\.1).reduce(0, +) / Float(window.count)
                record.vae.curve.append(.init(step: step, loss: Double(mse), extra: Double(kl)))
                log(String(format: "vae step %d/%d  mse %.5f  kl %.3f  loss %.5f  lr %.2e  %.2f s/step", step, r.vaeSteps, mse, kl,
                           loss, trainer.state.learningRate, seconds / Double(window.count)))
                window.removeAll()
                clock = Date()
            }
            if step % r.checkpointEvery == 0 || step == r.vaeSteps {
                try trainer.save(to: vaeFolder)
                try record.save(recordPath)
            }
        }
        // Scaling factor: latents of 64 held-apart frames to unit standard deviation (as SD's 0.18215 was chosen).
        let means: [Tensor] = GradMode.withoutGradients {
            (0..<8).map { i in
                let frames = (0..<8).map { j in Self.clip(sceneSeed: 0xA11CE + UInt64(i * 8 + j), frames: 1, size: r.imageSize, start: j * 2).frames }
                return vae.encode(Variable(Tensor.concat(frames, axis: 0))).mean.value
            }
        }
        let all = means.flatMap(\.scalars)
        let mu = all.reduce(0, +) / Float(all.count)
        let std = (all.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Float(all.count)).squareRoot()
        record.scalingFactor = Double(1 / max(std, 1e-6))
        log(String(format: "stage a (VAE): latent std %.4f → scaling_factor %.5f", std, record.scalingFactor ?? 1))
        try Self.write(parameters.tensors(), to: vaeWeightsPath, dtype: .f32)
        try record.save(recordPath)
    }

    // MARK: Stage (b): text encoder + UNet + adapter

    struct JointModel {
        let text: Trainable.CLIPTextModel
        let unet: Trainable.UNet2DConditionModel
        let adapter: Trainable.TrajectoryAdapter
        let parts: [(prefix: String, parameters: Parameters)]

        var trainable: [(key: String, variable: Variable)] {
            parts.flatMap { part in part.parameters.trainable.map { (part.prefix + "/" + $0.key, $0.variable) } }
        }
    }

    func makeJoint(tokenizerSize: Int) throws -> JointModel {
        let r = recipe
        let (tp, up, ap) = (Parameters(), Parameters(), Parameters())
        let text = try Trainable.CLIPTextModel(ParameterScope(.initialize(seed: r.seed &+ 10), into: tp),
                                               config: DefaultModelRecipe.decode(CLIPTextConfig.self, r.textConfig(vocabularySize: tokenizerSize)))
        let unet = try Trainable.UNet2DConditionModel(ParameterScope(.initialize(seed: r.seed &+ 11), into: up,
                                                                                     startsAtZero: DefaultModelRecipe.startsAtZero),
                                                      config: DefaultModelRecipe.decode(UNetConfig.self, r.unetConfig))
        let initial = Models.TrajectoryAdapter.initialWeights(config: r.adapterConfig, seed: r.seed &+ 12)
        let adapter = try Trainable.TrajectoryAdapter(ParameterScope(.checkpoint(CheckpointWeights(tensors: initial)), into: ap),
                                                      config: r.adapterConfig)
        return JointModel(text: text, unet: unet, adapter: adapter,
                          parts: [("text_encoder", tp), ("unet", up), ("adapter", ap)])
    }

    /// Trains text encoder, UNet and adapter to `recipe.jointSteps` on the frozen VAE's latents.
    /// `sample` is called after each checkpoint with the step (to render a progress picture).
    public func trainJoint(sample: ((Int) throws -> Void)? = nil) throws {
        let r = recipe
        var record = TrainingRecord.load(recordPath)
        guard let scale = record.scalingFactor.map(Float.init), FileManager.default.fileExists(atPath: vaeWeightsPath) else {
            throw TrainingError.noCheckpoint(folder: vaeWeightsPath)
        }
        try checkLayout(&record)
        let (vae, _) = try makeVAE(.checkpoint(CheckpointWeights(paths: [vaeWeightsPath])), trainable: false)
        let tokenizer = try r.tokenizer()
        let model = try makeJoint(tokenizerSize: tokenizer.vocabulary.count)
        let trainer = try stageTrainer(model.trainable, stage: "stage b (text encoder + UNet + adapter)", folder: jointFolder,
                                       seed: r.seed &+ 2, steps: r.jointSteps, warmup: 50, learningRate: r.jointLearningRate,
                                       weightDecay: 1e-2, averageDecay: r.averageDecay > 0 ? r.averageDecay : nil)
        log("stage b: \(trainer.parameters.reduce(0) { $0 + $1.variable.value.count }) parameters, \(r.jointSteps) steps of \(r.clipsPerStep)×\(r.clipFrames) frames")
        let scheduler = try r.scheduler()
        let alphasCumprod = scheduler.schedule.alphasCumprod, objective = scheduler.prediction
        var window: [Float] = []
        var clock = Date()
        while trainer.state.step < r.jointSteps {
            // Image steps: the same number of frames as single frames of independent scenes (f = 1).
            let imageStep = r.imageStepEvery > 0 && trainer.state.step % r.imageStepEvery == 0
            let f = imageStep ? 1 : r.clipFrames, clips = imageStep ? r.clipsPerStep * r.clipFrames : r.clipsPerStep
            let attention: FrameAttention = imageStep ? .perFrame : .frames(count: f, sources: .sparseCausal)
            let focusOnly = trainer.state.step < r.focusOnlySteps
            let loss = trainer.step { rng in
                // 1. Clips and captions (10% empty).
                var frames: [Tensor] = [], ids: [[Int]] = [], masks: [[Float]] = []
                for _ in 0..<clips {
                    // Drawn during the focus-only steps too, so the stream after them is the mixture's own.
                    let drawn = r.focusShare > 0 && rng.uniform() < r.focusShare
                    let focus = focusOnly || drawn
                    let clip = Self.clip(sceneSeed: rng.next(), frames: f, size: r.imageSize, start: Int(rng.next() % UInt64(17 - f)),
                                         focus: focus)
                    frames.append(clip.frames)
                    masks += clip.masks
                    ids.append(tokenizer.encode(Self.caption(clip.scene, recipe: r, rng: &rng)).ids)
                }
                // 2. Latents x₀ [B·F, 4, 16, 16] from the frozen VAE (posterior mean × scaling factor).
                let x0 = GradMode.withoutGradients { vae.encode(Variable(Tensor.concat(frames, axis: 0))).mean.value * scale }
                // 3. Prompts → context [B, L, 64] (L = textLength), repeated per frame → [B·F, L, 64].
                let text = model.text(ids)
                let context = Variable.concat((0..<clips).flatMap { b in
                    Array(repeating: text.slice(axis: 0, b..<(b + 1)), count: f)
                }, axis: 0)
                // 4. One timestep per clip; x_t on the contextualized trajectory.
                let timesteps = (0..<clips).map { _ in Int(rng.next() % 1000) }
                let frameTimesteps = timesteps.flatMap { Array(repeating: Float($0), count: f) }
                let noise = rng.normal(x0.shape)
                var noisy: [Variable] = [], targets: [Tensor] = []
                // The adapter reads what it reads while sampling: the model's own estimate x̂₀ from the unshifted
                // x_t (one UNet pass without gradients), not the clean x₀. Given x₀ itself, r_φ learned to copy x₀
                // into x_t through k_t·r (a side channel the sampler does not have), the loss fell, and the model
                // could not generate from noise.
                let unshifted = Tensor.concat(timesteps.enumerated().map { b, t in
                    let range = (b * f)..<((b + 1) * f), a = alphasCumprod[t]
                    return x0.slice(axis: 0, range) * a.squareRoot() + noise.slice(axis: 0, range) * (1 - a).squareRoot()
                }, axis: 0)
                let estimate = GradMode.withoutGradients {
                    model.unet(Variable(unshifted), timesteps: frameTimesteps, context: Variable(context.value), frames: attention).value
                }
                for (b, t) in timesteps.enumerated() {
                    let range = (b * f)..<((b + 1) * f)
                    let a = alphasCumprod[t]
                    let plain = unshifted.slice(axis: 0, range)
                    let x0Estimate = objective.x0(modelOutput: estimate.slice(axis: 0, range), sample: plain, alphaCumprod: a)
                    let shift = model.adapter(Variable(x0Estimate), context: context.slice(axis: 0, range), timestep: Float(t), frameCount: f)
                    noisy.append(Variable(plain) + shift * r.adapterConfig.shift.k(alphaCumprod: a))
                    // Target per the scheduler's prediction type, of the unshifted x_t − k_t·r (what the sampler reads).
                    targets.append(objective.target(noise: noise.slice(axis: 0, range), x0: x0.slice(axis: 0, range), alphaCumprod: a))
                }
                // 5. ε- or v-prediction with the video UNet (sparse-causal attention across a clip's frames).
                let prediction = model.unet(Variable.concat(noisy, axis: 0), timesteps: frameTimesteps, context: context,
                                            frames: attention)
                let weights = Self.objectWeights(masks, size: r.imageSize, factor: r.imageSize / x0.shape[3],
                                                 channels: x0.shape[1], weight: r.objectLossWeight)
                return Variable.weightedMSELoss(prediction, Variable(Tensor.concat(targets, axis: 0)), weights: weights)
            }
            window.append(loss)
            let step = trainer.state.step
            if step % logEvery == 0 || step == r.jointSteps {
                let (mean, perStep) = record.joint.close(&window, at: step, clock: &clock)
                log(String(format: "joint step %d/%d  loss %.5f  lr %.2e  %.2f s/step", step, r.jointSteps, mean,
                           trainer.state.learningRate, perStep))
            }
            if step % r.checkpointEvery == 0 || step == r.jointSteps {
                try trainer.save(to: jointFolder)
                try record.save(recordPath)
                // The weights to sample with: the moving average when the recipe keeps one.
                try Self.write(model.parts, averaged: trainer.averagedValues, to: workFolder + "/joint-latest")
                try sample?(step)
            }
        }
    }

    // MARK: Export

    /// Writes the diffusers folder: configs, tokenizer, fp16 weights of every component, `MODEL_CARD.md`.
    public func export(to folder: String) throws {
        let r = recipe
        var record = TrainingRecord.load(recordPath)
        guard let scale = record.scalingFactor else { throw TrainingError.noCheckpoint(folder: vaeWeightsPath) }
        try checkLayout(&record)
        let fm = FileManager.default
        let vocabulary = try r.vocabulary()
        let tokenizer = try vocabulary.makeTokenizer(maxLength: r.textLength)
        let staging = folder + ".partial"
        try? fm.removeItem(atPath: staging)
        for c in ["scheduler", "tokenizer", "text_encoder", "vae", "unet", "adapter"] {
            try fm.createDirectory(atPath: staging + "/" + c, withIntermediateDirectories: true)
        }
        try vocabulary.write(to: staging + "/tokenizer", maxLength: r.textLength)
        var textConfig = r.textConfig(vocabularySize: tokenizer.vocabulary.count)
        textConfig["bos_token_id"] = tokenizer.bosID
        textConfig["eos_token_id"] = tokenizer.eosID
        textConfig["pad_token_id"] = tokenizer.padID
        try Self.writeJSON(textConfig, to: staging + "/text_encoder/config.json")
        try Self.writeJSON(r.vaeConfig(scalingFactor: Float(scale)), to: staging + "/vae/config.json")
        try Self.writeJSON(r.unetConfig, to: staging + "/unet/config.json")
        try Self.writeJSON(r.schedulerConfig, to: staging + "/scheduler/scheduler_config.json")
        try JSONEncoder.sorted.encode(r.adapterConfig).write(to: URL(fileURLWithPath: staging + "/adapter/config.json"))
        try Self.writeJSON(["_class_name": "StableDiffusionPipeline", "_ctxedit_recipe": "DefaultModelRecipe",
                            "scheduler": ["diffusers", "DDIMScheduler"], "text_encoder": ["transformers", "CLIPTextModel"],
                            "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "UNet2DConditionModel"],
                            "vae": ["diffusers", "AutoencoderKL"], "adapter": ["ctxedit", "TrajectoryAdapter"]],
                           to: staging + "/model_index.json")
        // Weights: the VAE from stage (a′) (stage (a) when the recipe has none), the rest from stage (b)'s latest checkpoint.
        let vae = try SafeTensorsFile(path: r.decoderSteps > 0 ? decoderWeightsPath : vaeWeightsPath)
        var vaeTensors: [String: Tensor] = [:]
        for name in vae.names { vaeTensors[name] = Tensor(shape: try vae.entry(name).shape, scalars: try vae.floats(name)) }
        try Self.write(vaeTensors, to: staging + "/vae/diffusion_pytorch_model.fp16.safetensors", dtype: .f16)
        for (component, stem) in [("text_encoder", "model"), ("unet", "diffusion_pytorch_model"), ("adapter", "diffusion_pytorch_model")] {
            let file = try SafeTensorsFile(path: workFolder + "/joint-latest/\(component).safetensors")
            var tensors: [String: Tensor] = [:]
            for name in file.names { tensors[name] = Tensor(shape: try file.entry(name).shape, scalars: try file.floats(name)) }
            try Self.write(tensors, to: staging + "/\(component)/\(stem).fp16.safetensors", dtype: .f16)
        }
        record.exportedAt = ISO8601DateFormatter().string(from: Date())
        // Which caption words the exported weights use (fp16, as shipped).
        let exported = try StableDiffusion.load(staging)
        try ModelCard.write(recipe: r, record: record, sensitivity: CaptionSensitivity.measure(exported, imageSize: r.imageSize),
                            focusSensitivity: CaptionSensitivity.measure(exported, imageSize: r.imageSize, focus: true),
                            to: staging + "/MODEL_CARD.md")
        try? fm.removeItem(atPath: folder)
        try fm.moveItem(atPath: staging, toPath: folder)
        log("wrote \(folder)")
    }

    /// Ties the work folder to the recipe's layout: a record without one (a new run, or one from before layouts
    /// were kept) takes the recipe's; a record with another one stops the run before any weights are loaded, naming
    /// the options to pass.
    func checkLayout(_ record: inout TrainingRecord) throws {
        guard var kept = record.layout else { record.layout = recipe.layout; return }
        // A folder from before an option existed was trained with that option's default.
        kept.merge(DefaultModelRecipe().layout) { old, _ in old }
        let asked = recipe.layout
        let differing = Set(kept.keys).union(asked.keys).sorted().filter { kept[$0] != asked[$0] }
        guard !differing.isEmpty else { return }
        // An on/off setting reads as its flag: --text-time-embedding / --no-text-time-embedding.
        func option(_ key: String, _ value: String?) -> String {
            switch value {
            case "true": key
            case "false": "--no-" + key.dropFirst(2)
            default: "\(key) \(value ?? "(unset)")"
            }
        }
        let was = differing.map { option($0, kept[$0]) }.joined(separator: " ")
        let now = differing.map { option($0, asked[$0]) }.joined(separator: " ")
        throw TrainingError.checkpointMismatch(path: recordPath, reason: "this work folder was trained with \(was), this run asks for \(now); pass \(was) (or use another --work folder)")
    }

    // MARK: Files

    static func write(_ tensors: [String: Tensor], to path: String, dtype: DType) throws {
        var writer = SafeTensorsWriter(path: path)
        for key in tensors.keys.sorted() {
            let t = tensors[key]!
            try writer.add(key, shape: t.shape, values: t.scalars, dtype: dtype)
        }
        try writer.write()
    }

    /// Each part's parameters as `folder/<prefix>.safetensors` (f32, checkpoint keys): the value in `averaged`
    /// (keyed `<prefix>/<key>`, as the trainer names them) where there is one, else the current value.
    static func write(_ parts: [(prefix: String, parameters: Parameters)], averaged: [String: Tensor] = [:],
                      to folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for part in parts {
            var tensors = part.parameters.tensors()
            for key in tensors.keys { if let a = averaged[part.prefix + "/" + key] { tensors[key] = a } }
            try write(tensors, to: folder + "/\(part.prefix).safetensors", dtype: .f32)
        }
    }

    static func writeJSON(_ object: [String: Any], to path: String) throws {
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            .write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return e
    }
}
