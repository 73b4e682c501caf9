import Foundation
import Diffusion
import Models
import Scenes

/// The recipe of ctxedit's embedded default model (`Models/default`): a Stable-Diffusion-architecture model small
/// enough to train from scratch on two CPU cores, on clips the scene renderer draws.
///
/// Everything that decides the weights is here: component sizes, the data stream, stage lengths, learning rates
/// and seeds. `DefaultModelTraining` runs it; `ctxedit train-default` / `make model` are the entry points.
///
/// | component    | size                                                                                |
/// |--------------|-------------------------------------------------------------------------------------|
/// | frames       | 64x64, clips of 4 frames (the video UNet's sparse-causal attention spans them)       |
/// | VAE          | block_out [32, 64, 64], 1 layer per block, 8 groups, 4 latent channels (×4: 16x16x4) |
/// | text encoder | CLIP, hidden 64, 2 layers, 4 heads, MLP 128, 77 positions, one token per caption word |
/// | UNet         | block_out [32, 64], all blocks cross-attention, 1 layer per block, 4 heads, ctx 64   |
/// | adapter      | ContextDiff r_φ: dim 64, 2 layers, 4 heads, patch 2, quadratic k_t                   |
/// | scheduler    | DDIM, linear β 1e-4–0.02 (DDPM's; see `betaSchedule`), steps_offset 1                |
public struct DefaultModelRecipe: Sendable {
    /// Frame side in pixels.
    public var imageSize = 64
    /// Frames per training clip.
    public var clipFrames = 4
    /// Clips per joint-stage step (the UNet batch is clips × frames).
    public var clipsPerStep = 2
    /// Frames per VAE step (single frames of independent scenes).
    public var vaeBatch = 6

    /// Stage (a): VAE steps, learning rate, KL weight (per latent element, against the per-pixel MSE).
    public var vaeSteps = 1800
    public var vaeLearningRate = 1e-4
    public var klWeight: Float = 1e-5
    /// Stage (a) weighs the squared error at pixels the object covers by 1 + this × coverage (the renderer's mask),
    /// normalised by the weights' sum; 0: the plain mean. Under the plain mean the object (2–12% of a frame) is a
    /// small part of the loss, and at 64 px the VAE turns small squares, triangles and stars into blobs, so the
    /// latents barely tell the shapes apart (docs/ARCHITECTURE.md, "Which caption words the model uses").
    public var vaeObjectLossWeight: Float = 0
    /// Stage (a′) (`DefaultModelTraining.trainDecoder`): decoder steps on noisy latents with the encoder frozen
    /// (0: none, the decoder of stage (a) is exported), their learning rate, the largest noise σ per scaled latent
    /// element, and the object weight of the pixels' squared error (as `vaeObjectLossWeight`).
    public var decoderSteps = 0
    public var decoderLearningRate = 1e-4
    public var decoderLatentNoise: Float = 0.2
    public var decoderObjectLossWeight: Float = 0
    /// Every this many joint steps, one is an image step: clipsPerStep × clipFrames single frames of independent
    /// scenes (per-frame attention) instead of clipsPerStep clips (joint image-video training, as in Ho et al.
    /// 2022, "Video Diffusion Models"). A clip step gives 2 (scene, caption, t) samples, an image step 8; with clip
    /// steps only the UNet still ignored its caption after 800 steps (ε̂ moved by ~1e-3 between captions), with
    /// image steps only it used it from ~200 steps (~0.2).
    public var imageStepEvery = 2
    /// Stage (b): text encoder + UNet + adapter steps and learning rate.
    public var jointSteps = 9000
    public var jointLearningRate = 1e-3
    /// Stage (b) keeps an exponential moving average of its weights with this decay (`WeightAverage`, diffusers'
    /// `EMAModel`) and exports the average; 0: none, the last weights are exported.
    public var averageDecay = 0.0
    /// Share of training captions replaced by the empty caption (classifier-free guidance needs the unconditional
    /// prediction).
    public var captionDropout = 0.1
    /// Each optional caption phrase (size, motion, background: `Scene.CaptionDetail`) is left out of a training
    /// caption with this probability, independently, so shorter prompts ("a blue square on a gray background") stay
    /// in the training distribution. With full captions only, leaving out the motion phrase turned a gray background
    /// green in text-to-image.
    /// (These draws come from the step's random stream before its timesteps and noise, so a stage (b) checkpoint
    /// from before this setting existed resumes on a different stream.)
    public var captionPhraseDrop = 0.25
    /// Stage (b) weighs the loss at latent positions covered by the object by 1 + this × coverage (the renderer's
    /// mask, averaged over each latent pixel's cell of frame pixels), normalised by the weights' sum. The object
    /// covers ~2–12% of a frame, so under the plain mean the loss barely saw it: the model learned backgrounds and
    /// painted a blue blob for any object caption.
    public var objectLossWeight: Float = 4
    /// Share of stage (b)'s training scenes replaced by their *focus* version (`DefaultModelTraining.focused`):
    /// the same shape and colour, large, resting, unrotated, on a plain background. In the full distribution the
    /// caption's shape word explains little of the loss next to colour, size, motion and background, and the model
    /// never learned it (`CaptionSensitivity`: +1–4% loss with the wrong shape word). Tried and left at 0: 0.3, and
    /// 1500 focus-only steps first, did not teach the shape words either (docs/ARCHITECTURE.md, "Which caption words
    /// the model uses"). 0 draws no extra random numbers.
    public var focusShare = 0.0
    /// The first this many stage (b) steps draw focus scenes only (a curriculum: the shape words first, while they
    /// are most of what a caption tells; then the full distribution with `focusShare` of focus scenes).
    public var focusOnlySteps = 0
    /// Save a resumable checkpoint every this many steps (and at the end of each stage).
    public var checkpointEvery = 50
    /// Seeds: parameter initialisation, and the training streams (noise, timesteps, scenes) of each stage.
    public var seed: UInt64 = 20_240_507

