import Foundation
import Models
import Tensors
import Training

/// Stage (a′): the VAE decoder again, on noisy latents, with the encoder frozen.
///
/// Stage (a) decodes the posterior mean only, so its decoder never sees a latent off the encoder's image: a
/// sampler's x̂₀ is never exactly on it, and with 0.1 of noise per scaled latent element (what the UNet's one-step
/// x̂₀ at t = 100 misses by) the stage (a) decoder turned a plain gray background into coloured texture and a square
/// into a ragged blob. Here each frame's latent is z = μ·s + σ·ε with σ drawn uniformly from [0, `decoderLatentNoise`]
/// per frame (s: the scaling factor, so σ is in the units the UNet works in), decoded as z/s, and the decoder learns
/// to return the clean frame: the most likely frame near a latent rather than an amplified error (the noise
/// augmentation of cascaded diffusion's super-resolution stages, Ho et al. 2021, applied to a latent decoder). The
/// encoder, the quant conv and the scaling factor stay, so stage (b), which reads only the encoder, is unaffected
/// either way; `vae-decoder-final.safetensors` holds the whole VAE with the new decoder, and export prefers it.
extension DefaultModelTraining {
    var decoderFolder: String { workFolder + "/vae-decoder" }
    /// The VAE after stage (a′) (f32, checkpoint keys): stage (a)'s encoder, the noise-trained decoder.
    var decoderWeightsPath: String { workFolder + "/vae-decoder-final.safetensors" }

    /// Keys stage (a′) trains: the decoder and the 1x1 convolution in front of it.
    static func isDecoderKey(_ key: String) -> Bool { key.hasPrefix("decoder.") || key.hasPrefix("post_quant_conv.") }

    /// Trains the decoder to `recipe.decoderSteps` from stage (a)'s weights, resuming from its checkpoint; writes
    /// `vae-decoder-final.safetensors`. Nothing to do when the recipe has no decoder steps.
    public func trainDecoder() throws {
        let r = recipe
        guard r.decoderSteps > 0 else { return }
        var record = TrainingRecord.load(recordPath)
        guard let scale = record.scalingFactor.map(Float.init), FileManager.default.fileExists(atPath: vaeWeightsPath) else {
            throw TrainingError.noCheckpoint(folder: vaeWeightsPath)
        }
        if FileManager.default.fileExists(atPath: decoderWeightsPath) { log("stage a′ (VAE decoder on noisy latents): done earlier"); return }
        let parameters = Parameters()
        let config = try DefaultModelRecipe.decode(AutoencoderConfig.self, r.vaeConfig())
        let vae = try Trainable.AutoencoderKL(ParameterScope(.checkpoint(CheckpointWeights(paths: [vaeWeightsPath])), into: parameters,
                                                             trainable: Self.isDecoderKey), config: config)
        let trainer = try stageTrainer(parameters.trainable, stage: "stage a′ (VAE decoder on noisy latents)", folder: decoderFolder,
                                       seed: r.seed &+ 3, steps: r.decoderSteps, warmup: 20, learningRate: r.decoderLearningRate,
                                       weightDecay: 0)
        log("stage a′ (VAE decoder on noisy latents): \(parameters.trainable.reduce(0) { $0 + $1.variable.value.count }) parameters, \(r.decoderSteps) steps of \(r.vaeBatch) frames, latent noise σ up to \(r.decoderLatentNoise)")
        var stage = record.decoder ?? TrainingRecord.Stage()
        var window: [Float] = []
        var clock = Date()
        while trainer.state.step < r.decoderSteps {
            let loss = trainer.step { rng in
                let clips = Self.singleFrames(r.vaeBatch, size: r.imageSize, rng: &rng)
                let x = Tensor.concat(clips.map(\.frames), axis: 0)
                // μ [N, 4, h, w] (unscaled) from the frozen encoder; per frame σ_i·ε/s in unscaled units.
                let mean = GradMode.withoutGradients { vae.encode(Variable(x)).mean.value }
                let perFrame = mean.count / mean.shape[0]
                let sigmas = (0..<mean.shape[0]).map { _ in Float(rng.uniform()) * r.decoderLatentNoise / scale }
                let noise = rng.normal(mean.shape)
                let noisy = Tensor(shape: mean.shape, scalars: (0..<mean.count).map { i in
                    mean.scalars[i] + sigmas[i / perFrame] * noise.scalars[i]
                })
                let decoded = vae.decode(Variable(noisy))
                return Self.reconstructionLoss(decoded, Variable(x), masks: clips.flatMap(\.masks), size: r.imageSize,
                                               objectWeight: r.decoderObjectLossWeight)
            }
            window.append(loss)
            let step = trainer.state.step
            if step % logEvery == 0 || step == r.decoderSteps {
                let (mean, perStep) = stage.close(&window, at: step, clock: &clock)
                log(String(format: "decoder step %d/%d  loss %.5f  lr %.2e  %.2f s/step", step, r.decoderSteps, mean,
                           trainer.state.learningRate, perStep))
            }
            if step % r.checkpointEvery == 0 || step == r.decoderSteps {
                try trainer.save(to: decoderFolder)
                record.decoder = stage
                try record.save(recordPath)
            }
        }
        // The record holds the stage since its last checkpoint (the final step is one).
        try Self.write(parameters.tensors(), to: decoderWeightsPath, dtype: .f32)
    }
}
