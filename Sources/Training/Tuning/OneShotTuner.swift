import Diffusion
import Foundation
import MediaIO
import Models
import Tensors

/// ContextDiff's one-shot tuning on a clip (the video recipe: tune on the source clip, then edit it).
///
/// Each step draws t uniform in 0..<T and ε ~ N(0, I) from the step's random stream and minimises
///
///     L = ‖ε_θ(x_t, c, t) − ε‖²,   x_t = √ᾱ_t·x₀ + k_t·r_φ(x₀, c, t, neighbours) + √(1−ᾱ_t)·ε
///
/// over the clip's F frames as one batch (sparse-causal cross-frame attention by default), as
/// `ContextualTrajectory.noised` builds x_t at inference. For a v-prediction model the target is
/// v = √ᾱ_t·ε − √(1−ᾱ_t)·x₀, for a sample-prediction model x₀ (what the sampler converts back to ε on the unshifted
/// x_t − k_t·r). Gradients reach the adapter through the frozen UNet's input.
///
/// Notation: ᾱ_t = `alphasCumprod[t]` of the model's scheduler config, k_t = the adapter config's
/// `ShiftSchedule.k(ᾱ_t)`, T = `num_train_timesteps`, x₀ = `clip.latents`, c = `clip.context` (one per frame).
public final class OneShotTuner {
    public let clip: TuningClip
    public let model: TunableModel
    public let trainer: Trainer
    /// The base model folder (absolute) and its `WeightFingerprint.model`.
    public let modelPath: String
    public let baseFingerprint: String
    public let settings: TuningSettings
    public let frames: FrameAttention
    /// The evaluation loss before tuning, once measured; kept with checkpoints so a resumed run still knows it.
    public var lossBefore: Double?
    let alphasCumprod: [Float]
    let prediction: DDIMScheduler.Prediction
    /// c repeated per frame: [F, S, D].
    let context: Variable

    /// Loads the base model's trainable parts and sets up the optimizer for `clip` (encoded with the same model).
    public init(clip: TuningClip, model path: String, settings: TuningSettings) throws {
        self.clip = clip
        self.settings = settings
        modelPath = URL(fileURLWithPath: path).standardizedFileURL.path
        baseFingerprint = try WeightFingerprint.model(path)
        model = try TunableModel(model: path, settings: settings)
        let schedulerPath = try ModelFolder(path: path).component("scheduler") + "/scheduler_config.json"
        let scheduler = FileManager.default.fileExists(atPath: schedulerPath)
            ? try loadConfig(SchedulerConfig.self, from: schedulerPath) : SchedulerConfig.stableDiffusion15
        alphasCumprod = scheduler.schedule.alphasCumprod
        prediction = scheduler.prediction
        frames = .frames(count: clip.frameCount, sources: settings.frameSources)
        let f = clip.frameCount
        context = Variable(Tensor(shape: [f] + clip.context.shape.dropFirst(),
                                  scalars: Array(repeatElement(clip.context.scalars, count: f).joined())))
        let state = TrainingState(
            seed: settings.seed, schedule: .constant,
            optimizer: .init(learningRate: settings.learningRate, weightDecay: settings.weightDecay),
            maxGradNorm: settings.maxGradNorm,
            notes: ["data": clip.fingerprint, "base": baseFingerprint, "caption": clip.caption,
                    "frame_attention": TuningSettings.name(settings.frameSources)])
        trainer = Trainer(parameters: model.trainable, state: state)
    }