    public init() {}

    /// The settings a work folder's checkpoints are tied to (their tensors' shapes, the noise schedule), keyed by
    /// the `ctxedit train-default` option that sets each: a resumed run or an export with other values would load
    /// weights into the wrong layout.
    public var layout: [String: String] {
        ["--vae-channels": vaeChannels.map(String.init).joined(separator: ","),
         "--unet-channels": unetChannels.map(String.init).joined(separator: ","),
         "--unet-levels-without-attention": String(unetLevelsWithoutAttention),
         "--beta-end": String(betaEnd), "--text-length": String(textLength),
         "--text-time-embedding": String(textTimeEmbedding)]
    }

    // MARK: Components

    /// Fresh parameters that start at zero: the last layer of every residual branch (resnet `conv2`, attention
    /// `to_out.0`, transformer `proj_out`) and the UNet's `conv_out`, so each block starts as the identity and the
    /// UNet predicts ε̂ = 0 (ADM's `zero_module`, Dhariwal & Nichol 2021). Used for the VAE and the UNet. With
    /// PyTorch's default initialisation the VAE sat at the per-image mean colour (MSE ≈ 0.3) for hundreds of steps;
    /// zero-started it reached MSE 0.09 in 250 steps in the same comparison (diffusers' AutoencoderKL, lr 1e-4,
    /// 6 frames per step).
    public static func startsAtZero(_ key: String) -> Bool {
        let layer = key.split(separator: ".").dropLast().joined(separator: ".")
        return layer.hasSuffix("conv2") || layer.hasSuffix("to_out.0") || layer.hasSuffix("proj_out") || layer == "conv_out"
            || layer == "add_embedding.norm2"
    }

    /// Words of every caption the renderer writes: the tokenizer's vocabulary (one token per word).
    public static var words: [String] { Scene.captionVocabulary }

    public func vocabulary() throws -> BPEVocabularyBuilder { try BPEVocabularyBuilder(words: Self.words) }

    /// Token positions of a prompt (the tokenizer's `model_max_length`, the text encoder's `max_position_embeddings`):
    /// CLIP's 77 by default. The longest caption is 16 words + start and end tokens; every other position holds the
    /// end token, and the UNet's cross-attention spreads over all of them.
    public var textLength = 77

    /// Words in the longest caption the renderer writes ("a large spinning green star moving up and left on a black
    /// and white checkered background").
    public static let longestCaptionWords = 16

    /// The tokenizer training and export use (`textLength` positions).
    public func tokenizer() throws -> CLIPTokenizer { try vocabulary().makeTokenizer(maxLength: textLength) }

    /// The VAE's channels per level (diffusers `block_out_channels`); n levels downsample by 2^(n−1): [32, 64, 64]
    /// gives 16x16 latents of 64x64 frames, [32, 64] 32x32.
    public var vaeChannels = [32, 64, 64]

    /// Frame pixels per latent pixel along a side.
    public var latentFactor: Int { 1 << (vaeChannels.count - 1) }

    /// VAE `config.json` (diffusers `AutoencoderKL`). `scaling_factor` is measured after stage (a).
    public func vaeConfig(scalingFactor: Float = 1) -> [String: Any] {
        ["_class_name": "AutoencoderKL", "in_channels": 3, "out_channels": 3, "latent_channels": 4,
         "block_out_channels": vaeChannels, "layers_per_block": 1, "norm_num_groups": 8, "act_fn": "silu",
         "down_block_types": Array(repeating: "DownEncoderBlock2D", count: vaeChannels.count),
         "up_block_types": Array(repeating: "UpDecoderBlock2D", count: vaeChannels.count),
         "mid_block_add_attention": true, "sample_size": imageSize, "scaling_factor": Double(scalingFactor)]
    }

    /// Text encoder `config.json` (transformers `CLIPTextModel`).
    public func textConfig(vocabularySize: Int) -> [String: Any] {
        ["architectures": ["CLIPTextModel"], "model_type": "clip_text_model", "vocab_size": vocabularySize,
         "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
         "max_position_embeddings": textLength, "hidden_act": "quick_gelu", "layer_norm_eps": 1e-5,
         "bos_token_id": 0, "eos_token_id": 1, "pad_token_id": 1]
    }

