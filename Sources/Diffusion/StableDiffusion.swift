import Foundation
import MediaIO
import Models
import SafeTensors
import Tensors

/// A loaded Stable-Diffusion-architecture model: tokenizer, text encoder, VAE, UNet, scheduler settings and the
/// optional ContextDiff adapter, with the encode/decode helpers the pipelines share.
public final class StableDiffusion: @unchecked Sendable {
    public let tokenizer: CLIPTokenizer
    public let textEncoder: CLIPTextModel
    public let vae: AutoencoderKL
    public let unet: UNet2DConditionModel
    public let scheduler: SchedulerConfig
    public let adapter: TrajectoryAdapter?
    /// Where the model came from (a folder path), part of the inversion cache key.
    public let identity: String
    /// Parameters in the weight files (for memory estimates).
    public let parameterCount: Int

    public init(tokenizer: CLIPTokenizer, textEncoder: CLIPTextModel, vae: AutoencoderKL, unet: UNet2DConditionModel,
                scheduler: SchedulerConfig, adapter: TrajectoryAdapter?, identity: String, parameterCount: Int = 0) {
        self.tokenizer = tokenizer
        self.textEncoder = textEncoder
        self.vae = vae
        self.unet = unet
        self.scheduler = scheduler
        self.adapter = adapter
        self.identity = identity
        self.parameterCount = parameterCount
    }

    /// Loads a diffusers-layout folder.
    public static func load(_ path: String) throws -> StableDiffusion {
        let folder = try ModelFolder(path: path)
        let schedulerPath = folder.component("scheduler") + "/scheduler_config.json"
        let scheduler = FileManager.default.fileExists(atPath: schedulerPath)
            ? try loadConfig(SchedulerConfig.self, from: schedulerPath) : SchedulerConfig.stableDiffusion15
        var parameters = 0
        for (component, stem) in [("text_encoder", "model"), ("vae", "diffusion_pytorch_model"), ("unet", "diffusion_pytorch_model")] {
            for file in try folder.weightFiles(component, stem: stem) {
                if let weights = try? SafeTensorsFile(path: file) {
                    parameters += weights.names.reduce(0) { $0 + ((try? weights.entry($1).elementCount) ?? 0) }
                }
            }
        }
        return StableDiffusion(tokenizer: try folder.loadTokenizer(), textEncoder: try folder.loadTextEncoder(),
                               vae: try folder.loadVAE(), unet: try folder.loadUNet(), scheduler: scheduler,
                               adapter: try folder.loadAdapter(),
                               identity: URL(fileURLWithPath: path).standardizedFileURL.path, parameterCount: parameters)
    }

    /// Prompt → last hidden state [1, T, D].
    public func encodePrompt(_ text: String) -> Tensor {
        textEncoder([tokenizer.encode(text).ids])
    }

    /// Frames [F, 3, H, W] in [-1, 1] → scaled latents [F, C, H/8, W/8] (posterior mean × scaling factor),
    /// `chunk` frames at a time to bound memory; `each(done, total)` runs after every chunk (and may throw to stop).
    public func encodeFrames(_ frames: FrameBatch, chunk: Int = 2) -> Tensor {
        encodeFrames(frames, chunk: chunk) { _, _ in }
    }

    public func encodeFrames(_ frames: FrameBatch, chunk: Int = 2, each: (Int, Int) throws -> Void) rethrows -> Tensor {
        let images = Tensor(shape: [frames.frameCount, 3, frames.height, frames.width], scalars: frames.values)
        let starts = Array(stride(from: 0, to: frames.frameCount, by: chunk))
        let parts = try starts.enumerated().map { i, start in
            let part = vae.encode(images.slice(axis: 0, start..<min(frames.frameCount, start + chunk))).mean * vae.config.scalingFactor
            try each(i + 1, starts.count)
            return part
        }
        return Tensor.concat(parts, axis: 0)
    }

    /// A seeded posterior sample of the frames' latents, × scaling factor: [F, C, H/8, W/8]. The noise is torch's
    /// CPU randn for `seed`, so this equals diffusers' `vae.encode(x).latent_dist.sample(generator) * scaling_factor`.
    public func sampleLatents(_ frames: FrameBatch, seed: UInt64) -> Tensor {
        let images = Tensor(shape: [frames.frameCount, 3, frames.height, frames.width], scalars: frames.values)
        let (mean, logvar) = vae.encode(images)
        var rng = TorchRandom(seed: seed)
        let noise = Tensor(shape: mean.shape, scalars: rng.normal(count: mean.count))
        return AutoencoderKL.sample(mean: mean, logvar: logvar, noise: noise) * vae.config.scalingFactor
    }

    /// Scaled latents [F, C, h, w] → frames in [-1, 1], `chunk` frames at a time; `each(done, total)` after every chunk.
    public func decodeLatents(_ latents: Tensor, frameRate: Double, chunk: Int = 2) -> FrameBatch {
        decodeLatents(latents, frameRate: frameRate, chunk: chunk) { _, _ in }
    }

    public func decodeLatents(_ latents: Tensor, frameRate: Double, chunk: Int = 2,
                              each: (Int, Int) throws -> Void) rethrows -> FrameBatch {
        let n = latents.shape[0]
        let starts = Array(stride(from: 0, to: n, by: chunk))
        let parts = try starts.enumerated().map { i, start in
            let part = vae.decode(latents.slice(axis: 0, start..<min(n, start + chunk)) * (1 / vae.config.scalingFactor))
            try each(i + 1, starts.count)
            return part
        }
        let images = Tensor.concat(parts, axis: 0)
        return FrameBatch(frameCount: n, width: images.shape[3], height: images.shape[2], frameRate: frameRate,
                          values: images.scalars.map { min(max($0, -1), 1) })
    }

    /// The VAE's spatial downsampling factor (8 for SD).
    public var latentScale: Int { 1 << (vae.config.blockOutChannels.count - 1) }
}