    /// Checks a request before anything is decoded or encoded: a caption, at least 2 frames, and a frame size whose
    /// sides are multiples of the VAE's factor times the adapter's patch size (the model's adapter, or a fresh one's).
    public static func check(caption: String, frameCount: Int, width: Int, height: Int, model path: String) throws {
        guard !caption.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw TuningError.emptyCaption }
        guard frameCount >= 2 else { throw TuningError.tooFewFrames(count: frameCount) }
        let folder = try ModelFolder(path: path)
        let vae = try loadConfig(AutoencoderConfig.self, from: folder.component("vae") + "/config.json")
        let adapterConfig = folder.component("adapter") + "/config.json"
        let patch = FileManager.default.fileExists(atPath: adapterConfig)
            ? try loadConfig(AdapterConfig.self, from: adapterConfig).patchSize : AdapterConfig().patchSize
        let factor = 1 << (vae.blockOutChannels.count - 1), multiple = factor * patch
        guard width > 0, height > 0, width % multiple == 0, height % multiple == 0 else {
            throw TuningError.badSize(width: width, height: height, multiple: multiple, vaeFactor: factor, patch: patch)
        }
    }

    /// The training loss at timestep `t` with noise ε (`[F, C, h, w]`), recorded for backward.
    public func loss(timestep t: Int, noise: Tensor) -> Variable {
        let x0 = clip.latents, f = clip.frameCount
        let a = alphasCumprod[t], sa = a.squareRoot(), sb = (1 - a).squareRoot()
        let k = model.adapter.config.shift.k(alphaCumprod: a)
        // r_φ(x₀, c, t, neighbours): [F, C, h, w]; x_t as `ContextualTrajectory.noised`.
        let r = model.adapter(Variable(x0), context: context, timestep: Float(t), frameCount: f)
        let xt = Variable(x0 * sa + noise * sb) + r * k
        let prediction = model.unet(xt, timesteps: Array(repeating: Float(t), count: f), context: context, frames: frames)
        return Variable.mseLoss(prediction, Variable(self.prediction.target(noise: noise, x0: x0, alphaCumprod: a)))
    }

    /// One optimizer update on this step's (t, ε); returns the loss before the update.
    @discardableResult
    public func step() -> Float {
        let timesteps = alphasCumprod.count, shape = clip.latents.shape
        return trainer.step { rng in
            let t = Swift.min(timesteps - 1, Int(rng.uniform() * Double(timesteps)))
            return loss(timestep: t, noise: rng.normal(shape))
        }
    }

    /// The denoising loss on the clip at `settings.evaluationTimesteps`, each with its own fixed noise, averaged;
    /// nothing is recorded. The same value before and after tuning measures what tuning gained.
    public func evaluationLoss() -> Double {
        let ts = settings.evaluationTimesteps.filter { (0..<alphasCumprod.count).contains($0) }
        guard !ts.isEmpty else { return 0 }
        let total = GradMode.withoutGradients {
            ts.enumerated().reduce(0.0) { sum, item in
                var rng = TrainingRandom(seed: settings.evaluationSeed, stream: UInt64(item.offset))
                return sum + Double(loss(timestep: item.element, noise: rng.normal(clip.latents.shape)).value.scalars[0])
            }
        }
        return total / Double(ts.count)
    }

    /// Trains until `steps` updates are done (counting those of a resumed run), reporting after each. The handler
    /// returning false stops after that step: a checkpoint is saved to `checkpointFolder` and false returned. With
    /// `checkpointEvery`, a checkpoint is also saved every that many steps.
    public func train(to steps: Int, checkpointFolder: String, checkpointEvery: Int? = nil,
                      progress: (TuningProgress) -> Bool = { _ in true }) throws -> Bool {
        var meter = TuningProgress.Meter()
        while trainer.state.step < steps {
            let start = DispatchTime.now().uptimeNanoseconds
            let l = step()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let report = meter.record(loss: l, seconds: seconds, step: trainer.state.step, of: steps)
            if !progress(report) {
                try saveCheckpoint(to: checkpointFolder)
                return false
            }
            if let every = checkpointEvery, every > 0, trainer.state.step % every == 0, trainer.state.step < steps {
                try saveCheckpoint(to: checkpointFolder)
            }
        }
        return true
    }
}

/// Where tuning stands after a step.
public struct TuningProgress: Sendable, CustomStringConvertible {
    public var step: Int
    public var totalSteps: Int
    public var loss: Float
    /// Exponential moving average of the loss (β = 0.9, bias-corrected).
    public var smoothedLoss: Float
    /// Moving average of the seconds per step (β = 0.9, bias-corrected).
    public var secondsPerStep: Double

    public var secondsLeft: Double { secondsPerStep * Double(totalSteps - step) }

    public var description: String {
        String(format: "step %d/%d  loss %.4f (smoothed %.4f)  %.2f s/step  ETA ", step, totalSteps, loss, smoothedLoss,
               secondsPerStep) + Self.duration(secondsLeft)
    }

    /// 42s, 7m05s, 2h03m.
    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
    }

    /// The running averages behind the reports.
    struct Meter {
        var count = 0
        var loss = 0.0, seconds = 0.0

        mutating func record(loss l: Float, seconds s: Double, step: Int, of total: Int) -> TuningProgress {
            count += 1
            loss = 0.9 * loss + 0.1 * Double(l)
            seconds = 0.9 * seconds + 0.1 * s
            let correction = 1 - pow(0.9, Double(count))
            return TuningProgress(step: step, totalSteps: total, loss: l, smoothedLoss: Float(loss / correction),
                                  secondsPerStep: seconds / correction)
        }
    }
}