    /// The UNet's channels per resolution level, finest first (diffusers `block_out_channels`).
    public var unetChannels = [32, 64]
    /// How many of the finest levels have no attention (diffusers `DownBlock2D` / `UpBlock2D`); the others are
    /// cross-attention blocks. 0: attention at every level. A fine level on 32x32 latents without attention costs
    /// convolutions only (its 1024-token self-attention would dominate the step).
    public var unetLevelsWithoutAttention = 0

    /// Whether the UNet also adds a pooled text embedding to its time embedding (diffusers `addition_embed_type:
    /// "text"`, `TextTimeEmbedding`), so the caption shifts every resnet block as a class label does in a
    /// class-conditional diffusion model (Dhariwal & Nichol 2021), besides the cross-attention.
    public var textTimeEmbedding = false

    /// UNet `config.json` (diffusers `UNet2DConditionModel`) on the VAE's latents (16x16x4 by default).
    public var unetConfig: [String: Any] {
        let levels = unetChannels.indices
        let down = levels.map { $0 < unetLevelsWithoutAttention ? "DownBlock2D" : "CrossAttnDownBlock2D" }
        let up = levels.reversed().map { $0 < unetLevelsWithoutAttention ? "UpBlock2D" : "CrossAttnUpBlock2D" }
        var config: [String: Any] = ["_class_name": "UNet2DConditionModel", "in_channels": 4, "out_channels": 4, "sample_size": imageSize / latentFactor,
         "block_out_channels": unetChannels, "layers_per_block": 1, "norm_num_groups": 8, "cross_attention_dim": 64,
         "attention_head_dim": 4, "down_block_types": down, "up_block_types": up, "flip_sin_to_cos": true, "freq_shift": 0,
         "act_fn": "silu", "mid_block_type": "UNetMidBlock2DCrossAttn", "downsample_padding": 1, "norm_eps": 1e-5]
        if textTimeEmbedding {
            config["addition_embed_type"] = "text"
            config["addition_embed_type_num_heads"] = 4
        }
        return config
    }

    /// ContextDiff adapter `config.json`.
    public var adapterConfig: AdapterConfig {
        var c = AdapterConfig()
        c.latentChannels = 4
        c.patchSize = 2
        c.dim = 64
        c.layers = 2
        c.heads = 4
        c.contextDim = 64
        c.shift = .quadratic
        return c
    }

    /// The noise schedule (diffusers `beta_schedule`, `beta_start`, `beta_end`). DDPM's linear 1e-4…0.02 rather than
    /// Stable Diffusion's scaled_linear 0.00085…0.012: at 16x16 latents the mean colour of a frame (an average over
    /// 256 positions) keeps SNR 256·ᾱ_T/(1 − ᾱ_T) ≈ 1.2 at t = T under SD's schedule, so the UNet never needs the
    /// caption for the background and DDIM inversion carries the source colours to x_T; the model trained that way
    /// ignored its text (conditional − unconditional ε̂ ≈ 0.002). Under the linear schedule ᾱ_T ≈ 4e-5 and that SNR
    /// is ≈ 0.01 (the resolution argument of Hoogeboom et al. 2023, "simple diffusion"). At 32x32 latents
    /// (`vaeChannels` [32, 64]) the same SNR is 1024·ᾱ_T/(1 − ᾱ_T): ≈ 4.8 under SD's schedule, 0.04 here.
    public var betaSchedule = "linear"
    public var betaStart = 0.0001
    public var betaEnd = 0.02
    /// What the UNet predicts (diffusers `prediction_type`): v = √ᾱ_t·ε − √(1−ᾱ_t)·x₀ (Salimans & Ho 2022), not ε.
    /// ‖v̂ − v‖² = ‖ε̂ − ε‖²/ᾱ_t, so v weights the noisy steps where only the caption tells what x₀ holds; under the
    /// ε loss the caption lowered the loss by ~ᾱ_t·Var(x₀|x_t) there, too little to learn (ε̂ moved by ~0.001
    /// between captions after 800 steps, and by 0.005 with random context).
    public var prediction = "v_prediction"

    /// `scheduler/scheduler_config.json` (DDIM, 1000 training steps, SD 1.5's other settings).
    public var schedulerConfig: [String: Any] {
        ["_class_name": "DDIMScheduler", "num_train_timesteps": 1000, "beta_start": betaStart, "beta_end": betaEnd,
         "beta_schedule": betaSchedule, "steps_offset": 1, "set_alpha_to_one": false, "clip_sample": false,
         "prediction_type": prediction, "timestep_spacing": "leading"]
    }

    /// The scheduler above as the sampler reads it (its ᾱ_t and prediction type are what training uses).
    public func scheduler() throws -> SchedulerConfig {
        try DefaultModelRecipe.decode(SchedulerConfig.self, schedulerConfig)
    }

    /// Decodes one of the config dictionaries into its typed struct, the way a model folder is read.
    public static func decode<C: Decodable>(_ type: C.Type, _ json: [String: Any]) throws -> C {
        try JSONDecoder().decode(type, from: JSONSerialization.data(withJSONObject: json))
    }
}
