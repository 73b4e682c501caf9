import Foundation
import Scenes

/// `MODEL_CARD.md` of a default-model folder: settings, data recipe, seed, losses and wall time from the record.
enum ModelCard {
    static func write(recipe r: DefaultModelRecipe, record: TrainingRecord, sensitivity: CaptionSensitivity,
                      focusSensitivity: CaptionSensitivity, to path: String) throws {
        func loss(_ stage: TrainingRecord.Stage) -> String { stage.finalLoss().map { String(format: "%.4f", $0) } ?? "n/a" }
        func curve(_ stage: TrainingRecord.Stage) -> String {
            let points = stage.curve
            guard !points.isEmpty else { return "(none)" }
            let every = max(1, points.count / 12)
            return points.enumerated().filter { $0.offset % every == 0 || $0.offset == points.count - 1 }
                .map { String(format: "%d: %.4f", $0.element.step, $0.element.loss) }.joined(separator: ", ")
        }
        func reconstruction(_ objectWeight: Float) -> String {
            objectWeight > 0 ? "MSE weighted 1 + \(objectWeight)·(object coverage) per pixel" : "MSE"
        }
        let decoder = record.decoder.map { stage in
            "| a′ | VAE decoder on noisy latents, encoder frozen: \(reconstruction(r.decoderObjectLossWeight)) of decode((μ·s + σ·ε)/s), σ ~ U(0, \(r.decoderLatentNoise)) per frame | \(r.decoderSteps) | \(r.vaeBatch) frames | \(r.decoderLearningRate) | MSE \(loss(stage)) | \(String(format: "%.2f", stage.secondsPerStep)) | \(String(format: "%.0f", stage.wallSeconds)) s |\n"
        } ?? ""
        let total = record.vae.wallSeconds + (record.decoder?.wallSeconds ?? 0) + record.joint.wallSeconds
        let weighting = r.objectLossWeight > 0 ? """
            Stage (b)'s squared error is weighted per latent position by 1 + \(r.objectLossWeight)·(the object's coverage of its
            \(r.latentFactor)x\(r.latentFactor)-pixel cell, from the renderer's mask) and divided by the weights' sum (`DefaultModelRecipe.objectLossWeight`),
            so the object, 2–12% of a frame, is not drowned by the background; the logged joint loss is that weighted mean.

            """ : ""
        let focusing = r.focusShare > 0 || r.focusOnlySteps > 0 ? """
            Focus scenes (`DefaultModelRecipe.focusShare`, `focusOnlySteps`): the first \(r.focusOnlySteps) stage (b) steps draw only
            them, later steps replace \(Int(r.focusShare * 100))% of the scenes with them: the sampled scene's shape and colour, large,
            resting and unrotated on a plain background, where the shape word is most of what the caption adds.

            """ : ""
        let averaging = r.averageDecay > 0 ? """
            The exported stage (b) weights are the moving average of its weights, decay \(r.averageDecay) (`DefaultModelRecipe.averageDecay`,
            `Training.WeightAverage`), not the last ones.

            """ : ""
        let latent = r.imageSize / r.latentFactor
        let attention = r.unetLevelsWithoutAttention == 0 ? "cross-attention in every block"
            : "no attention in the finest \(r.unetLevelsWithoutAttention == 1 ? "level" : "\(r.unetLevelsWithoutAttention) levels"), cross-attention in the others"
        let textTime = r.textTimeEmbedding ? "; the pooled caption is added to the time embedding (addition_embed_type \"text\", 4 pooling heads)" : ""
        let text = """
        # ctxedit default model

        A small Stable-Diffusion-architecture model (VAE, CLIP text encoder, UNet with cross-frame attention, ContextDiff
        trajectory adapter) trained from scratch by ctxedit's own training code (`ctxedit train-default`, `make model`,
        recipe: `Sources/ModelRecipes/DefaultModelRecipe.swift`) on clips rendered by `Sources/Scenes`. It knows only
        that world: \(Scene.captionVocabulary.count) caption words — shapes, colours, sizes, plain/gradient/striped/checkered/dotted
        backgrounds, motion words. It is a demonstration model, not a general image model.

        ## Components
        | component | settings |
        | --- | --- |
        | frames | \(r.imageSize)x\(r.imageSize) RGB, training clips of \(r.clipFrames) consecutive frames of 16-frame scenes |
        | VAE | block_out \(r.vaeChannels), 1 layer per block, 8 groups, 4 latent channels (\(latent)x\(latent)x4 latents), scaling_factor \(String(format: "%.5f", record.scalingFactor ?? 0)) |
        | text encoder | CLIP, hidden 64, 2 layers, 4 heads, MLP 128, \(r.textLength) positions; tokenizer: one BPE token per caption word (CLIP file format) |
        | UNet | block_out \(r.unetChannels), \(attention), 1 layer per block, 4 heads, cross_attention_dim 64\(textTime) |
        | adapter | ContextDiff r_φ, dim 64, 2 layers, 4 heads, patch 2, quadratic k_t = √ᾱ_t(1 − √ᾱ_t) |
        | scheduler | DDIM, \(r.betaSchedule) β \(r.betaStart)–\(r.betaEnd), 1000 steps, steps_offset 1, prediction_type \(r.prediction) (see docs/ARCHITECTURE.md, "The embedded default model") |

        Weights are fp16 safetensors in the diffusers layout.

        ## Training
        Seed \(r.seed) (parameters: seed, seed+10/11/12; stage streams: seed+1, seed+2). Each step draws fresh scenes
        from `SceneSampler(seed:)` with 64-bit seeds from the step's random stream; `ctxedit eval` uses small seeds
        (1 000 000 + i) that this stream does not produce in practice.

        | stage | what trains | steps | batch | lr (AdamW, cosine) | final loss | s/step | wall |
        | --- | --- | --- | --- | --- | --- | --- | --- |
        | a | VAE: \(reconstruction(r.vaeObjectLossWeight)) + \(r.klWeight)·KL | \(r.vaeSteps) | \(r.vaeBatch) frames | \(r.vaeLearningRate) | MSE \(loss(record.vae)) | \(String(format: "%.2f", record.vae.secondsPerStep)) | \(String(format: "%.0f", record.vae.wallSeconds)) s |
        \(decoder)| b | text encoder + UNet + adapter: \(r.prediction == "v_prediction" ? "‖v_θ(x_t, c, t) − v‖², v = √ᾱ_t·ε − √(1−ᾱ_t)·x₀" : "‖ε_θ(x_t, c, t) − ε‖²"), x_t = √ᾱ_t·x₀ + k_t·r_φ(x̂₀, c, t, neighbours) + √(1−ᾱ_t)·ε (x̂₀: the model's own estimate, no gradient) | \(r.jointSteps) | \(r.clipsPerStep) clips × \(r.clipFrames) frames; every \(r.imageStepEvery == 2 ? "other" : String(r.imageStepEvery) + "th") step \(r.clipsPerStep * r.clipFrames) single frames | \(r.jointLearningRate) | \(loss(record.joint)) | \(String(format: "%.2f", record.joint.secondsPerStep)) | \(String(format: "%.0f", record.joint.wallSeconds)) s |

        The last layer of every residual branch (and the UNet's `conv_out`) starts at zero (`DefaultModelRecipe.startsAtZero`).
        \(weighting)\(focusing)\(averaging)Caption dropout \(Int(r.captionDropout * 100))% (empty caption, for classifier-free guidance); otherwise each optional
        phrase (size, motion, background) is left out with probability \(r.captionPhraseDrop), so shorter prompts such as
        "a blue square on a gray background" are in the training distribution; gradient clipping 1.0;
        the UNet uses sparse-causal cross-frame attention over each clip. Total training wall time \(String(format: "%.0f", total)) s
        (\(String(format: "%.1f", total / 60)) min) on 2 shared CPU cores.

        Loss curves (step: loss):
        - VAE MSE: \(curve(record.vae))\(record.decoder.map { "\n- VAE decoder MSE on noisy latents: \(curve($0))" } ?? "")
        - joint \(r.prediction == "v_prediction" ? "v" : "ε")-loss\(r.objectLossWeight > 0 ? " (object-weighted)" : ""): \(curve(record.joint))

        ## Which caption words it uses
        Denoising loss on the object's latent cells (large objects, \(sensitivity.scenes) held-out scenes; `CaptionSensitivity`)
        with each scene's caption, with its shape word or colour word changed, and with no caption: a word the model has
        learned raises the loss when it is wrong.

        \(sensitivity.table)

        The same on the scenes' focus versions (resting, unrotated, plain background of another colour):

        \(focusSensitivity.table)

        Exported \(record.exportedAt ?? "n/a").
        """
        try (text + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
}
